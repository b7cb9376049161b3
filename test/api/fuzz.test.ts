import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { testApi, type TestApi } from '../support/api.ts';
import { describeEachStore } from '../support/databases.ts';
import { engineHarness, type EngineHarness } from '../support/engine.ts';
import { fuzzRoute } from '../support/fuzz.ts';

const KEYS = ['external_id', 'email', 'phone', 'first_name', 'last_name', 'country', 'language', 'idfa', 'gaid', 'ads_tracking_enabled', 'vip', '__proto__', 'constructor', ''];
const text = fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 20 }), fc.constantFrom('a\u0000b', '\ud800', '\u0000'));
const value = fc.oneof(fc.anything(), text, fc.constantFrom('us', 'USA', '', null, true, 1e308, -0));
const attributesLike = fc.dictionary(fc.oneof(fc.constantFrom(...KEYS), text), value);
const eventLike = fc.record(
  {
    external_id: fc.oneof(text, fc.anything()),
    name: fc.oneof(text, fc.anything()),
    time: fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.string(), fc.anything()),
    properties: fc.oneof(fc.dictionary(fc.string(), fc.anything()), fc.anything()),
  },
  { requiredKeys: [] },
);
const trackLike = fc.record(
  { attributes: fc.oneof(fc.array(fc.oneof(attributesLike, fc.anything()), { maxLength: 20 }), fc.anything()), events: fc.oneof(fc.array(eventLike, { maxLength: 20 }), fc.anything()) },
  { requiredKeys: [] },
);

describeEachStore('api: fuzzing /api/users/track', ({ store }) => {
  let api: TestApi;
  let key: string;
  beforeAll(async () => {
    api = await testApi(store());
    key = (await api.workspace()).key;
  });
  afterAll(async () => {
    await api?.close();
  });

  it('answers 1,000 random bodies without a 5xx, then still serves a valid request', async () => {
    const statuses = await fuzzRoute(api.app, '/api/users/track', 1_000, { headers: { authorization: `Bearer ${key}` }, shapes: [trackLike] });
    expect([...statuses.keys()].every((s) => s < 500)).toBe(true);
    expect(statuses.get(200)).toBeGreaterThan(50); // the fuzz reaches the handler, not only the parser
    expect(statuses.get(400)).toBeGreaterThan(50);

    const ok = await api.call(key, 'POST', '/api/users/track', { attributes: [{ external_id: 'after-fuzz', email: 'a@example.com' }] });
    expect(ok).toEqual({ status: 200, body: { message: 'success', attributes_processed: 1, events_processed: 0 } });
    expect((await api.call(key, 'GET', '/api/users/after-fuzz')).status).toBe(200);
  });

  it('answers random user ids on GET /api/users/{external_id} without a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }).map(encodeURIComponent), fc.constantFrom('%', '%ZZ', '%C0%AF', '..%2F..', '%00', 'a'.repeat(5_000))), async (id) => {
        const res = await api.app.inject({ method: 'GET', url: `/api/users/${id}`, headers: { authorization: `Bearer ${key}` } });
        expect(res.statusCode).toBeLessThan(500);
      }),
      { numRuns: 300 },
    );
  });
});

describeEachStore('api: fuzzing /api/canvas/trigger/send', ({ store }) => {
  let h: EngineHarness;
  let key: string;
  let canvasId: string;
  beforeAll(async () => {
    h = await engineHarness(store());
    key = (await h.workspace()).key;
    const created = await h.call(key, 'POST', '/api/canvases', { name: 'Fuzzed', first_step: 'w', steps: [{ id: 'w', type: 'delay', config: { seconds: 60 }, next: null }] });
    canvasId = created.body.id as string;
    expect((await h.call(key, 'POST', `/api/canvases/${canvasId}/launch`)).status).toBe(200);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('answers 1,000 random bodies without a 5xx, then still enters a valid recipient', async () => {
    const recipient = fc.record(
      { external_user_id: fc.oneof(text, fc.anything()), attributes: fc.oneof(attributesLike, fc.anything()), context: fc.oneof(fc.dictionary(fc.string(), fc.anything()), fc.anything()) },
      { requiredKeys: [] },
    );
    const triggerLike = fc.record(
      { canvas_id: fc.oneof(fc.constant(canvasId), text, fc.anything()), recipients: fc.oneof(fc.array(fc.oneof(recipient, fc.anything()), { maxLength: 20 }), fc.anything()) },
      { requiredKeys: [] },
    );
    const statuses = await fuzzRoute(h.app, '/api/canvas/trigger/send', 1_000, { headers: { authorization: `Bearer ${key}` }, shapes: [triggerLike] });
    expect([...statuses.keys()].every((s) => s < 500)).toBe(true);
    expect(statuses.get(201)).toBeGreaterThan(0); // some bodies are valid enough to enter users
    expect(statuses.get(400)).toBeGreaterThan(50);

    const ok = await h.call(key, 'POST', '/api/canvas/trigger/send', { canvas_id: canvasId, recipients: [{ external_user_id: 'after-fuzz-trigger' }] });
    expect(ok.status).toBe(201);
    expect((await h.call(key, 'GET', '/api/users/after-fuzz-trigger')).body.canvas_entries).toEqual([expect.objectContaining({ canvas_id: canvasId })]);
  });
});
