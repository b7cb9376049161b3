import { afterAll, beforeAll, expect, it } from 'vitest';
import { testApi, type TestApi } from '../support/api.ts';
import { describeEachStore } from '../support/databases.ts';
import { signedInMember } from '../support/sessions.ts';

const STANDARD = ['external_id', 'email', 'phone', 'first_name', 'last_name', 'country', 'language', 'idfa', 'gaid', 'ads_tracking_enabled'];

describeEachStore('api: GET /api/attributes', ({ store }) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await testApi(store());
  });
  afterAll(async () => {
    await api?.close();
  });

  const track = (key: string, attributes: unknown[]) => api.call(key, 'POST', '/api/users/track', { attributes });
  type Attr = { name: string; type: string; standard: boolean };
  const attributes = async (key: string): Promise<Attr[]> => {
    const res = await api.call(key, 'GET', '/api/attributes');
    expect(res.status).toBe(200);
    return res.body.attributes as Attr[];
  };

  it('lists the standard fields, then the custom names in use with their JSON types, scoped to the workspace', async () => {
    const a = await api.workspace();
    const b = await api.workspace();
    expect(await attributes(a.key)).toEqual(STANDARD.map((name) => ({ name, type: name === 'ads_tracking_enabled' ? 'boolean' : 'string', standard: true })));

    await track(a.key, [
      { external_id: 'u1', country: 'US', vip: true, orders: 3, plan: 'gold', tags: ['x'], address: { city: 'Oslo' } },
      { external_id: 'u2', vip: false, orders: 1.5 },
      // Mostly a number: one profile holding a string does not change the type shown.
      { external_id: 'u3', orders: 'many', '<b>name</b>': 'x' },
    ]);
    await track(b.key, [{ external_id: 'u1', only_in_b: 1 }]);

    const custom = (await attributes(a.key)).filter((x) => !x.standard);
    expect(custom).toEqual([
      { name: '<b>name</b>', type: 'string', standard: false },
      { name: 'address', type: 'object', standard: false },
      { name: 'orders', type: 'number', standard: false },
      { name: 'plan', type: 'string', standard: false },
      { name: 'tags', type: 'array', standard: false },
      { name: 'vip', type: 'boolean', standard: false },
    ]);
    expect((await attributes(b.key)).filter((x) => !x.standard).map((x) => x.name)).toEqual(['only_in_b']);
  });

  it('reads only the newest 1,000 profiles: a name only older ones carry is not listed', async () => {
    const ws = await api.workspace();
    await track(ws.key, [{ external_id: 'old', legacy_flag: true }]);
    for (let part = 0; part < 2; part++) {
      await track(ws.key, Array.from({ length: 500 }, (_, i) => ({ external_id: `new${part}_${i}`, score: i })));
    }
    const names = (await attributes(ws.key)).map((x) => x.name);
    expect(names).toContain('score');
    expect(names).not.toContain('legacy_flag');
    // One more new profile carrying it brings it back.
    await track(ws.key, [{ external_id: 'newest', legacy_flag: false }]);
    expect((await attributes(ws.key)).map((x) => x.name)).toContain('legacy_flag');
  });

  it('reads stored JSON that escapes NUL or a lone surrogate (PostgreSQL\'s json types refuse those) and keeps an emoji key whole', async () => {
    const ws = await api.workspace();
    const tracked = await api.call(ws.key, 'POST', '/api/users/track', String.raw`{"attributes":[{"external_id":"u1","note":"x\u0000y","half":"\ud800","\ud83d\ude00":1,"nul\u0000key":true,"path":"C:\\u0000"}]}`);
    expect(tracked.body.attributes_processed).toBe(1);
    const custom = (await attributes(ws.key)).filter((x) => !x.standard);
    expect(custom.map((x) => x.name)).toEqual(expect.arrayContaining(['half', 'note', 'path', '😀']));
    expect(custom.find((x) => x.name === '😀')?.type).toBe('number');
    expect(custom.some((x) => x.name.startsWith('nul'))).toBe(true);
  });

  it('answers any signed-in role and API keys; nobody else', async () => {
    const ws = await api.workspace();
    await track(ws.key, [{ external_id: 'u1', vip: true }]);
    for (const role of ['viewer', 'editor', 'admin'] as const) {
      const member = await signedInMember(api.app, store(), api.clock, ws.id, role);
      const res = await member.send('GET', '/api/attributes');
      expect([role, res.statusCode]).toEqual([role, 200]);
      expect((JSON.parse(res.body) as { attributes: Attr[] }).attributes).toContainEqual({ name: 'vip', type: 'boolean', standard: false });
    }
    expect((await api.call(null, 'GET', '/api/attributes')).status).toBe(401);
    expect((await api.call('ck_not-a-key', 'GET', '/api/attributes')).status).toBe(401);
    const doc = (await api.call(null, 'GET', '/api/openapi.json')).body;
    expect(doc.paths['/api/attributes'].get.description).toMatch(/1,000 most recently created profiles/);
  });
});
