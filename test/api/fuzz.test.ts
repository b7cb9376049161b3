import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { testApi, type TestApi } from '../support/api.ts';
import { describeEachStore } from '../support/databases.ts';
import { engineHarness, type EngineHarness } from '../support/engine.ts';
import { fuzzRoute } from '../support/fuzz.ts';
import { FRESH_ID, fuzzOperation, operationsOf } from '../support/fuzz-openapi.ts';
import { partnerHarness, type PartnerHarness } from '../support/partners.ts';
import { signedInMember, type Browser } from '../support/sessions.ts';
import { consent } from '../support/tiktok.ts';
import { storeCanvasReader } from '../../src/engine/canvas-reader.ts';
import { engineHooks } from '../../src/engine/events.ts';
import { SPEC_CANVAS } from '../fixtures/spec-canvas.ts';

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

const recipientLike = fc.record(
  { external_user_id: fc.oneof(text, fc.anything()), attributes: fc.oneof(attributesLike, fc.anything()), context: fc.oneof(fc.dictionary(fc.string(), fc.anything()), fc.anything()) },
  { requiredKeys: [] },
);
const triggerLike = (canvasId: string) =>
  fc.record(
    { canvas_id: fc.oneof(fc.constant(canvasId), text, fc.anything()), recipients: fc.oneof(fc.array(fc.oneof(recipientLike, fc.anything()), { maxLength: 20 }), fc.anything()) },
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
    const statuses = await fuzzRoute(h.app, '/api/canvas/trigger/send', 1_000, { headers: { authorization: `Bearer ${key}` }, shapes: [triggerLike(canvasId)] });
    expect([...statuses.keys()].every((s) => s < 500)).toBe(true);
    expect(statuses.get(201)).toBeGreaterThan(0); // some bodies are valid enough to enter users
    expect(statuses.get(400)).toBeGreaterThan(50);

    const ok = await h.call(key, 'POST', '/api/canvas/trigger/send', { canvas_id: canvasId, recipients: [{ external_user_id: 'after-fuzz-trigger' }] });
    expect(ok.status).toBe(201);
    expect((await h.call(key, 'GET', '/api/users/after-fuzz-trigger')).body.canvas_entries).toEqual([expect.objectContaining({ canvas_id: canvasId })]);
  });
});

/** A valid request for one operation, made fresh (state-changing routes get their own canvas). */
interface ValidRequest {
  url: string;
  body?: unknown;
}
interface Fixtures {
  key: string;
  /** An active canvas with an audience_sync step `sync` (for analytics, retry-errored, trigger). */
  live: string;
  /** A complete draft, made now. */
  draft(): Promise<string>;
  /** A complete canvas, launched now. */
  launched(): Promise<string>;
  /** The query of a callback TikTok would send after consent (a fresh state). */
  callbackQuery(): Promise<string>;
  /** An admin of the workspace signed in to the dashboard (the API-key routes refuse API keys). */
  admin: Browser;
  /** The id of an API key made now. */
  apiKey(): Promise<string>;
}

const US = '7000000000000000001';
const launchable = (audienceId: string) => ({
  name: 'Fuzz target',
  first_step: 'sync',
  steps: [
    { id: 'sync', type: 'audience_sync', next: 'wait', config: { advertiser_id: US, audience_id: audienceId, fields: ['email'] } },
    { id: 'wait', type: 'delay', config: { seconds: 60 }, next: null },
  ],
});

/**
 * Every operation of the OpenAPI document and a valid request for it. The fuzz finds the operations in
 * the document itself; an operation missing here fails the test by name, so that a new route gets a
 * valid request (proof that the fuzz reached a route that still works) when it is added.
 */
