/**
 * The sender against the emulator over real HTTP, on SQLite and PostgreSQL: exact membership,
 * full batches, the budget, retries that lose nothing, parked items on a revoked token, the retry
 * window on a moved clock, a deleted audience, and add/remove collapsing.
 */
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.ts';
import { threadHasher } from '../../src/partners/tiktok/hash-pool.ts';
import { sha256Hex } from '../../src/partners/tiktok/identifiers.ts';
import { createTikTokClient, type TikTokClient } from '../../src/partners/tiktok/client.ts';
import { defaultRetryPolicy } from '../../src/sync/retry.ts';
import { createSender, type Sender } from '../../src/sync/sender.ts';
import { describeEachStore } from '../support/databases.ts';
import { engineHarness, type EngineHarness } from '../support/engine.ts';
import { connectedTokens as connect } from '../support/sync.ts';
import { emulatorAdmin, SEED, type EmulatorMembers, type EmulatorStats } from '../support/tiktok.ts';

const ADV = SEED.advertisers[0];
let emulator: RunningEmulator;
let client: TikTokClient;
beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  client = createTikTokClient({ apiBase: emulator.url, appId: SEED.appId, appSecret: SEED.appSecret, timeoutMs: 10_000 });
});
afterAll(() => emulator.close());

const connectedTokens = () => connect(emulator, client);

