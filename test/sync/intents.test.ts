/**
 * Spec §2.4 and §9: for one user and one audience the most recent intent wins — a remove that entered
 * after an add is never undone by that add, whatever state the add is in (in flight, waiting to retry
 * after a transient failure, applied late by TikTok, retried by an admin). Against the emulator over
 * real HTTP, on SQLite and PostgreSQL; every step's counts add up at the end.
 */
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.ts';
import { createTikTokClient, type TikTokClient } from '../../src/partners/tiktok/client.ts';
import { sha256Hex } from '../../src/partners/tiktok/identifiers.ts';
import { defaultRetryPolicy } from '../../src/sync/retry.ts';
import { createSender, type Sender, type SenderOptions } from '../../src/sync/sender.ts';
import { describeEachStore } from '../support/databases.ts';
import { expectBalanced, syncScene, until, type SyncScene } from '../support/sync.ts';
import { emulatorAdmin, SEED, type EmulatorStats } from '../support/tiktok.ts';

const MAPPING = '/open_api/v1.3/segment/mapping/';
const windowMs = 13 * 3_600_000;
let emulator: RunningEmulator;
let client: TikTokClient;
beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  client = createTikTokClient({ apiBase: emulator.url, appId: SEED.appId, appSecret: SEED.appSecret, timeoutMs: 10_000 });
});
afterAll(() => emulator.close());

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
const hashed = (indexes: readonly number[]) => indexes.map((i) => sha256Hex(`u${i}@example.com`)).sort();

/**
 * A TikTok whose answers to the next requests get lost (the client sees a timeout) while the requests
 * themselves wait, to be applied when the test says: a slow TikTok applying a request after the
 * client gave up on it.
 */
function lossyClient(real: TikTokClient) {
  const held: { token: string; body: Buffer }[] = [];
  let lose = 0;
  return {
    loseNext: (n: number) => void (lose = n),
    client: {
      getAudience: real.getAudience,
      mapping: async (token: string, body: Parameters<TikTokClient['mapping']>[1]) => {
        if (lose === 0) return real.mapping(token, body);
        lose -= 1;
        held.push({ token, body: Buffer.from(body as Uint8Array) }); // the sender reuses its buffers
        return { ok: false as const, failure: { kind: 'transient' as const, reason: 'timeout', code: null, httpStatus: null, message: 'timed out', requestId: null } };
      },
    },
    /** TikTok applies the requests it held, late. */
    async applyLate() {
      for (const { token, body } of held.splice(0)) expect((await real.mapping(token, body)).ok).toBe(true);
    },
  };
}

