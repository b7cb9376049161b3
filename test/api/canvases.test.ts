import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseCanvas } from '../../src/core/canvas.ts';
import { describeEachStore } from '../support/databases.ts';
import { canvasApi, CONNECTED, SPEC_CANVAS, type CanvasApi } from './canvas-app.ts';

const META = ['id', 'status', 'version', 'created_at', 'updated_at', 'launched_at'];
const withoutMeta = (answer: Record<string, unknown>) => Object.fromEntries(Object.entries(answer).filter(([k]) => !META.includes(k)));

describeEachStore('api: canvases CRUD and lifecycle', ({ store }) => {
  let api: CanvasApi;
  beforeAll(async () => {
    api = await canvasApi(store());
  });
  afterAll(async () => {
    await api?.close();
  });

  async function draft(key: string, body: unknown = SPEC_CANVAS) {
    const res = await api.call(key, 'POST', '/api/canvases', body);
    expect(res.status).toBe(201);
    return res.body as { id: string; version: number; status: string };
  }

  it('POST answers 201 with the canvas, its defaults, an id, status draft and version 1; GET returns the same', async () => {
    const { key } = await api.workspace();
    const now = new Date(api.clock.now()).toISOString();
    const created = await api.call(key, 'POST', '/api/canvases', SPEC_CANVAS);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ ...SPEC_CANVAS, status: 'draft', version: 1, created_at: now, updated_at: now, launched_at: null });
    expect(created.body.id).toMatch(/^cv_[0-9a-f]{24}$/);
    // Round trip: what was POSTed plus the schema's defaults, nothing lost or added.
    const expected = parseCanvas(SPEC_CANVAS);
    expect(expected.ok && withoutMeta(created.body)).toEqual(expected.ok && JSON.parse(JSON.stringify(expected.canvas)));
    const got = await api.call(key, 'GET', `/api/canvases/${created.body.id}`);
    expect(got).toEqual({ status: 200, body: created.body });
  });

  it('a minimal draft gets every default, and may be incomplete', async () => {
    const { key } = await api.workspace();
    const res = await api.call(key, 'POST', '/api/canvases', { name: 'wip', first_step: 'ghost', steps: [{ id: 'a', type: 'audience_sync' }] });
    expect(res.status).toBe(201);
    expect(withoutMeta(res.body)).toEqual({
      name: 'wip',
      entry: { type: 'api' },
      audience: null,
      reentry: { allowed: false, after_seconds: 0 },
      exit: { events: [] },
      first_step: 'ghost',
      steps: [{ id: 'a', type: 'audience_sync', next: null, config: { partner: 'tiktok', action: 'add', fields: [] } }],
    });
  });

  it('PUT edits a draft in place: same version, new definition, updated_at from the clock', async () => {
    const { id: ws, key } = await api.workspace();
    const t0 = api.clock.now();
    const { id } = await draft(key);
    api.clock.advance(60_000);
    const res = await api.call(key, 'PUT', `/api/canvases/${id}`, { ...SPEC_CANVAS, name: 'renamed' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id, name: 'renamed', status: 'draft', version: 1, created_at: new Date(t0).toISOString(), updated_at: new Date(t0 + 60_000).toISOString() });
    expect((await store().getCanvasVersion(ws, id, 1))?.definition.name).toBe('renamed');
    expect(await store().getCanvasVersion(ws, id, 2)).toBeNull();
  });

  it('PUT of a GET answer (with id, status, version and times) round-trips', async () => {
    const { key } = await api.workspace();
    const { id } = await draft(key);
    const got = await api.call(key, 'GET', `/api/canvases/${id}`);
    const put = await api.call(key, 'PUT', `/api/canvases/${id}`, got.body);
    expect(put).toEqual({ status: 200, body: got.body });
  });

  it('lists newest first, filters by status, and never shows another workspace', async () => {
    const { key } = await api.workspace();
    const other = await api.workspace();
    await draft(other.key, { name: 'theirs' });
    const a = await draft(key, { name: 'a' });
    api.clock.advance(1_000);
    const b = await draft(key, { name: 'b' });
    api.clock.advance(1_000);
    const c = await draft(key, { name: 'c', first_step: 'w', steps: [{ id: 'w', type: 'delay', config: { seconds: 1 } }] });
    expect((await api.call(key, 'POST', `/api/canvases/${c.id}/launch`)).status).toBe(200);
    const all = await api.call(key, 'GET', '/api/canvases');
    expect(all.status).toBe(200);
    expect(all.body.canvases.map((x: { id: string }) => x.id)).toEqual([c.id, b.id, a.id]);
    expect(all.body.next_cursor).toBeNull(); // paging: test/api/canvases-paging.test.ts
    expect(all.body.canvases[0]).toMatchObject({ name: 'c', status: 'active', version: 1, steps: [{ id: 'w', type: 'delay' }] });
    const drafts = await api.call(key, 'GET', '/api/canvases?status=draft');
    expect(drafts.body.canvases.map((x: { id: string }) => x.id)).toEqual([b.id, a.id]);
    const bad = await api.call(key, 'GET', '/api/canvases?status=paused');
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_request');
  });

  it('answers 404 for an unknown id and for another workspace\'s canvas, on every route', async () => {
    const mine = await api.workspace();
    const theirs = await api.workspace();
    const { id } = await draft(theirs.key);
    for (const target of ['cv_000000000000000000000000', id]) {
      for (const [method, path, body] of [
        ['GET', '', undefined],
        ['PUT', '', SPEC_CANVAS],
        ['DELETE', '', undefined],
        ['POST', '/launch', undefined],
        ['POST', '/stop', undefined],
        ['POST', '/archive', undefined],
      ] as const) {
        const res = await api.call(mine.key, method, `/api/canvases/${target}${path}`, body);
        expect(res, `${method} ${path} on ${target}`).toEqual({ status: 404, body: { error: { code: 'canvas_not_found', message: `no canvas ${target} in this workspace` } } });
      }
    }
    expect((await api.call(theirs.key, 'GET', `/api/canvases/${id}`)).body.status).toBe('draft');
  });

  it('refuses malformed JSON and bodies of the wrong shape with 400, listing every problem', async () => {
    const { key } = await api.workspace();
    const malformed = await api.call(key, 'POST', '/api/canvases', '{"name": "x",');
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('bad_request');

    const wrong = await api.call(key, 'POST', '/api/canvases', { name: 7, entry: { type: 'cron' }, steps: [{ id: 'a', type: 'delay', config: { seconds: 'soon' } }], audience: { attribute: 'x', op: 'like' } });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.code).toBe('invalid_canvas');
    for (const path of ['name:', 'entry.type:', 'audience.op:', 'steps.0.config.seconds:']) expect(wrong.body.error.message).toContain(path);

    for (const body of [{}, [], 'null', '"a string"']) {
      const res = await api.call(key, 'POST', '/api/canvases', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe('invalid_canvas');
    }
    const { id } = await draft(key);
    const badPut = await api.call(key, 'PUT', `/api/canvases/${id}`, { name: '' });
    expect(badPut.status).toBe(400);
    expect(badPut.body.error.message).toContain('name:');
    expect((await api.call(key, 'GET', '/api/canvases')).body.canvases).toHaveLength(1);
  });

  it('takes a lifecycle POST with an empty body labelled JSON; still refuses poisoned or empty canvas bodies', async () => {
    const { key } = await api.workspace();
    const { id } = await draft(key);
    const post = (url: string, payload: string, type = 'application/json') =>
      api.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${key}`, 'content-type': type }, payload });
    expect((await post(`/api/canvases/${id}/launch`, '')).statusCode).toBe(200);
    expect((await post(`/api/canvases/${id}/stop`, '', 'application/json; charset=utf-8')).statusCode).toBe(200);
    const empty = await post('/api/canvases', '');
    expect([empty.statusCode, empty.json().error.code]).toEqual([400, 'invalid_canvas']);
    const poisoned = await post('/api/canvases', '{"name":"x","__proto__":{"admin":true}}');
    expect([poisoned.statusCode, poisoned.json().error.code]).toEqual([400, 'bad_request']);
  });

  it('DELETE removes a draft and its versions; any other canvas must be archived instead (409)', async () => {
    const { id: ws, key } = await api.workspace();
    const { id } = await draft(key);
    expect((await api.call(key, 'DELETE', `/api/canvases/${id}`)).status).toBe(204);
    expect((await api.call(key, 'GET', `/api/canvases/${id}`)).status).toBe(404);
    expect(await store().getCanvasVersion(ws, id, 1)).toBeNull();

    const live = await draft(key);
    await api.call(key, 'POST', `/api/canvases/${live.id}/launch`);
    const refused = await api.call(key, 'DELETE', `/api/canvases/${live.id}`);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toEqual({ code: 'canvas_not_draft', message: `only a draft can be deleted; canvas ${live.id} is active: archive it instead` });
    await api.call(key, 'POST', `/api/canvases/${live.id}/archive`);
    expect((await api.call(key, 'DELETE', `/api/canvases/${live.id}`)).status).toBe(409);
  });

  it('walks draft → active → stopped → active → archived, refusing every other move with 409', async () => {
    const { key } = await api.workspace();
    const { id } = await draft(key);
    const at = (path: string) => api.call(key, 'POST', `/api/canvases/${id}${path}`);
    const expectConflict = async (path: string, code: string) => {
      const res = await at(path);
      expect(res.status, path).toBe(409);
      expect(res.body.error.code, path).toBe(code);
    };

    await expectConflict('/stop', 'canvas_not_active');
    const t0 = api.clock.now();
    const iso = (ms: number) => new Date(ms).toISOString();
    api.clock.advance(1_000);
    const launched = await at('/launch');
    expect(launched.body).toMatchObject({ status: 'active', version: 1, launched_at: iso(t0 + 1_000) });
    await expectConflict('/launch', 'canvas_active');

    api.clock.advance(1_000);
    expect((await at('/stop')).body).toMatchObject({ status: 'stopped', updated_at: iso(t0 + 2_000) });
    await expectConflict('/stop', 'canvas_not_active');

    api.clock.advance(1_000);
    // Resume keeps the first launch time.
    expect((await at('/launch')).body).toMatchObject({ status: 'active', launched_at: iso(t0 + 1_000), updated_at: iso(t0 + 3_000) });

    expect((await at('/archive')).body).toMatchObject({ status: 'archived' });
    await expectConflict('/archive', 'canvas_archived');
    await expectConflict('/launch', 'canvas_archived');
    await expectConflict('/stop', 'canvas_not_active');
    const edit = await api.call(key, 'PUT', `/api/canvases/${id}`, SPEC_CANVAS);
    expect(edit.status).toBe(409);
    expect(edit.body.error.code).toBe('canvas_archived');
    expect((await api.call(key, 'GET', `/api/canvases/${id}`)).body).toMatchObject({ status: 'archived', version: 1 });
  });

  it('archives a draft and a stopped canvas too', async () => {
    const { key } = await api.workspace();
    const a = await draft(key);
    expect((await api.call(key, 'POST', `/api/canvases/${a.id}/archive`)).body).toMatchObject({ status: 'archived', launched_at: null });
    const b = await draft(key);
    await api.call(key, 'POST', `/api/canvases/${b.id}/launch`);
    await api.call(key, 'POST', `/api/canvases/${b.id}/stop`);
    expect((await api.call(key, 'POST', `/api/canvases/${b.id}/archive`)).body).toMatchObject({ status: 'archived' });
  });

  it('PUT on an active canvas makes a new version; the old one stays readable for the users inside', async () => {
    const { id: ws, key } = await api.workspace();
    const { id } = await draft(key);
    await api.call(key, 'POST', `/api/canvases/${id}/launch`);
    const v2 = { ...SPEC_CANVAS, name: 'VIP retarget v2', steps: SPEC_CANVAS.steps.map((s) => (s.id === 'wait' ? { ...s, config: { seconds: 60 } } : s)) };
    const put = await api.call(key, 'PUT', `/api/canvases/${id}`, v2);
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ status: 'active', version: 2, name: 'VIP retarget v2' });
    const got = (await api.call(key, 'GET', `/api/canvases/${id}`)).body;
    expect(got).toMatchObject({ version: 2, name: 'VIP retarget v2' });
    expect(got.steps[1]).toMatchObject({ id: 'wait', config: { seconds: 60 } });

    const v1 = await store().getCanvasVersion(ws, id, 1);
    expect(v1?.definition.name).toBe('VIP retarget');
    expect(v1?.definition.steps[1]).toMatchObject({ id: 'wait', config: { seconds: 3600 } });
    const both = await store().getCanvasVersions(ws, [{ canvasId: id, version: 1 }, { canvasId: id, version: 2 }, { canvasId: id, version: 1 }, { canvasId: id, version: 9 }]);
    expect(both.map((v) => [v.version, v.definition.name]).sort()).toEqual([[1, 'VIP retarget'], [2, 'VIP retarget v2']]);
    expect(await store().getCanvasVersions('ws_elsewhere', [{ canvasId: id, version: 1 }])).toEqual([]);

    // The same definition again is not a new version.
    expect((await api.call(key, 'PUT', `/api/canvases/${id}`, v2)).body.version).toBe(2);
    // A stopped canvas stays editable; its edits are versions too.
    await api.call(key, 'POST', `/api/canvases/${id}/stop`);
    expect((await api.call(key, 'PUT', `/api/canvases/${id}`, SPEC_CANVAS)).body).toMatchObject({ status: 'stopped', version: 3, name: 'VIP retarget' });
  });

  it('refuses an edit that would leave an active canvas unable to run (422), but not for the connection status', async () => {
    const { key } = await api.workspace();
    const { id } = await draft(key);
    await api.call(key, 'POST', `/api/canvases/${id}/launch`);
    const broken = await api.call(key, 'PUT', `/api/canvases/${id}`, { ...SPEC_CANVAS, first_step: 'gone' });
    expect(broken.status).toBe(422);
    expect(broken.body.error).toMatchObject({ code: 'update_refused', reasons: ['first_step points at a missing step: gone'] });
    expect((await api.call(key, 'GET', `/api/canvases/${id}`)).body).toMatchObject({ version: 1, first_step: 'sync' });

    api.tiktok = { status: 'invalid_token', advertiserIds: CONNECTED.advertiserIds };
    try {
      expect((await api.call(key, 'PUT', `/api/canvases/${id}`, { ...SPEC_CANVAS, name: 'still editable' })).body).toMatchObject({ version: 2 });
    } finally {
      api.tiktok = CONNECTED;
    }
  });

  it('finds the active canvases an event enters, through the entry columns kept in step with each version', async () => {
    const { id: ws, key } = await api.workspace();
    const onPurchase = { name: 'on purchase', entry: { type: 'event', event: 'purchase' }, first_step: 'w', steps: [{ id: 'w', type: 'delay', config: { seconds: 1 } }] };
    const a = await draft(key, onPurchase);
    const b = await draft(key, { ...onPurchase, name: 'still a draft' });
    await draft(key, { ...onPurchase, name: 'api', entry: { type: 'api' } });
    expect(await store().listActiveCanvasesByEntryEvent(ws, ['purchase'])).toEqual([]);
    await api.call(key, 'POST', `/api/canvases/${a.id}/launch`);
    const found = await store().listActiveCanvasesByEntryEvent(ws, ['purchase', 'signup', 'purchase']);
    expect(found.map((c) => [c.id, c.version, c.definition.name])).toEqual([[a.id, 1, 'on purchase']]);
    expect(b.status).toBe('draft');

    await api.call(key, 'PUT', `/api/canvases/${a.id}`, { ...onPurchase, entry: { type: 'event', event: 'signup' } });
    expect(await store().listActiveCanvasesByEntryEvent(ws, ['purchase'])).toEqual([]);
    expect((await store().listActiveCanvasesByEntryEvent(ws, ['signup'])).map((c) => c.version)).toEqual([2]);
    expect(await store().listActiveCanvasesByEntryEvent('ws_elsewhere', ['signup'])).toEqual([]);
    await api.call(key, 'POST', `/api/canvases/${a.id}/stop`);
    expect(await store().listActiveCanvasesByEntryEvent(ws, ['signup'])).toEqual([]);
  });
});