describeEachStore('sync: the sender', ({ store }) => {
  let h: EngineHarness;
  let ws: { id: string; key: string };
  let tokens: Awaited<ReturnType<typeof connect>>;
  let sender: Sender;
  let audienceId: string;
  const windowMs = 13 * 3_600_000;

  beforeEach(async () => {
    await emulatorAdmin(emulator.url, '/reset', {});
    h = await engineHarness(store());
    ws = await h.workspace();
    tokens = await connectedTokens();
    const created = await client.createAudience(tokens.token, ADV, 'Sender test');
    if (!created.ok) throw new Error(created.failure.message);
    audienceId = created.data.audienceId;
    sender = createSender({ store: store(), clock: h.clock, client, tokens, policy: defaultRetryPolicy(windowMs), fillMs: 0, random: () => 0.5 });
  });

  async function launch(action: 'add' | 'remove', fields = ['email', 'phone', 'idfa', 'gaid']): Promise<string> {
    const c = await h.call(ws.key, 'POST', '/api/canvases', {
      name: `sync ${action}`, first_step: 'sync',
      steps: [{ id: 'sync', type: 'audience_sync', next: null, config: { partner: 'tiktok', advertiser_id: ADV, audience_id: audienceId, action, fields } }],
    });
    expect((await h.call(ws.key, 'POST', `/api/canvases/${c.body.id}/launch`)).status).toBe(200);
    return c.body.id as string;
  }
  const syncStep = async (canvasId: string) => (await h.call(ws.key, 'GET', `/api/canvases/${canvasId}/analytics`)).body.steps[0] as Record<string, number>;
  const members = () => emulatorAdmin<EmulatorMembers>(emulator.url, `/audiences/${audienceId}/members`);
  const stats = () => emulatorAdmin<EmulatorStats>(emulator.url, '/stats');
  async function enter(canvasId: string, n: number, prefix = 'u') {
    for (let start = 0; start < n; start += 10_000) {
      const recipients = Array.from({ length: Math.min(10_000, n - start) }, (_, k) => {
        const i = start + k;
        return { external_user_id: `${prefix}${i}`, attributes: i % 10 === 9 ? {} : { email: `${prefix}${i}@example.com`, ...(i % 2 ? { gaid: `gaid-${i}` } : { phone: `+1415${String(5550000 + i).slice(-7)}` }) } };
      });
      expect((await h.call(ws.key, 'POST', '/api/canvas/trigger/send', { canvas_id: canvasId, recipients })).status).toBe(201);
    }
    await h.worker.drain();
  }

  it('syncs 25,000 users in full batches: exact hashes per schema, exact counts, within the budget', async () => {
    const canvasId = await launch('add');
    await enter(canvasId, 25_000);
    await sender.drain();
    const usable = Array.from({ length: 25_000 }, (_, i) => i).filter((i) => i % 10 !== 9);
    const m = await members();
    expect(m.counts.EMAIL_SHA256).toBe(usable.length);
    expect(new Set(m.members.EMAIL_SHA256)).toEqual(new Set(usable.map((i) => sha256Hex(`u${i}@example.com`))));
    expect(new Set(m.members.AAID_SHA256)).toEqual(new Set(usable.filter((i) => i % 2).map((i) => sha256Hex(`gaid-${i}`))));
    expect(m.counts.PHONE_SHA256).toBe(usable.filter((i) => i % 2 === 0).length);
    const s = await stats();
    expect(s.mapping_requests).toBe(3);
    expect(s.max_rows_in_request).toBe(10_000);
    expect(s.rate_limited).toBe(0);
    expect(await syncStep(canvasId)).toMatchObject({ entered: 25_000, synced: usable.length, not_synced: 2_500, pending: 0, errored: 0 });
  });

  it('overlapping requests from one queue: each user is sent once (reads take no lease; a keyset cursor keeps in-flight items out)', async () => {
    const canvasId = await launch('add', ['email']);
    await enter(canvasId, 35_000);
    // 300 ms per request and small batches: several requests of the same queue are in flight at once.
    await emulatorAdmin(emulator.url, '/faults', { latency_ms: 300 });
    const running = createSender({ store: store(), clock: h.clock, client, tokens, policy: defaultRetryPolicy(windowMs), fillMs: 0, batchSize: 2_000, maxInFlight: 4, idleMs: 10, random: () => 0.5 });
    const started = Date.now();
    running.start();
    try {
      while (((await syncStep(canvasId)).pending ?? 0) > 0 && Date.now() - started < 20_000) await new Promise((r) => setTimeout(r, 50));
    } finally {
      await running.stop();
      await emulatorAdmin(emulator.url, '/faults', {});
    }
    const s = await stats();
    // 31,500 usable users in batches of 2,000: 16 requests and as many rows as users, had nothing been sent twice.
    expect(s.mapping_rows).toBe(31_500);
    expect(s.mapping_requests).toBe(16);
    // Four at a time took about a quarter of the time sixteen requests of 300 ms take one after another.
    expect(Date.now() - started).toBeLessThan(16 * 300);
    expect((await members()).counts.EMAIL_SHA256).toBe(31_500);
    expect(await syncStep(canvasId)).toMatchObject({ entered: 35_000, synced: 31_500, not_synced: 3_500, pending: 0, errored: 0 });
  });

  it('the retry window leaves a request in flight to its answer: its users end synced, not errored', async () => {
    const canvasId = await launch('add', ['email']);
    await enter(canvasId, 100);
    await emulatorAdmin(emulator.url, '/faults', { latency_ms: 1_000 });
    const running = createSender({ store: store(), clock: h.clock, client, tokens, policy: defaultRetryPolicy(windowMs), fillMs: 0, idleMs: 10, random: () => 0.5 });
    running.start();
    try {
      // The request is on its way (TikTok answers in 1 s); then the window passes while it is in flight.
      await new Promise((r) => setTimeout(r, 300));
      h.clock.advance(windowMs + 1);
      expect(await running.expireOnce()).toBe(0);
      for (let i = 0; i < 60 && ((await syncStep(canvasId)).pending ?? 0) > 0; i++) await new Promise((r) => setTimeout(r, 50));
    } finally {
      await running.stop();
      await emulatorAdmin(emulator.url, '/faults', {});
    }
    expect(await syncStep(canvasId)).toMatchObject({ entered: 100, synced: 90, not_synced: 10, pending: 0, errored: 0 });
  });

  it('a scheduled launch hashed on a worker thread: TikTok holds exactly its users\' hashes', async () => {
    const pool = threadHasher(1);
    await pool.warm();
    let hashedByPool = 0;
    const counting = {
      ...pool,
      hashMany: async (...a: Parameters<typeof pool.hashMany>) => ((hashedByPool += a[0].length), pool.hashMany(...a)),
      hashRows: async (...a: Parameters<typeof pool.hashRows>) => ((hashedByPool += a[1]), pool.hashRows(...a)),
    };
    try {
      const launcher = await engineHarness(store(), { hasher: counting });
      const mine = await launcher.workspace();
      const attributes = Array.from({ length: 3_000 }, (_, i) => ({ external_id: `s${i}`, email: `S${i}@Example.com `, ...(i % 3 === 0 ? { phone: `+1 415 555 ${String(1000 + i).slice(-4)}` } : {}), ...(i % 3 === 1 ? { gaid: `GAID-${i}` } : {}) }));
      expect((await launcher.call(mine.key, 'POST', '/api/users/track', { attributes })).status).toBe(200);
      const c = await launcher.call(mine.key, 'POST', '/api/canvases', {
        name: 'scheduled', entry: { type: 'scheduled', at: null }, first_step: 'sync',
        steps: [{ id: 'sync', type: 'audience_sync', next: null, config: { partner: 'tiktok', advertiser_id: ADV, audience_id: audienceId, action: 'add', fields: ['email', 'phone', 'gaid'] } }],
      });
      expect((await launcher.call(mine.key, 'POST', `/api/canvases/${c.body.id}/launch`)).status).toBe(200);
      await launcher.worker.drain();
      await sender.drain();
      const m = await members();
      expect(new Set(m.members.EMAIL_SHA256)).toEqual(new Set(attributes.map((_, i) => sha256Hex(`s${i}@example.com`))));
      expect(new Set(m.members.PHONE_SHA256)).toEqual(new Set(attributes.filter((_, i) => i % 3 === 0).map((_, k) => sha256Hex(`+1415555${String(1000 + k * 3).slice(-4)}`))));
      expect(new Set(m.members.AAID_SHA256)).toEqual(new Set(attributes.filter((_, i) => i % 3 === 1).map((_, k) => sha256Hex(`gaid-${1 + k * 3}`))));
      expect(hashedByPool).toBe(3_000); // the launch hashed on the pool, not in the step
    } finally {
      await pool.close();
    }
  });

  it('30% transient errors plus a burst of 40100: nothing lost, nothing errored', async () => {
    const canvasId = await launch('add', ['email']);
    await enter(canvasId, 3_000);
    await emulatorAdmin(emulator.url, '/faults', { error_rate: 0.3, fail_next: { count: 4, code: 40100 } });
    // Small batches so there are many requests to fail.
    const busy = createSender({ store: store(), clock: h.clock, client, tokens, policy: defaultRetryPolicy(windowMs), fillMs: 0, batchSize: 100, random: () => 0.5 });
    for (let round = 0; round < 40; round++) {
      await busy.drain();
      if ((await syncStep(canvasId)).pending === 0) break;
      h.clock.advance(60_000); // past any backoff
    }
    await emulatorAdmin(emulator.url, '/faults', {});
    expect(await syncStep(canvasId)).toMatchObject({ entered: 3_000, synced: 2_700, not_synced: 300, pending: 0, errored: 0 });
    expect((await members()).counts.EMAIL_SHA256).toBe(2_700);
    expect((await stats()).rate_limited).toBeGreaterThanOrEqual(4);
  });

  it('a revoked token parks items, marks the connection, and the window errors them naming the token', async () => {
    const canvasId = await launch('add', ['email']);
    await enter(canvasId, 50);
    await emulatorAdmin(emulator.url, '/tokens/revoke', { all: true });
    await sender.drain();
    expect(tokens.status.get(ws.id)).toBe('invalid_token');
    expect(await syncStep(canvasId)).toMatchObject({ pending: 45, errored: 0 });
    h.clock.advance(windowMs + 1);
    await sender.expireOnce();
    const step = await syncStep(canvasId);
    expect(step).toMatchObject({ pending: 0, errored: 45 });
    expect((await h.call(ws.key, 'GET', `/api/canvases/${canvasId}/analytics`)).body.steps[0].errors).toEqual([{ reason: 'invalid_token', count: 45 }]);
  });

  it('the 13-hour default: a TikTok that always fails errors items only once 13 hours have passed', async () => {
    const canvasId = await launch('add', ['email']);
    await enter(canvasId, 20);
    await emulatorAdmin(emulator.url, '/faults', { error_rate: 1 });
    for (let hour = 0; hour < 13; hour++) {
      await sender.drain();
      expect(await syncStep(canvasId)).toMatchObject({ pending: 18, errored: 0 });
      h.clock.advance(3_600_000 - 1);
    }
    h.clock.advance(13); // exactly 13 hours after entry: not yet
    await sender.expireOnce();
    expect(await syncStep(canvasId)).toMatchObject({ pending: 18, errored: 0 });
    h.clock.advance(1);
    await sender.expireOnce();
    expect(await syncStep(canvasId)).toMatchObject({ pending: 0, errored: 18, synced: 0 });
    await emulatorAdmin(emulator.url, '/faults', {});
  });

  it('an audience deleted on TikTok errors its items at once with audience_not_found', async () => {
    const canvasId = await launch('add', ['email']);
    await enter(canvasId, 30);
    await emulatorAdmin(emulator.url, `/audiences/${audienceId}/delete`, {});
    await sender.drain();
    expect(await syncStep(canvasId)).toMatchObject({ pending: 0, errored: 27 });
    expect((await h.call(ws.key, 'GET', `/api/canvases/${canvasId}/analytics`)).body.steps[0].errors).toEqual([{ reason: 'audience_not_found', count: 27 }]);
  });

  it('a user pending both add and remove for one audience: only the later one is sent', async () => {
    const add = await launch('add', ['email']);
    const remove = await launch('remove', ['email']);
    await enter(add, 10, 'c');
    h.clock.advance(1_000);
    await enter(remove, 5, 'c');
    await sender.drain();
    expect(await syncStep(add)).toMatchObject({ pending: 0, synced: 4, not_synced: 6 }); // 5 superseded + 1 without email
    expect(await syncStep(remove)).toMatchObject({ pending: 0, synced: 5 });
    expect(new Set((await members()).members.EMAIL_SHA256)).toEqual(new Set([5, 6, 7, 8].map((i) => sha256Hex(`c${i}@example.com`))));
  });

  it("retry-errored re-queues a step's errored users with a fresh window, and they sync after a reconnect", async () => {
    const canvasId = await launch('add', ['email']);
    await enter(canvasId, 20);
    await emulatorAdmin(emulator.url, '/tokens/revoke', { all: true });
    await sender.drain();
    h.clock.advance(windowMs + 1);
    await sender.expireOnce();
    expect(await syncStep(canvasId)).toMatchObject({ errored: 18, pending: 0 });

    const fresh = await connectedTokens(); // the admin reconnects
    tokens.token = fresh.token;
    tokens.status.set(ws.id, 'connected');
    const retried = await h.call(ws.key, 'POST', `/api/canvases/${canvasId}/steps/sync/retry-errored`);
    expect(retried).toEqual({ status: 200, body: { canvas_id: canvasId, step_id: 'sync', requeued: 18 } });
    expect(await syncStep(canvasId)).toMatchObject({ errored: 0, pending: 18 });
    // Taken back under the reason they were counted with, so the step lists no errors.
    expect((await h.call(ws.key, 'GET', `/api/canvases/${canvasId}/analytics`)).body.steps[0].errors).toEqual([]);
    await sender.drain();
    expect(await syncStep(canvasId)).toMatchObject({ entered: 20, synced: 18, not_synced: 2, errored: 0, pending: 0 });
    expect((await h.call(ws.key, 'POST', `/api/canvases/${canvasId}/steps/nope/retry-errored`)).status).toBe(404);
  });

  it('shares the budget round-robin: two audiences with backlogs take turns', async () => {
    const first = await launch('add', ['email']);
    const other = await client.createAudience(tokens.token, ADV, 'Second audience');
    if (!other.ok) throw new Error(other.failure.message);
    const firstAudience = audienceId;
    audienceId = other.data.audienceId;
    const second = await launch('add', ['email']);
    await enter(first, 400, 'a');
    await enter(second, 400, 'b');
    const order: string[] = [];
    const fair = createSender({ store: store(), clock: h.clock, client, tokens, policy: defaultRetryPolicy(windowMs), fillMs: 0, batchSize: 90, maxInFlight: 1, onEvent: (e) => void (e.kind === 'request' && order.push(e.audienceId)) });
    await fair.drain();
    expect(order).toHaveLength(8);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((i) => (i % 2 === 0 ? order[0] : order[1])));
    expect(new Set(order)).toEqual(new Set([firstAudience, audienceId]));
  });
});