const ROUTES: Record<string, { valid(fx: Fixtures): Promise<ValidRequest> | ValidRequest; ok?: readonly number[]; asSession?: true }> = {
  'POST /api/users/track': {
    valid: () => ({
      url: '/api/users/track',
      body: {
        attributes: [{ external_id: FRESH_ID, email: 'f@example.com', country: 'US', vip: true, tags: ['a', 'b'] }],
        events: [{ external_id: FRESH_ID, name: 'buy', time: '2026-01-01T00:00:00Z', properties: { sku: 'x', price: 1 } }],
      },
    }),
  },
  'GET /api/users/{external_id}': { valid: () => ({ url: '/api/users/fuzz-user' }) },
  'GET /api/attributes': { valid: () => ({ url: '/api/attributes' }) },
  // The canvas editor's helpers (issue 19: builder-steps).
  'GET /api/events/names': { valid: () => ({ url: '/api/events/names' }) },
  'POST /api/webhooks/preview': { valid: () => ({ url: '/api/webhooks/preview', body: { config: { url: 'https://example.test/{{external_id}}', method: 'POST', headers: { 'x-a': 'b' }, body: { u: '{{external_id}}' } }, external_id: 'fuzz-user' } }) },
  'GET /healthz': { valid: () => ({ url: '/healthz' }) },
  'GET /api/canvases': { valid: () => ({ url: '/api/canvases?limit=2' }) },
  'POST /api/canvases': { valid: () => ({ url: '/api/canvases', body: SPEC_CANVAS }), ok: [201] },
  'GET /api/canvases/{id}': { valid: (fx) => ({ url: `/api/canvases/${fx.live}` }) },
  'PUT /api/canvases/{id}': { valid: async (fx) => ({ url: `/api/canvases/${await fx.draft()}`, body: { ...SPEC_CANVAS, name: 'edited' } }) },
  'DELETE /api/canvases/{id}': { valid: async (fx) => ({ url: `/api/canvases/${await fx.draft()}` }), ok: [204] },
  'POST /api/canvases/{id}/launch': { valid: async (fx) => ({ url: `/api/canvases/${await fx.draft()}/launch` }) },
  'GET /api/canvases/{id}/versions': { valid: (fx) => ({ url: `/api/canvases/${fx.live}/versions` }) },
  'POST /api/canvases/{id}/problems': { valid: async (fx) => ({ url: `/api/canvases/${await fx.draft()}/problems`, body: SPEC_CANVAS }) },
  'POST /api/canvases/{id}/stop': { valid: async (fx) => ({ url: `/api/canvases/${await fx.launched()}/stop` }) },
  'POST /api/canvases/{id}/archive': { valid: async (fx) => ({ url: `/api/canvases/${await fx.draft()}/archive` }) },
  'POST /api/canvas/trigger/send': {
    valid: (fx) => ({ url: '/api/canvas/trigger/send', body: { canvas_id: fx.live, recipients: [{ external_user_id: FRESH_ID, attributes: { vip: true }, context: { coupon: 'A', n: [1] } }] } }),
    ok: [201],
  },
  'POST /api/canvases/{id}/steps/{step}/retry-errored': { valid: (fx) => ({ url: `/api/canvases/${fx.live}/steps/sync/retry-errored` }) },
  'GET /api/canvases/{id}/analytics': { valid: (fx) => ({ url: `/api/canvases/${fx.live}/analytics` }) },
  'GET /api/partners/tiktok': { valid: () => ({ url: '/api/partners/tiktok' }) },
  'DELETE /api/partners/tiktok': { valid: () => ({ url: '/api/partners/tiktok' }) },
  'POST /api/partners/tiktok/connect': { valid: () => ({ url: '/api/partners/tiktok/connect' }) },
  'GET /oauth/tiktok/callback': { valid: async (fx) => ({ url: `/oauth/tiktok/callback${await fx.callbackQuery()}` }), ok: [302] },
  'PUT /api/partners/tiktok/advertisers': { valid: () => ({ url: '/api/partners/tiktok/advertisers', body: { advertiser_ids: [US] } }) },
  'GET /api/partners/tiktok/audiences': { valid: () => ({ url: `/api/partners/tiktok/audiences?advertiser_id=${US}` }) },
  'POST /api/partners/tiktok/audiences': { valid: () => ({ url: '/api/partners/tiktok/audiences', body: { advertiser_id: US, name: 'Fuzz valid' } }), ok: [201] },
  // Added by the readiness work (spec §4); 503 is its answer while a worker is not running.
  'GET /readyz': { valid: () => ({ url: '/readyz' }), ok: [200, 503] },
  // Sessions and members (issue 17). The fuzz sends an API key: the session routes answer 401 to it
  // (no session), setup is open once, sign-in refuses and then rate-limits the fuzz's attempts.
  'GET /api/setup': { valid: () => ({ url: '/api/setup' }) },
  'POST /api/setup': { valid: () => ({ url: '/api/setup', body: { workspace_name: 'Fuzz', email: 'fuzz-admin@example.com', password: 'fuzz passphrase' } }), ok: [201, 409] },
  'POST /api/session': { valid: () => ({ url: '/api/session', body: { email: 'fuzz-admin@example.com', password: 'wrong passphrase' } }), ok: [401, 429] },
  'POST /api/session/link': { valid: () => ({ url: '/api/session/link', body: { token: 'no-such-link' } }), ok: [401] },
  'GET /api/session': { valid: () => ({ url: '/api/session' }), ok: [401] },
  'DELETE /api/session': { valid: () => ({ url: '/api/session' }), ok: [401] },
  'PUT /api/session/password': { valid: () => ({ url: '/api/session/password', body: { password: 'fuzz passphrase' } }), ok: [401] },
  'GET /api/members': { valid: () => ({ url: '/api/members' }) },
  'POST /api/members': { valid: () => ({ url: '/api/members', body: { email: 'fuzz-member@example.com', role: 'viewer' } }), ok: [201] },
  'DELETE /api/members/{id}': { valid: () => ({ url: '/api/members/mb_none' }), ok: [404] },
  'PATCH /api/members/{id}': { valid: () => ({ url: '/api/members/mb_none', body: { role: 'viewer' } }), ok: [404] },
  // API keys (issue 19): an API key gets 403 there, so these are fuzzed as the admin's session.
  'GET /api/api-keys': { valid: () => ({ url: '/api/api-keys' }), asSession: true },
  'POST /api/api-keys': { valid: () => ({ url: '/api/api-keys', body: { name: 'Fuzz key' } }), ok: [201], asSession: true },
  'DELETE /api/api-keys/{id}': { valid: async (fx) => ({ url: `/api/api-keys/${await fx.apiKey()}` }), ok: [204], asSession: true },
};

