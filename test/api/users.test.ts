import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineHooks } from '../../src/api/deps.ts';
import { openDatabase } from '../../src/store/connect.ts';
import type { DB } from '../../src/store/schema.ts';
import { testApi, TEST_START, type TestApi } from '../support/api.ts';
import { describeEachStore } from '../support/databases.ts';

const START = Date.parse(TEST_START);
const HASH = 'a'.repeat(64);

describeEachStore('api: users', ({ store, url }) => {
  let api: TestApi;
  let db: Kysely<DB>;
  const afterTrackCalls: Parameters<EngineHooks['afterTrack']>[] = [];
  let failAfterTrack = false;
  beforeAll(async () => {
    api = await testApi(store(), {
      engine: {
        afterTrack: async (...args) => {
          afterTrackCalls.push(args);
          if (failAfterTrack) throw new Error('engine failed');
        },
      },
    });
    db = (await openDatabase(url())).db; // a second connection, to look at rows the port does not expose
  });
  afterAll(async () => {
    await api?.close();
    await db?.destroy();
  });

  const track = (key: string | null, body: unknown) => api.call(key, 'POST', '/api/users/track', body);
  const user = (key: string, externalId: string) => api.call(key, 'GET', `/api/users/${encodeURIComponent(externalId)}`);

  describe('POST /api/users/track', () => {
    it('sets standard and custom attributes; null removes; an absent key keeps', async () => {
      const { key } = await api.workspace();
      const first = await track(key, {
        attributes: [
          { external_id: 'u1', email: 'ann@example.com', phone: '+15555550100', first_name: 'Ann', country: 'us', language: 'en', idfa: 'IDFA-1', ads_tracking_enabled: true, vip: true, plan: 'gold', score: 3.5, tags: ['a', 'b'], nested: { x: { y: 1 } } },
        ],
      });
      expect(first).toEqual({ status: 200, body: { message: 'success', attributes_processed: 1, events_processed: 0 } });
      expect((await user(key, 'u1')).body.profile).toEqual({
        external_id: 'u1',
        email: 'ann@example.com',
        phone: '+15555550100',
        first_name: 'Ann',
        last_name: null,
        country: 'US',
        language: 'en',
        idfa: 'IDFA-1',
        gaid: null,
        ads_tracking_enabled: true,
        custom: { vip: true, plan: 'gold', score: 3.5, tags: ['a', 'b'], nested: { x: { y: 1 } } },
        created_at: TEST_START,
        updated_at: TEST_START,
      });

      api.clock.advance(60_000);
      const second = await track(key, { attributes: [{ external_id: 'u1', email: null, ads_tracking_enabled: null, vip: null, plan: 'platinum', last_name: 'Lee' }] });
      expect(second.status).toBe(200);
      const { profile } = (await user(key, 'u1')).body;
      expect(profile).toMatchObject({ email: null, ads_tracking_enabled: null, phone: '+15555550100', first_name: 'Ann', last_name: 'Lee', country: 'US' });
      expect(profile.custom).toEqual({ plan: 'platinum', score: 3.5, tags: ['a', 'b'], nested: { x: { y: 1 } } });
      expect(profile.created_at).toBe(TEST_START);
      expect(profile.updated_at).toBe(new Date(START + 60_000).toISOString());
      api.clock.set(START);
    });

    it('applies several objects for one user in order, later ones winning', async () => {
      const { key } = await api.workspace();
      const res = await track(key, { attributes: [{ external_id: 'u', plan: 'a', email: 'a@example.com' }, { external_id: 'u', plan: 'b' }] });
      expect(res.body.attributes_processed).toBe(2);
      expect((await user(key, 'u')).body.profile).toMatchObject({ email: 'a@example.com', custom: { plan: 'b' } });
    });

    it('stores events, creates unknown users empty, leaves known users untouched, and hands both to the engine in the same call', async () => {
      const { id, key } = await api.workspace();
      await track(key, { attributes: [{ external_id: 'known', email: 'k@example.com' }] });
      api.clock.advance(5_000);
      afterTrackCalls.length = 0;
      const res = await track(key, {
        events: [
          { external_id: 'known', name: 'purchase', time: '2026-11-01T10:00:00+02:00', properties: { sku: 'A1', price: 9.5 }, app_id: 'ignored' },
          { external_id: 'newcomer', name: 'signup' },
          { external_id: 'newcomer', name: 'opened', time: '2026-11-02T00:00:00' },
        ],
      });
      expect(res).toEqual({ status: 200, body: { message: 'success', attributes_processed: 0, events_processed: 3 } });

      const rows = await db.selectFrom('events').selectAll().where('workspace_id', '=', id).orderBy('id').execute();
      expect(rows.map((r) => [r.external_id, r.name, Number(r.time), JSON.parse(r.properties)])).toEqual([
        ['known', 'purchase', Date.parse('2026-11-01T08:00:00Z'), { sku: 'A1', price: 9.5 }],
        ['newcomer', 'signup', START + 5_000, {}],
        ['newcomer', 'opened', Date.parse('2026-11-02T00:00:00Z'), {}], // no time zone: read as UTC
      ]);
      expect((await user(key, 'newcomer')).body.profile).toMatchObject({ external_id: 'newcomer', email: null, custom: {} });
      expect((await user(key, 'known')).body.profile).toMatchObject({ email: 'k@example.com', updated_at: TEST_START });

      expect(afterTrackCalls).toHaveLength(1);
      const [, workspaceId, written, now] = afterTrackCalls[0]!;
      expect([workspaceId, now]).toEqual([id, START + 5_000]);
      expect(written.profiles.map((p) => p.externalId).sort()).toEqual(['known', 'newcomer']);
      expect(written.events.map((e) => e.name)).toEqual(['purchase', 'signup', 'opened']);
      api.clock.set(START);
    });

    it('reports per-object problems in errors[] and processes the rest', async () => {
      const { key } = await api.workspace();
      const res = await track(key, {
        attributes: [
          { external_id: 'ok1', country: 'fr' },
          { email: 'no-id@example.com' },
          { external_id: '' },
          { external_id: 'x'.repeat(256) },
          { external_id: 'bad-country', country: 'FRA' },
          { external_id: 'bad-bool', ads_tracking_enabled: 'yes' },
          { external_id: 'bad-email', email: 42 },
          'not an object',
          { external_id: 'ok2', email: 'ok2@example.com' },
        ],
        events: [
          { external_id: 'ok1', name: 'e1' },
          { external_id: 'ok1' },
          { external_id: 'ok1', name: 'e3', time: 'yesterday' },
          { external_id: 'ok1', name: 'e4', properties: [1, 2] },
          { external_id: 'ok1', name: 'e5', time: '2026-02-30T00:00:00Z' },
          null,
        ],
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ message: 'success', attributes_processed: 2, events_processed: 1 });
      expect(res.body.errors.map((e: { index: number; type: string }) => [e.type, e.index])).toEqual([
        ['attributes', 1],
        ['attributes', 2],
        ['attributes', 3],
        ['attributes', 4],
        ['attributes', 5],
        ['attributes', 6],
        ['attributes', 7],
        ['events', 1],
        ['events', 2],
        ['events', 3],
        ['events', 4],
        ['events', 5],
      ]);
      const messages = res.body.errors.map((e: { message: string }) => e.message);
      expect(messages[0]).toBe('external_id: is required');
      expect(messages[3]).toMatch(/^country: must be an ISO 3166 alpha-2 code/);
      expect(messages[6]).toBe('must be a JSON object');
      expect(messages[7]).toBe('name: is required');
      expect(JSON.stringify(res.body)).not.toContain('no-id@example.com'); // messages name fields, never values
      expect((await user(key, 'ok1')).body.profile.country).toBe('FR');
      expect((await user(key, 'ok2')).status).toBe(200);
      expect((await user(key, 'bad-country')).status).toBe(404);
    });

    it('refuses custom values nested deeper than 32 levels or with non-finite numbers, per object', async () => {
      const { key } = await api.workspace();
      let deep: unknown = 1;
      for (let i = 0; i < 40; i++) deep = [deep];
      const res = await track(key, `{"attributes":[{"external_id":"deep","x":${JSON.stringify(deep)}},{"external_id":"inf","x":1e999},{"external_id":"fine","x":[[[1]]]}]}`);
      expect(res.body).toMatchObject({ attributes_processed: 1, errors: [{ index: 0 }, { index: 1 }] });
    });

    it('refuses the NUL character in stored text (PostgreSQL cannot hold it), per object and in the path', async () => {
      const { key } = await api.workspace();
      const res = await track(key, { attributes: [{ external_id: 'a\u0000' }, { external_id: 'nul', email: 'x\u0000' }, { external_id: 'nul-in-json', note: 'ok\u0000' }], events: [{ external_id: 'nul', name: 'e\u0000' }] });
      expect(res.body).toMatchObject({ attributes_processed: 1, events_processed: 0, errors: [{ index: 0 }, { index: 1 }, { index: 0, type: 'events' }] });
      expect((await user(key, 'nul-in-json')).body.profile.custom).toEqual({ note: 'ok\u0000' }); // JSON values escape it
      expect((await api.call(key, 'GET', '/api/users/%00')).status).toBe(400);
    });

    it('accepts exactly 10,000 objects and answers 413 too_many_objects for 10,001', async () => {
      const { key } = await api.workspace();
      const attributes = Array.from({ length: 9_000 }, (_, i) => ({ external_id: `u${i}`, email: `u${i}@example.com`, i }));
      const events = Array.from({ length: 1_000 }, (_, i) => ({ external_id: `u${i}`, name: 'seen' }));
      const ok = await track(key, { attributes, events });
      expect(ok.body).toEqual({ message: 'success', attributes_processed: 9_000, events_processed: 1_000 });
      const tooMany = await track(key, { attributes, events: [...events, { external_id: 'u0', name: 'one more' }] });
      expect(tooMany).toEqual({ status: 413, body: { error: { code: 'too_many_objects', message: expect.stringContaining('10000') } } });
    });

    it.each([
      ['malformed JSON', '{"attributes": [', 'bad_request'],
      ['an empty body', '', 'bad_request'],
      ['a JSON array', '[]', 'invalid_request'],
      ['a JSON string', '"x"', 'invalid_request'],
      ['JSON null', 'null', 'invalid_request'],
      ['neither array', '{"purchases":[]}', 'invalid_request'],
      ['attributes not an array', '{"attributes":{"external_id":"u"}}', 'invalid_request'],
      ['events not an array', '{"attributes":[],"events":"x"}', 'invalid_request'],
      ['attributes null', '{"attributes":null}', 'invalid_request'],
    ])('answers 400 for %s', async (_name, body, code) => {
      const { key } = await api.workspace();
      const res = await track(key, body);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ error: { code, message: expect.any(String) } });
    });

    it('answers 415 for a content type it does not read, and 400 for plain text', async () => {
      const { key } = await api.workspace();
      const send = (type: string) => api.app.inject({ method: 'POST', url: '/api/users/track', headers: { authorization: `Bearer ${key}`, 'content-type': type }, payload: '<a/>' });
      const xml = await send('application/xml');
      expect([xml.statusCode, xml.json().error.code]).toEqual([415, 'unsupported_media_type']);
      const text = await send('text/plain'); // Fastify reads text/plain as a string: not an object
      expect([text.statusCode, text.json().error.code]).toEqual([400, 'invalid_request']);
    });

    it('answers 401 without a key or with a wrong one', async () => {
      expect(await track(null, { attributes: [] })).toMatchObject({ status: 401, body: { error: { code: 'unauthorized' } } });
      expect(await track('ck_wrong', { attributes: [] })).toMatchObject({ status: 401, body: { error: { code: 'unauthorized' } } });
      expect((await api.call(null, 'GET', '/api/users/u1')).status).toBe(401);
    });

    it('writes nothing when the engine hook fails inside the transaction (500, generic message)', async () => {
      const { key } = await api.workspace();
      failAfterTrack = true;
      try {
        const res = await track(key, { attributes: [{ external_id: 'rolled-back', email: 'r@example.com' }], events: [{ external_id: 'rolled-back', name: 'x' }] });
        expect(res).toEqual({ status: 500, body: { error: { code: 'internal_error', message: expect.not.stringContaining('engine failed') } } });
      } finally {
        failAfterTrack = false;
      }
      expect((await user(key, 'rolled-back')).status).toBe(404);
      expect(await db.selectFrom('events').select('id').where('external_id', '=', 'rolled-back').execute()).toEqual([]);
    });
  });

  describe('GET /api/users/{external_id}', () => {
    it('answers the profile, its events, its entries and its sync items with the fields sent, never a whole hash or an internal id', async () => {
      const { id, key } = await api.workspace();
      await track(key, {
        attributes: [{ external_id: 'hist', email: 'h@example.com', vip: true }],
        events: [
          { external_id: 'hist', name: 'purchase', time: new Date(START - 60_000).toISOString(), properties: { sku: '<b>X</b>', amount: 12 } },
          { external_id: 'hist', name: 'app_open', time: new Date(START - 1_000).toISOString() },
        ],
      });
      const profileId = Number((await store().getProfile(id, 'hist'))!.id);
      const entry = { workspace_id: id, version: 1, profile_id: profileId, external_id: 'hist', step_entered_at: START, exit_requested: 0, claim_count: 0 };
      await db
        .insertInto('entries')
        .values([
          { ...entry, canvas_id: 'cv_old', step_id: null, status: 'exited', entered_at: START - 2_000, exited_at: START - 1_000 },
          { ...entry, canvas_id: 'cv_new', version: 2, step_id: 'wait', status: 'active', entered_at: START, exited_at: null, due_at: START + 3_600_000 },
        ])
        .execute();
      // Sync items are members of batches (migration 0007). The add's batch synced; the remove's is pending.
      const batch = { workspace_id: id, canvas_id: 'cv_new', step_id: 'sync', advertiser_id: '7000000000000000001', audience_id: 'aud1', failed_attempts: 0, size: 1, overridden: 0 };
      const batches = await db
        .insertInto('sync_batches')
        .values([
          { ...batch, action: 'add', outcome: 'synced', reason: null, created_at: START - 500, settled_at: START },
          { ...batch, action: 'remove', outcome: 'pending', reason: null, created_at: START, settled_at: null, due_at: START },
        ])
        .returning('id')
        .execute();
      // Their payloads (migration 0008), in the JSON form batches converted from sync items keep.
      const payloads = [{ profiles: [profileId], email: [HASH], phone: [HASH] }, { profiles: [profileId], idfa: [HASH] }];
      await db.insertInto('sync_payloads').values(batches.map((b, i) => ({ batch_id: Number(b.id), payload: Buffer.from(JSON.stringify(payloads[i])) }))).execute();
      // The synced add sent email and phone (bits 1, 2); the pending remove is from before migration 0019 (null).
      await db.insertInto('sync_members').values(batches.map((b, i) => ({ batch_id: Number(b.id), position: 0, profile_id: profileId, entry_id: 1, fields: i === 0 ? 3 : null }))).execute();
      await db.updateTable('sync_batches').set({ failed_attempts: 2, last_error: 'rate_limited', due_at: START + 30_000 }).where('id', '=', Number(batches[1]!.id)).execute();

      const res = await user(key, 'hist');
      expect(res.status).toBe(200);
      expect(res.body.canvas_entries).toEqual([
        { canvas_id: 'cv_new', canvas_name: null, version: 2, step_id: 'wait', status: 'active', entered_at: TEST_START, exited_at: null, failure_reason: null },
        { canvas_id: 'cv_old', canvas_name: null, version: 1, step_id: null, status: 'exited', entered_at: new Date(START - 2_000).toISOString(), exited_at: new Date(START - 1_000).toISOString(), failure_reason: null },
      ]);
      expect(res.body.sync_items).toEqual([
        {
          canvas_id: 'cv_new', step_id: 'sync', advertiser_id: '7000000000000000001', audience_id: 'aud1', action: 'remove', outcome: 'pending', reason: null, created_at: TEST_START, settled_at: null,
          failed_attempts: 2, last_error: 'rate_limited', next_attempt_at: new Date(START + 30_000).toISOString(),
          // Pending: its payload still exists, so the hash shows, truncated.
          identifiers: { fields: null, hashes: { idfa: 'aaaaaaaa…' } },
        },
        {
          canvas_id: 'cv_new', step_id: 'sync', advertiser_id: '7000000000000000001', audience_id: 'aud1', action: 'add', outcome: 'synced', reason: null, created_at: new Date(START - 500).toISOString(), settled_at: TEST_START,
          failed_attempts: 0, last_error: null, next_attempt_at: null,
          // Final: which fields were sent stays; the hashes are not read even though this payload was not pruned yet.
          identifiers: { fields: ['email', 'phone'], hashes: null },
        },
      ]);
      expect(res.body.events).toEqual([
        { name: 'app_open', time: new Date(START - 1_000).toISOString(), properties: {} },
        { name: 'purchase', time: new Date(START - 60_000).toISOString(), properties: { sku: '<b>X</b>', amount: 12 } },
      ]);
      expect(Object.keys(res.body).sort()).toEqual(['canvas_entries', 'events', 'profile', 'sync_items']);
      const text = JSON.stringify(res.body);
      for (const leak of [HASH, 'sha256', 'payload', 'batch', 'workspace', 'profile_id', '"id"']) expect(text).not.toContain(leak);
    });

    it('answers 404 for an unknown user and for another workspace’s user', async () => {
      const a = await api.workspace();
      const b = await api.workspace();
      await track(a.key, { attributes: [{ external_id: 'mine', email: 'mine@example.com' }] });
      expect((await user(a.key, 'mine')).status).toBe(200);
      expect(await user(b.key, 'mine')).toEqual({ status: 404, body: { error: { code: 'user_not_found', message: expect.any(String) } } });
      expect((await user(a.key, 'nobody')).status).toBe(404);
    });

    it('finds external ids of 255 characters, also non-ASCII ones, and refuses longer ones with 400', async () => {
      const { key } = await api.workspace();
      const long = '用'.repeat(255);
      await track(key, { attributes: [{ external_id: long }, { external_id: 'a/b?c#d' }] });
      expect((await user(key, long)).body.profile.external_id).toBe(long);
      expect((await user(key, 'a/b?c#d')).body.profile.external_id).toBe('a/b?c#d');
      expect(await user(key, 'x'.repeat(256))).toMatchObject({ status: 400, body: { error: { code: 'invalid_request' } } });
    });
  });

  describe('OpenAPI', () => {
    it('serves the document without a key, listing the routes with their schemas, and no hash field', async () => {
      const res = await api.app.inject({ method: 'GET', url: '/api/openapi.json' });
      expect(res.statusCode).toBe(200);
      const doc = res.json();
      expect(doc.openapi).toMatch(/^3\./);
      expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/users/track', '/api/users/{external_id}', '/healthz']));
      const trackOp = doc.paths['/api/users/track'].post;
      expect(Object.keys(trackOp.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '413']));
      const attributes = trackOp.requestBody.content['application/json'].schema.properties.attributes.items;
      expect(Object.keys(attributes.properties)).toEqual(['external_id', 'email', 'phone', 'first_name', 'last_name', 'country', 'language', 'idfa', 'gaid', 'ads_tracking_enabled']);
      const eventTime = trackOp.requestBody.content['application/json'].schema.properties.events.items.properties.time;
      expect(eventTime).toMatchObject({ type: 'string', format: 'date-time' });
      expect(eventTime).not.toHaveProperty('pattern');
      const userOp = doc.paths['/api/users/{external_id}'].get;
      expect(userOp.parameters).toEqual([expect.objectContaining({ name: 'external_id', in: 'path', required: true })]);
      expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
      expect(doc.paths['/healthz'].get.security).toEqual([]);
      // Setup and the session routes carry the session's CSRF token and a link's token by contract (spec §8); no other route names one.
      const others = Object.fromEntries(Object.entries(doc.paths as Record<string, unknown>).filter(([path]) => !path.startsWith('/api/session') && path !== '/api/setup'));
      expect(JSON.stringify({ ...doc, paths: others })).not.toMatch(/sha256|token|lease/i);
    });

    it('serves the browsable docs without a key', async () => {
      const res = await api.app.inject({ method: 'GET', url: '/api/docs' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toContain('text/html');
    });
  });
});
