/**
 * Retention through the sender and the API (issue 18, docs/retention.md), on SQLite and PostgreSQL:
 * a batch's hashed identifiers are deleted in the transaction that makes it final, and kept while it
 * is pending (across a restart) or errored (retry-errored sends them again).
 */
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.ts';
import { createTikTokClient, type TikTokClient } from '../../src/partners/tiktok/client.ts';
import { sha256Hex } from '../../src/partners/tiktok/identifiers.ts';
import { createStore } from '../../src/store/index.ts';
import type { Store } from '../../src/store/port.ts';
import { defaultRetryPolicy } from '../../src/sync/retry.ts';
import { createSender, type Sender } from '../../src/sync/sender.ts';
import { describeEachStore } from '../support/databases.ts';
import { rawSql } from '../support/raw-db.ts';
import { syncScene, type SyncScene } from '../support/sync.ts';
import { emulatorAdmin, SEED } from '../support/tiktok.ts';

const HOUR = 3_600_000;
let emulator: RunningEmulator;
let client: TikTokClient;
beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  client = createTikTokClient({ apiBase: emulator.url, appId: SEED.appId, appSecret: SEED.appSecret, timeoutMs: 10_000 });
});
afterAll(() => emulator.close());

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describeEachStore('retention: sync payloads', ({ store, url, kind }) => {
  let s: SyncScene;
  const senderOn = (st: Store): Sender => createSender({ store: st, clock: s.h.clock, client, tokens: s.tokens, policy: defaultRetryPolicy(13 * HOUR), fillMs: 0, random: () => 0.5 });
  /** Payload rows left for the canvas's batches. */
  const payloads = async (canvasId: string) =>
    Number((await rawSql<{ n: number }>(kind, url(), 'select count(*) as n from sync_payloads p join sync_batches b on b.id = p.batch_id where b.canvas_id = ?', [canvasId]))[0]!.n);

  beforeEach(async () => {
    s = await syncScene(store(), emulator, client);
  });

  it('pending: kept, across a restart; synced: deleted with the settle; users without identifiers never get one', async () => {
    const canvasId = await s.launch('add');
    await s.enter(canvasId, range(5));
    // A user with no email: not_synced (missing_fields) at once, nothing to send.
    expect((await s.h.call(s.ws.key, 'POST', '/api/canvas/trigger/send', { canvas_id: canvasId, recipients: [{ external_user_id: 'bare' }] })).status).toBe(201);
    await s.h.worker.drain();
    expect(await s.step(canvasId)).toMatchObject({ entered: 6, pending: 5, not_synced: 1 });
    expect(await payloads(canvasId)).toBeGreaterThan(0);

    // A restart: a second store opened on the same database finds the pending payloads and sends them.
    const reopened = await createStore(url());
    try {
      await senderOn(reopened).drain();
    } finally {
      await reopened.close();
    }
    expect(new Set(await s.emails())).toEqual(new Set(range(5).map((i) => sha256Hex(`u${i}@example.com`))));
    expect(await s.step(canvasId)).toMatchObject({ entered: 6, synced: 5, not_synced: 1, pending: 0 });
    expect(await payloads(canvasId)).toBe(0);
  });

  it('errored: kept, so retry-errored sends the users; deleted once they sync', async () => {
    const canvasId = await s.launch('add');
    await s.enter(canvasId, range(4), 'e');
    await emulatorAdmin(emulator.url, '/faults', { fail_next: { count: 1, code: 40002 } });
    const sender = senderOn(store());
    await sender.drain();
    expect(await s.step(canvasId)).toMatchObject({ errored: 4, pending: 0 });
    expect(await payloads(canvasId)).toBeGreaterThan(0);
    expect((await s.h.call(s.ws.key, 'POST', `/api/canvases/${canvasId}/steps/sync/retry-errored`)).body.requeued).toBe(4);
    await sender.drain();
    expect(await s.step(canvasId)).toMatchObject({ synced: 4, errored: 0, pending: 0 });
    expect(new Set(await s.emails())).toEqual(new Set(range(4).map((i) => sha256Hex(`e${i}@example.com`))));
    expect(await payloads(canvasId)).toBe(0);
  });
});