/** A valid request sent by the admin's browser, answered as `h.call` answers. */
async function asSession(admin: Browser, method: string, valid: ValidRequest): Promise<{ status: number; text: string }> {
  const res = await admin.send(method as 'GET', valid.url, valid.body);
  return { status: res.statusCode, text: res.body };
}

/** Random runs per operation and store (after its sweep): the whole file stays under a minute on two cores. COHORT_FUZZ_RUNS=1000 for a longer hunt. */
const RUNS_PER_OPERATION = Number(process.env.COHORT_FUZZ_RUNS ?? 60);

const filterLike: fc.Arbitrary<unknown> = fc.letrec<{ f: unknown }>((tie) => ({
  f: fc.oneof(
    { depthSize: 'small' },
    fc.record({ attribute: fc.oneof(text, fc.constantFrom('country', 'vip', '__proto__')), op: fc.oneof(fc.constantFrom('eq', 'in', 'gt', 'exists', 'like'), text), value: value }, { requiredKeys: [] }),
    fc.record({ all: fc.array(tie('f'), { maxLength: 3 }) }),
    fc.record({ any: fc.array(tie('f'), { maxLength: 3 }) }),
  ),
})).f;
const stepLike = fc.record(
  {
    id: fc.oneof(fc.constantFrom('a', 'b', 'sync'), text),
    type: fc.oneof(fc.constantFrom('audience_sync', 'delay', 'decision_split', 'webhook', 'user_update'), text),
    next: fc.oneof(fc.constantFrom('a', 'b', null), text),
    config: fc.oneof(
      fc.record({ filter: filterLike, seconds: fc.oneof(fc.integer(), value), body: value, headers: fc.dictionary(text, value), set: fc.dictionary(fc.oneof(fc.constantFrom(...KEYS), text), value), url: text }, { requiredKeys: [] }),
      value,
    ),
  },
  { requiredKeys: [] },
);
const canvasLike = fc.record(
  { name: fc.oneof(text, fc.constantFrom('ok', 'x'.repeat(201))), entry: fc.oneof(fc.constantFrom({ type: 'api' }, { type: 'event', event: 'buy' }, { type: 'scheduled', at: null }), value), audience: fc.oneof(filterLike, fc.constant(null)), first_step: fc.oneof(fc.constantFrom('a', null), text), steps: fc.array(stepLike, { maxLength: 6 }), exit: fc.record({ events: fc.array(text, { maxLength: 3 }) }) },
  { requiredKeys: ['name'] },
);

