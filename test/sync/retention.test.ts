/**
 * Retention through the sender, the pruner and the API (issue 18, docs/retention.md), on SQLite and
 * PostgreSQL: a batch's hashed identifiers are deleted in the transaction that makes it final, and
 * kept while it is pending (across a restart) or errored (retry-errored sends them again); the pruner
 * deletes finished history older than the retention, never active entries or pending items, and
 * analytics, the user page and re-entry rules read the same after it.
 */
import { statSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.ts';
import { createTikTokClient, type TikTokClient } from '../../src/partners/tiktok/client.ts';
import { sha256Hex } from '../../src/partners/tiktok/identifiers.ts';
import { createPruner } from '../../src/engine/retention.ts';
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

describeEachStore('retention: the pruner', ({ store, url, kind }) => {
  let s: SyncScene;
  let sender: Sender;
  const count = async (text: string, params: unknown[]) => Number((await rawSql<{ n: number }>(kind, url(), text, params))[0]!.n);
  const entries = (canvasId: string) => count('select count(*) as n from entries where canvas_id = ?', [canvasId]);
  const members = (canvasId: string) => count('select count(*) as n from sync_members m join sync_batches b on b.id = m.batch_id where b.canvas_id = ?', [canvasId]);
  const analytics = async (canvasId: string) => (await s.h.call(s.ws.key, 'GET', `/api/canvases/${canvasId}/analytics`)).body as unknown;
  const prune = (retentionMs: number) => createPruner({ store: store(), clock: s.h.clock, retentionMs, sessionIdleMs: 12 * HOUR, batchRows: 3 }).runOnce();

  beforeEach(async () => {
    s = await syncScene(store(), emulator, client);
    sender = createSender({ store: store(), clock: s.h.clock, client, tokens: s.tokens, policy: defaultRetryPolicy(13 * HOUR), fillMs: 0, random: () => 0.5 });
  });

  it('older than the retention goes, newer, active and pending stay; analytics, the user page and re-entry read the same', async () => {
    const canvasId = await s.launch('add');
    await s.enter(canvasId, range(7)); // batches of 3 rows per transaction: several passes
    expect((await s.h.call(s.ws.key, 'POST', '/api/canvas/trigger/send', { canvas_id: canvasId, recipients: [{ external_user_id: 'bare' }] })).status).toBe(201);
    await s.h.worker.drain();
    await sender.drain();
    const waiting = await s.h.call(s.ws.key, 'POST', '/api/canvases', { name: 'wait', first_step: 'wait', steps: [{ id: 'wait', type: 'delay', next: null, config: { seconds: 30 * 86_400 } }] });
    expect((await s.h.call(s.ws.key, 'POST', `/api/canvases/${waiting.body.id}/launch`)).status).toBe(200);
    await s.enter(waiting.body.id, range(3), 'w');

    s.h.clock.advance(2 * HOUR);
    await s.enter(canvasId, range(2), 'late'); // pending at TikTok: not sent yet
    const before = await analytics(canvasId);
    const beforeWaiting = await analytics(waiting.body.id);
    expect(before).toMatchObject({ steps: [{ entered: 10, synced: 7, not_synced: 1, pending: 2 }] });

    expect(await prune(HOUR)).toMatchObject({ entries: 8, syncHistory: 7 + 1 + 2 }); // 8 members, 2 batches
    expect(await entries(canvasId)).toBe(2); // the late ones exited an hour ago: kept
    expect(await members(canvasId)).toBe(2); // pending
    expect(await entries(waiting.body.id)).toBe(3); // active
    expect(await analytics(canvasId)).toEqual(before);

    await sender.drain();
    const synced = await analytics(canvasId);
    expect(synced).toMatchObject({ steps: [{ entered: 10, synced: 9, not_synced: 1, pending: 0 }] });
    await prune(0);
    expect(await entries(canvasId)).toBe(0);
    expect(await members(canvasId)).toBe(0);
    expect(await entries(waiting.body.id)).toBe(3);
    expect(await analytics(canvasId)).toEqual(synced);
    expect(await analytics(waiting.body.id)).toEqual(beforeWaiting);

    const user = await s.h.call(s.ws.key, 'GET', '/api/users/u0');
    expect(user.status).toBe(200);
    expect(user.body).toMatchObject({ profile: { external_id: 'u0' }, canvas_entries: [], sync_items: [] });
    // The canvas allows no re-entry (the default): a pruned user is still refused.
    await s.enter(canvasId, [0, 1]);
    expect(await analytics(canvasId)).toEqual(synced);
    expect(await entries(canvasId)).toBe(0);
  });

  // SQLite alone: PostgreSQL gives space back through autovacuum (migration 0015), not the file.
  if (kind === 'sqlite') {
    it('SQLite: a new file is auto_vacuum INCREMENTAL, and it shrinks once synced history is pruned', async () => {
      const pragma = async (name: string) => Number(Object.values((await rawSql<Record<string, number>>(kind, url(), `pragma ${name}`))[0]!)[0]);
      expect(await pragma('auto_vacuum')).toBe(2);
      const canvasId = await s.launch('add', ['email', 'phone']);
      for (let from = 0; from < 3_000; from += 1_000) {
        const recipients = range(1_000).map((i) => ({ external_user_id: `big${from + i}`, attributes: { email: `big${from + i}@example.com`, phone: `+1415555${String(from + i).padStart(4, '0')}` } }));
        expect((await s.h.call(s.ws.key, 'POST', '/api/canvas/trigger/send', { canvas_id: canvasId, recipients })).status).toBe(201);
        await s.h.worker.drain();
      }
      const written = await pragma('page_count');
      await sender.drain();
      expect(await pragma('freelist_count')).toBeGreaterThan(0); // the payloads' pages, deleted at the settle
      await prune(0);
      expect(await pragma('freelist_count')).toBe(0);
      const after = await pragma('page_count');
      expect(after).toBeLessThan(written * 0.8);
      // The WAL does not keep the size of the burst: the pass checkpoints and truncates it.
      expect(statSync(`${url()}-wal`, { throwIfNoEntry: false })?.size ?? 0).toBe(0);
    });
  }

  it('expired sessions and used or expired sign-in links go; live ones stay', async () => {
    const st = store();
    const ws = await st.createWorkspace({ id: `ws_ret_${kind}`, name: 'r' }, s.h.clock.now());
    const now = s.h.clock.now();
    const { member } = await st.ensureMember({ id: `mb_ret_${kind}`, workspaceId: ws.id, email: `r-${kind}@example.com`, role: 'admin', passwordHash: null }, now);
    for (const [id, expiresAt, lastSeen] of [['live', now + HOUR, now], ['over', now - 1, now], ['idle', now + HOUR, now - 13 * HOUR]] as const) {
      await st.insertSession({ id: `${id}_${kind}`, memberId: member.id, workspaceId: ws.id, csrfToken: 'c', expiresAt }, lastSeen);
    }
    await st.insertSignInLink({ tokenHash: `fresh_${kind}`, memberId: member.id, expiresAt: now + HOUR });
    await st.insertSignInLink({ tokenHash: `used_${kind}`, memberId: member.id, expiresAt: now + HOUR });
    await st.consumeSignInLink(`used_${kind}`, now);
    await st.insertSignInLink({ tokenHash: `old_${kind}`, memberId: member.id, expiresAt: now - 1 });
    await prune(30 * 24 * HOUR);
    expect(await st.getSession(`live_${kind}`)).not.toBeNull();
    expect(await st.getSession(`over_${kind}`)).toBeNull();
    expect(await st.getSession(`idle_${kind}`)).toBeNull();
    expect((await rawSql<{ token_hash: string }>(kind, url(), 'select token_hash from sign_in_links where member_id = ?', [member.id])).map((r) => r.token_hash)).toEqual([`fresh_${kind}`]);
  });
});