describeEachStore('sync: the latest intent wins', ({ store }) => {
  let s: SyncScene;
  let sender: Sender;
  const senderOf = (o: Partial<SenderOptions> = {}) => createSender({ store: store(), clock: s.h.clock, client, tokens: s.tokens, policy: defaultRetryPolicy(windowMs), fillMs: 0, idleMs: 10, random: () => 0.5, ...o });
  const arrived = async () => (await emulatorAdmin<EmulatorStats>(emulator.url, '/stats')).requests_by_path[MAPPING] ?? 0;

  beforeEach(async () => {
    s = await syncScene(store(), emulator, client);
    sender = senderOf();
  });

  /** Runs a sender until every step of `canvasIds` has no pending user. */
  async function runUntilSettled(running: Sender, canvasIds: readonly string[]): Promise<void> {
    await until(async () => (await Promise.all(canvasIds.map((id) => s.step(id)))).every((st) => st.pending === 0));
    await running.stop();
  }

  it('an add in flight when the remove enters: TikTok answers the add before the remove leaves, so the user ends out', async () => {
    const add = await s.launch('add');
    const remove = await s.launch('remove');
    await s.enter(add, range(0, 10));
    // The add takes 1.5 s to be applied; a request sent after it would be applied at once, before it.
    await emulatorAdmin(emulator.url, '/faults', { latency_ms: 1_500 });
    const running = senderOf();
    running.start();
    try {
      await until(async () => (await arrived()) === 1);
      await emulatorAdmin(emulator.url, '/faults', {});
      await s.enter(remove, range(0, 5)); // users 0–4 opt out while their add is on its way
      running.wake();
      await runUntilSettled(running, [add, remove]);
    } finally {
      await running.stop();
      await emulatorAdmin(emulator.url, '/faults', {});
    }
    expect((await s.emails()).sort()).toEqual(hashed(range(5, 10)));
    expect(await s.step(add)).toMatchObject({ entered: 10, synced: 10, pending: 0, errored: 0 });
    expect(await s.step(remove)).toMatchObject({ entered: 5, synced: 5, pending: 0, errored: 0 });
    for (const id of [add, remove]) expectBalanced(await s.step(id));
  });

  it('an add waiting to retry after a transient failure when the remove enters: the add is superseded, the user ends out', async () => {
    const add = await s.launch('add');
    const remove = await s.launch('remove');
    await s.enter(add, range(0, 10));
    await emulatorAdmin(emulator.url, '/faults', { fail_next: { count: 1, code: 50000 } });
    await sender.drain();
    expect(await s.step(add)).toMatchObject({ pending: 10, synced: 0 }); // waiting out its backoff
    await s.enter(remove, range(0, 5));
    await sender.drain();
    expect(await s.step(remove)).toMatchObject({ synced: 5, pending: 0 });
    s.h.clock.advance(60_000); // past the backoff: the add is retried
    await sender.drain();
    expect((await s.emails()).sort()).toEqual(hashed(range(5, 10)));
    expect(await s.step(add)).toMatchObject({ entered: 10, synced: 5, not_synced: 5, pending: 0, errored: 0 });
    expect(await s.step(remove)).toMatchObject({ entered: 5, synced: 5, pending: 0, errored: 0 });
    for (const id of [add, remove]) expectBalanced(await s.step(id));
    const history = (await s.h.call(s.ws.key, 'GET', '/api/users/u0')).body.sync_items as { canvas_id: string; outcome: string; reason: string | null }[];
    expect(history.find((i) => i.canvas_id === add)).toMatchObject({ outcome: 'not_synced', reason: 'superseded' });
    expect(history.find((i) => i.canvas_id === remove)).toMatchObject({ outcome: 'synced' });
  });

  it('an add whose answer was lost, applied by TikTok after the remove: the remove is sent again', async () => {
    const lossy = lossyClient(client);
    const flaky = senderOf({ client: lossy.client });
    const add = await s.launch('add');
    const remove = await s.launch('remove');
    await s.enter(add, range(0, 10));
    lossy.loseNext(1);
    await flaky.drain(); // "timed out": the add waits to retry
    await s.enter(remove, range(0, 5));
    await flaky.drain();
    await lossy.applyLate(); // TikTok applies the add after the remove
    expect((await s.emails()).sort()).toEqual(hashed(range(0, 10)));
    s.h.clock.advance(60_000);
    await flaky.drain();
    expect((await s.emails()).sort()).toEqual(hashed(range(5, 10)));
    expect(await s.step(add)).toMatchObject({ entered: 10, synced: 5, not_synced: 5, pending: 0, errored: 0 });
    expect(await s.step(remove)).toMatchObject({ entered: 5, synced: 5, pending: 0, errored: 0 });
    for (const id of [add, remove]) expectBalanced(await s.step(id));
  });

  it('a remove in flight when the user opts in again: the new add is sent after it, so the user ends in', async () => {
    const first = await s.launch('add');
    const remove = await s.launch('remove');
    const again = await s.launch('add');
    await s.enter(first, range(0, 5));
    await sender.drain();
    await s.enter(remove, range(0, 5));
    await emulatorAdmin(emulator.url, '/faults', { latency_ms: 1_500 });
    const running = senderOf();
    running.start();
    try {
      await until(async () => (await arrived()) === 2);
      await emulatorAdmin(emulator.url, '/faults', {});
      await s.enter(again, range(0, 5));
      running.wake();
      await runUntilSettled(running, [first, remove, again]);
    } finally {
      await running.stop();
      await emulatorAdmin(emulator.url, '/faults', {});
    }
    expect((await s.emails()).sort()).toEqual(hashed(range(0, 5)));
    for (const id of [first, remove, again]) expect(await s.step(id)).toMatchObject({ entered: 5, synced: 5, pending: 0, errored: 0 });
    for (const id of [first, remove, again]) expectBalanced(await s.step(id));
  });

  it('a backlog of adds does not starve removes for the same audience: the two actions take turns', async () => {
    const add = await s.launch('add');
    const remove = await s.launch('remove');
    await s.enter(add, range(0, 2_000));
    await emulatorAdmin(emulator.url, '/faults', { latency_ms: 100 });
    const rows: number[] = []; // per answered request, its rows: adds carry 100, the remove 5
    const running = senderOf({ batchSize: 100, maxInFlight: 4, onEvent: (e) => void (e.kind === 'request' && rows.push(e.rows)) });
    running.start();
    try {
      await until(async () => (await arrived()) >= 1);
      await s.enter(remove, range(0, 5), 'r');
      running.wake();
      await runUntilSettled(running, [add, remove]);
    } finally {
      await running.stop();
      await emulatorAdmin(emulator.url, '/faults', {});
    }
    expect(rows).toHaveLength(21);
    // It waited for the adds in flight (four at most), not for the whole backlog of twenty.
    expect(rows.indexOf(5)).toBeLessThan(10);
    expect(await s.step(add)).toMatchObject({ entered: 2_000, synced: 2_000, pending: 0 });
    expect(await s.step(remove)).toMatchObject({ entered: 5, synced: 5, pending: 0 });
  });

  it('a remove then an add, both pending: only the add is sent and the user ends in', async () => {
    const remove = await s.launch('remove');
    const add = await s.launch('add');
    await s.enter(remove, range(0, 5));
    s.h.clock.advance(1_000);
    await s.enter(add, range(0, 5));
    await sender.drain();
    expect((await s.emails()).sort()).toEqual(hashed(range(0, 5)));
    expect(await s.step(remove)).toMatchObject({ entered: 5, not_synced: 5, pending: 0 });
    expect(await s.step(add)).toMatchObject({ entered: 5, synced: 5, pending: 0 });
  });

  it('retry-errored of an add never undoes a remove that entered after it', async () => {
    const add = await s.launch('add');
    const remove = await s.launch('remove');
    await s.enter(add, range(0, 5));
    await emulatorAdmin(emulator.url, '/faults', { fail_next: { count: 1, code: 40002 } });
    await sender.drain();
    expect(await s.step(add)).toMatchObject({ errored: 5, pending: 0 });
    await s.enter(remove, range(0, 3));
    await sender.drain();
    s.h.clock.advance(60_000);
    expect((await s.h.call(s.ws.key, 'POST', `/api/canvases/${add}/steps/sync/retry-errored`)).body).toEqual({ canvas_id: add, step_id: 'sync', requeued: 5 });
    await sender.drain();
    expect((await s.emails()).sort()).toEqual(hashed(range(3, 5)));
    expect(await s.step(add)).toMatchObject({ entered: 5, synced: 2, not_synced: 3, pending: 0, errored: 0 });
    for (const id of [add, remove]) expectBalanced(await s.step(id));
  });
});
