/**
 * Versions and live problems (issue 19): `GET /api/canvases/{id}/versions` says when and by whom each
 * version was saved and how many users are in the canvas on it; `POST /api/canvases/{id}/problems`
 * answers launch's reasons for an edited body without saving or launching it. That users who entered
 * on version 1 finish on version 1's steps is test/engine/journeys.test.ts ("versions: users inside
 * keep the version they entered with").
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { hashApiKey, newApiKey } from '../../src/api/auth.ts';
import { describeEachStore } from '../support/databases.ts';
import { rawSql } from '../support/raw-db.ts';
import { canvasApi, CONNECTED, type CanvasApi } from './canvas-app.ts';

const DELAYED = {
  name: 'Versioned',
  first_step: 'wait',
  steps: [
    { id: 'wait', type: 'delay', config: { seconds: 3600 }, next: 'mark' },
    { id: 'mark', type: 'user_update', config: { set: { v: 1 } }, next: null },
  ],
};

describeEachStore('api: canvas versions and live problems', ({ store, kind, url }) => {
  let api: CanvasApi;
  beforeAll(async () => {
    api = await canvasApi(store());
  });
  afterAll(async () => {
    await api?.close();
  });

  /** A workspace whose key has a name, as `New API key` gives one. */
  async function namedKey(name: string) {
    const { id } = await api.workspace();
    const key = newApiKey();
    await store().insertApiKey({ id: `key_${name}_${id}`, workspaceId: id, keyHash: hashApiKey(key), name }, api.clock.now());
    return { id, key };
  }

  it('lists versions newest first with who saved them and how many users are in each, scoped by workspace', async () => {
    const { key } = await namedKey('nightly-import');
    const created = await api.call(key, 'POST', '/api/canvases', DELAYED);
    const id = created.body.id as string;
    const t1 = new Date(api.clock.now()).toISOString();
    expect((await api.call(key, 'POST', `/api/canvases/${id}/launch`)).status).toBe(200);
    const send = (users: string[]) => api.call(key, 'POST', '/api/canvas/trigger/send', { canvas_id: id, recipients: users.map((u) => ({ external_user_id: u })) });
    expect((await send(['ana', 'ben'])).status).toBe(201);

    api.clock.advance(60_000);
    const t2 = new Date(api.clock.now()).toISOString();
    const edited = await api.call(key, 'PUT', `/api/canvases/${id}`, { ...DELAYED, steps: [DELAYED.steps[0], { ...DELAYED.steps[1], config: { set: { v: 2 } } }] });
    expect(edited.body.version).toBe(2);
    expect((await send(['cai'])).status).toBe(201);

    const versions = await api.call(key, 'GET', `/api/canvases/${id}/versions`);
    expect(versions).toEqual({
      status: 200,
      body: {
        versions: [
          { version: 2, saved_at: t2, saved_by: 'API key nightly-import', users_in: 1 },
          { version: 1, saved_at: t1, saved_by: 'API key nightly-import', users_in: 2 },
        ],
      },
    });

    // Another workspace sees no such canvas, and its users never count here.
    const other = await api.workspace();
    expect((await api.call(other.key, 'GET', `/api/canvases/${id}/versions`)).status).toBe(404);
  });

  it('a version saved before who-saved was recorded says null (unknown); users who left are not counted', async () => {
    const { key } = await namedKey('old-script');
    const id = (await api.call(key, 'POST', '/api/canvases', DELAYED)).body.id as string;
    await api.call(key, 'POST', `/api/canvases/${id}/launch`);
    await api.call(key, 'POST', '/api/canvas/trigger/send', { canvas_id: id, recipients: [{ external_user_id: 'gone' }, { external_user_id: 'here' }] });
    await rawSql(kind, url(), 'update canvas_versions set saved_by = null where canvas_id = ?', [id]);
    await rawSql(kind, url(), "update entries set status = 'exited' where canvas_id = ? and external_id = 'gone'", [id]);
    expect((await api.call(key, 'GET', `/api/canvases/${id}/versions`)).body.versions).toEqual([{ version: 1, saved_at: expect.any(String), saved_by: null, users_in: 1 }]);
  });

  it('the users-in count reads the active entries through an index, not the whole table', async () => {
    const plan =
      kind === 'sqlite'
        ? (await rawSql<{ detail: string }>(kind, url(), "explain query plan select version, count(*) from entries where canvas_id = ? and workspace_id = ? and status = 'active' group by version", ['cv_x', 'ws_x'])).map((r) => r.detail).join('\n')
        : (await rawSql<{ 'QUERY PLAN': string }>(kind, url(), "explain select version, count(*) from entries where canvas_id = 'cv_x' and workspace_id = 'ws_x' and status = 'active' group by version")).map((r) => r['QUERY PLAN']).join('\n');
    expect(plan).toMatch(/entries_active_uq/);
  });

  it('problems: the reasons launch would give for the edited body, without saving it; the TikTok connection counts', async () => {
    const { key } = await api.workspace();
    const id = (await api.call(key, 'POST', '/api/canvases', { name: 'Draft' })).body.id as string;
    const broken = { name: 'Draft', first_step: 'sync', steps: [{ id: 'sync', type: 'audience_sync', next: 'ghost' }] };
    try {
      api.tiktok = { status: 'disconnected', advertiserIds: [] };
      const asked = await api.call(key, 'POST', `/api/canvases/${id}/problems`, broken);
      expect(asked.status).toBe(200);
      expect(asked.body.reasons).toEqual(
        expect.arrayContaining([
          'step sync points at a missing step: ghost',
          'step sync: audience_sync needs an advertiser_id',
          'step sync: audience_sync needs an audience_id',
          expect.stringMatching(/^TikTok: not connected/),
        ]),
      );
      // The same words launch refuses with, once saved.
      await api.call(key, 'PUT', `/api/canvases/${id}`, broken);
      const refused = await api.call(key, 'POST', `/api/canvases/${id}/launch`);
      expect(refused.status).toBe(422);
      expect([...refused.body.error.reasons].sort()).toEqual([...asked.body.reasons].sort());
    } finally {
      api.tiktok = CONNECTED;
    }
    const fixed = { ...broken, steps: [{ id: 'sync', type: 'audience_sync', next: null, config: { advertiser_id: CONNECTED.advertiserIds[0], audience_id: 'aud_1', fields: ['email'] } }] };
    expect((await api.call(key, 'POST', `/api/canvases/${id}/problems`, fixed)).body).toEqual({ shape: [], reasons: [] });
    // Asking saved nothing: the canvas is still the broken one.
    expect((await api.call(key, 'GET', `/api/canvases/${id}`)).body.steps[0].next).toBe('ghost');
    // A body PUT would refuse is answered with why, in PUT's own words, not refused: a draft half typed.
    const notCanvas = await api.call(key, 'POST', `/api/canvases/${id}/problems`, { name: 'x', steps: [{ id: 'w', type: 'delay', config: { seconds: 'soon' } }] });
    expect(notCanvas.status).toBe(200);
    expect(notCanvas.body).toEqual({ shape: [expect.stringMatching(/^steps\.0\.config\.seconds: /)], reasons: [] });
    expect((await api.call(key, 'PUT', `/api/canvases/${id}`, { name: 'x', steps: [{ id: 'w', type: 'delay', config: { seconds: 'soon' } }] })).body.error.message).toContain(notCanvas.body.shape[0]);
    expect((await api.call((await api.workspace()).key, 'POST', `/api/canvases/${id}/problems`, fixed)).status).toBe(404);
  });
});
