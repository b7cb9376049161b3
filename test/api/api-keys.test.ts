/**
 * API keys over HTTP (issue 19 item 7; spec §8 "API keys"), on both stores: an admin signed in to the
 * dashboard creates a named key (shown once), a script uses it, the list shows when it was last used
 * (written at most once a minute), revoking it makes the very next request a 401. Viewers, editors,
 * API keys and other workspaces' admins are refused.
 */
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Store } from '../../src/store/port.ts';
import { testApi, TEST_START, type TestApi } from '../support/api.ts';
import { describeEachStore } from '../support/databases.ts';
import { signedInMember, type Browser } from '../support/sessions.ts';

const json = (res: LightMyRequestResponse) => JSON.parse(res.body);
const track = (api: TestApi, key: string, id = 'u1') => api.call(key, 'POST', '/api/users/track', { attributes: [{ external_id: id }] });
const minutes = (n: number) => n * 60_000;
/** The ISO time `ms` after the test clock's start. */
const at = (ms: number) => new Date(Date.parse(TEST_START) + ms).toISOString();

describeEachStore('api: API keys', ({ store }) => {
  let api: TestApi;
  let ws: { id: string; key: string };
  let admin: Browser;
  let touches: number;

  beforeAll(async () => {
    // The store as the API sees it, counting the writes of "last used".
    touches = 0;
    const counted: Store = { ...store(), touchApiKey: (id, at) => ((touches += 1), store().touchApiKey(id, at)) };
    api = await testApi(counted);
    ws = await api.workspace();
    admin = await signedInMember(api.app, store(), api.clock, ws.id, 'admin');
  });
  afterAll(async () => {
    await api?.close();
  });

  const listed = async (browser: Browser = admin) => {
    const res = await browser.send('GET', '/api/api-keys');
    expect(res.statusCode).toBe(200);
    return json(res).api_keys as { id: string; name: string; created_at: string; last_used_at: string | null }[];
  };

  it('an admin creates a named key, shown once; a script uses it; the list shows it last used, never the key', async () => {
    api.clock.advance(minutes(1));
    const created = await admin.send('POST', '/api/api-keys', { name: '  Importer ' });
    expect(created.statusCode).toBe(201);
    const body = json(created);
    expect(body).toEqual({ id: expect.stringMatching(/^key_[0-9a-f]{16}$/), name: 'Importer', created_at: at(minutes(1)), last_used_at: null, api_key: expect.stringMatching(/^ck_[A-Za-z0-9_-]{43}$/) });

    api.clock.advance(minutes(4));
    expect((await track(api, body.api_key)).status).toBe(200);
    const keys = await listed();
    // Newest first: the key made with the workspace (before sessions existed) comes after.
    expect(keys).toEqual([
      { id: body.id, name: 'Importer', created_at: at(minutes(1)), last_used_at: at(minutes(5)) },
      { id: `key_${ws.id}`, name: 'API key', created_at: TEST_START, last_used_at: null },
    ]);
    const text = (await admin.send('GET', '/api/api-keys')).body;
    expect(text).not.toContain(body.api_key);
    expect(text).not.toContain('hash');
  });

  it('"last used" is written at most once a minute per key, however many requests use it', async () => {
    const { api_key: key, id } = json(await admin.send('POST', '/api/api-keys', { name: 'Busy script' }));
    const lastUsed = async () => (await listed()).find((k) => k.id === id)!.last_used_at;
    const iso = (ms: number) => new Date(ms).toISOString();
    const first = api.clock.now();
    const before = touches;
    // Fifty concurrent requests: one write.
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => track(api, key, `busy-${i}`)));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(touches - before).toBe(1);
    expect(await lastUsed()).toBe(iso(first));
    // 59 s later: used again, not written again.
    api.clock.advance(59_000);
    expect((await track(api, key)).status).toBe(200);
    expect(touches - before).toBe(1);
    expect(await lastUsed()).toBe(iso(first));
    // A minute after the write: written again.
    api.clock.advance(1_000);
    expect((await track(api, key)).status).toBe(200);
    expect(touches - before).toBe(2);
    expect(await lastUsed()).toBe(iso(first + 60_000));
  });

  it('revoke takes effect at once: the very next request with the key is a 401', async () => {
    const { api_key: key, id } = json(await admin.send('POST', '/api/api-keys', { name: 'Soon revoked' }));
    expect((await track(api, key)).status).toBe(200);
    expect((await admin.send('DELETE', `/api/api-keys/${id}`)).statusCode).toBe(204);
    const refused = await track(api, key);
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe('unauthorized');
    expect((await listed()).map((k) => k.id)).not.toContain(id);
    expect((await admin.send('DELETE', `/api/api-keys/${id}`)).statusCode).toBe(404);
    // The workspace's other keys are untouched.
    expect((await track(api, ws.key)).status).toBe(200);
  });

  it('viewers and editors get 403 on every API-key route', async () => {
    const { id } = json(await admin.send('POST', '/api/api-keys', { name: 'Kept' }));
    for (const role of ['viewer', 'editor'] as const) {
      const member = await signedInMember(api.app, store(), api.clock, ws.id, role);
      for (const [method, url, body] of [['GET', '/api/api-keys'], ['POST', '/api/api-keys', { name: 'Mine' }], ['DELETE', `/api/api-keys/${id}`]] as const) {
        const res = await member.send(method, url, body);
        expect([role, method, res.statusCode, json(res).error.code]).toEqual([role, method, 403, 'forbidden']);
      }
    }
    expect((await listed()).map((k) => k.name)).not.toContain('Mine');
    expect((await listed()).map((k) => k.id)).toContain(id);
  });

  it('an API key gets 403 on every API-key route, even the workspace’s own: a leaked key cannot mint or revoke keys', async () => {
    const before = await listed();
    for (const [method, url, body] of [['GET', '/api/api-keys'], ['POST', '/api/api-keys', { name: 'Minted by a key' }], ['DELETE', `/api/api-keys/key_${ws.id}`]] as const) {
      const res = await api.call(ws.key, method, url, body);
      expect([method, res.status, res.body.error.code]).toEqual([method, 403, 'session_required']);
    }
    expect((await listed()).map((k) => k.id)).toEqual(before.map((k) => k.id));
    // A key that is not valid is still a 401 there, as anywhere.
    expect((await api.call('ck_not-a-key', 'GET', '/api/api-keys')).status).toBe(401);
    // The OpenAPI document says so: only a session.
    const doc = (await api.call(null, 'GET', '/api/openapi.json')).body;
    expect(doc.paths['/api/api-keys'].post.security).toEqual([{ session: [] }]);
    expect(doc.paths['/api/api-keys'].post['x-cohort-role']).toBe('admin');
  });

  it('another workspace’s admin neither sees nor revokes this workspace’s keys (404), and the key keeps working', async () => {
    const { id, api_key: key } = json(await admin.send('POST', '/api/api-keys', { name: 'Ours' }));
    const other = await api.workspace();
    const stranger = await signedInMember(api.app, store(), api.clock, other.id, 'admin');
    expect((await listed(stranger)).map((k) => k.id)).toEqual([`key_${other.id}`]);
    const res = await stranger.send('DELETE', `/api/api-keys/${id}`);
    expect([res.statusCode, json(res).error.code]).toEqual([404, 'not_found']);
    expect((await track(api, key)).status).toBe(200);
  });

  it('a name is 1 to 100 characters without control characters; changes need the CSRF token', async () => {
    for (const name of ['', '   ', 'a'.repeat(101), 'tab\there', 'nul\u0000', 'bell\u0007', 'c1\u0085', 'half \ud800', null, { text: 'x' }]) {
      const res = await admin.send('POST', '/api/api-keys', { name });
      expect([JSON.stringify(name), res.statusCode]).toEqual([JSON.stringify(name), 400]);
    }
    expect((await admin.send('POST', '/api/api-keys', {})).statusCode).toBe(400);
    const long = await admin.send('POST', '/api/api-keys', { name: 'é'.repeat(100) });
    expect([long.statusCode, json(long).name]).toEqual([201, 'é'.repeat(100)]);
    const html = await admin.send('POST', '/api/api-keys', { name: '<b>Zapier</b> 🚀' });
    expect(json(html).name).toBe('<b>Zapier</b> 🚀');

    const noCsrf = await admin.send('POST', '/api/api-keys', { name: 'Forged' }, { csrf: false });
    expect([noCsrf.statusCode, json(noCsrf).error.code]).toEqual([403, 'csrf_required']);
    const { id } = json(await admin.send('POST', '/api/api-keys', { name: 'Target' }));
    expect((await admin.send('DELETE', `/api/api-keys/${id}`, undefined, { csrf: 'wrong' })).statusCode).toBe(403);
    expect((await listed()).map((k) => k.id)).toContain(id);
  });
});