describeEachStore('api: fuzzing every route of the OpenAPI document', ({ store }) => {
  let h: PartnerHarness;
  let fx: Fixtures;
  let audienceId: string;
  beforeAll(async () => {
    h = await partnerHarness(store(), { deps: { engine: engineHooks(), journeys: { canvases: storeCanvasReader(store()), wake: () => {} } } });
    const { key, id: workspaceId } = await h.workspace();
    expect((await h.connect(key)).status).toBe(302);
    audienceId = (await h.call(key, 'POST', '/api/partners/tiktok/audiences', { advertiser_id: US, name: 'Fuzz' })).body.audience_id;
    const created = async (body: unknown) => (await h.call(key, 'POST', '/api/canvases', body)).body.id as string;
    const launched = async () => {
      const id = await created(launchable(audienceId));
      expect((await h.call(key, 'POST', `/api/canvases/${id}/launch`)).status).toBe(200);
      return id;
    };
    const admin = await signedInMember(h.app, store(), h.clock, workspaceId, 'admin');
    fx = {
      key,
      live: await launched(),
      draft: () => created(launchable(audienceId)),
      launched,
      async callbackQuery() {
        const { state, redirectUri } = await h.startConnect(key);
        return (await consent(h.emulator.url, { state, redirectUri })).search;
      },
      admin,
      async apiKey() {
        const res = await admin.send('POST', '/api/api-keys', { name: 'To revoke' });
        expect(res.statusCode).toBe(201);
        return (JSON.parse(res.body) as { id: string }).id;
      },
    };
    await h.call(key, 'POST', '/api/users/track', { attributes: [{ external_id: 'fuzz-user', email: 'f@example.com' }] });
  });
  afterAll(async () => {
    await h?.close();
  });

  /**
   * The fuzz disconnects TikTok now and then (DELETE /api/partners/tiktok), and stops or archives the
   * live canvas (its id is a path value): put both back before each operation, so that the next one
   * reaches as far as a valid request would.
   */
  async function restore(): Promise<void> {
    if ((await h.call(fx.key, 'GET', '/api/partners/tiktok')).body.status !== 'connected') expect((await h.connect(fx.key)).status).toBe(302);
    const live = (await h.call(fx.key, 'GET', `/api/canvases/${fx.live}`)).body;
    if (live.status === 'stopped') expect((await h.call(fx.key, 'POST', `/api/canvases/${fx.live}/launch`)).status).toBe(200);
    else if (live.status !== 'active') fx.live = await fx.launched();
  }

  it('has a valid request for every operation the document lists (add new routes to ROUTES)', async () => {
    const operations = operationsOf((await h.call(null, 'GET', '/api/openapi.json')).body);
    expect(operations.length).toBeGreaterThanOrEqual(21);
    expect(operations.map((op) => op.key).filter((key) => !(key in ROUTES)), 'operations of /api/openapi.json without fuzz coverage in test/api/fuzz.test.ts ROUTES').toEqual([]);
  });

  it(`answers ${RUNS_PER_OPERATION} odd requests to every operation without a 5xx, and a valid one after each`, { timeout: 120_000 }, async () => {
    const operations = operationsOf((await h.call(null, 'GET', '/api/openapi.json')).body);
    const spare = await fx.draft();
    const cursor = (await h.call(fx.key, 'GET', '/api/canvases?limit=1')).body.next_cursor as string;
    expect(cursor).toEqual(expect.any(String));
    const failures: string[] = [];
    for (const op of operations) {
      const route = ROUTES[op.key];
      if (!route) continue; // reported by the test above
      await restore();
      const shapes = op.path === '/api/canvases' || op.path === '/api/canvases/{id}' ? [canvasLike, fc.constant(launchable(audienceId))] : op.path === '/api/users/track' ? [trackLike] : op.path === '/api/canvas/trigger/send' ? [triggerLike(fx.live)] : [];
      const sample = await route.valid(fx); // a valid body, swept place by place
      try {
        const statuses = await fuzzOperation(h.app, op, {
          headers: route.asSession ? { cookie: `cohort_session=${fx.admin.cookie}`, 'x-csrf-token': fx.admin.csrf } : { authorization: `Bearer ${fx.key}` },
          runs: RUNS_PER_OPERATION,
          pathValues: { id: [fx.live, spare], step: ['sync', 'wait'], external_id: ['fuzz-user'] },
          queryValues: { advertiser_id: [US], cursor: [cursor], status: ['draft', 'active'], limit: ['1', '500'], error: ['access_denied'], connected: ['1'] },
          shapes,
          ...(sample.body === undefined ? {} : { skeletons: [sample.body], sweepUrl: sample.url }),
        });
        expect(statuses.size, op.key).toBeGreaterThan(0);
      } catch (error) {
        failures.push(`${op.key}: ${(error as Error).message.slice(0, 1_500)}`);
        continue;
      }
      await restore();
      const valid = await route.valid(fx);
      const res = route.asSession ? await asSession(fx.admin, op.method, valid) : await h.call(fx.key, op.method, valid.url, valid.body);
      if (!(route.ok ?? [200]).includes(res.status)) failures.push(`${op.key}: the valid request ${op.method} ${valid.url} answered ${res.status} ${res.text.slice(0, 200)} after the fuzz`);
      const alive = await h.call(fx.key, 'GET', '/api/canvases?limit=1');
      if (alive.status !== 200) failures.push(`${op.key}: GET /api/canvases answered ${alive.status} after the fuzz`);
    }
    expect(failures).toEqual([]);
  });
});
