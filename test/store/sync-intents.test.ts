// The store's side of "the latest intent wins" and of retry-errored: the order of intents (seq) kept
// by splits, re-sends and retries; synced members sent again; members errored on their own requeued.
import { expect, it } from 'vitest';
import { rowFromHex } from '../../src/core/digest-rows.ts';
import { describeEachStore } from '../support/databases.ts';

const NOW = Date.parse('2026-11-28T12:00:00Z');
const hashOf = (i: number) => i.toString(16).padStart(64, '0');

describeEachStore('store: sync intents', ({ store }) => {
  /** Users `s-<i>` of `ws_<tag>` entered into `step` of `cv_<tag>` at `at`: one pending batch; its queue. */
  async function enterSync(tag: string, users: readonly number[], at: number, action: 'add' | 'remove' = 'add', step = 'sync') {
    const ws = `ws_${tag}`;
    const canvasId = action === 'add' ? `cv_${tag}` : `cv_${tag}_out`; // one active entry per user and canvas
    const profiles = await store().transaction((tx) => tx.upsertProfiles(ws, users.map((i) => ({ externalId: `s-${i}`, standard: {}, custom: {} })), at));
    const entries = await store().transaction((tx) =>
      tx.insertEntries(profiles.map((p, k) => ({ workspaceId: ws, canvasId, version: 1, profileId: p.id, externalId: `s-${users[k]}`, stepId: step, context: null, dispatchId: null })), at),
    );
    await store().transaction((tx) =>
      tx.insertSyncItems(
        entries.map((e, k) => ({ workspaceId: ws, canvasId, stepId: step, entryId: e.id, profileId: e.profileId, advertiserId: 'adv', audienceId: `aud_${tag}`, action, fields: ['email'], hashes: rowFromHex({ email: hashOf(users[k]!) }), outcome: 'pending', reason: null })),
        at,
      ),
    );
    return { queue: (await store().listSyncQueues()).find((q) => q.audienceId === `aud_${tag}` && q.action === action)!, profileIds: profiles.map((p) => p.id) };
  }
  const read = async (queueId: number, now = NOW + 1_000) => (await store().readDueSyncBatches({ queueId, now, limit: 100 })).batches;
  const history = async (tag: string, i: number) => (await store().listSyncItemsOfProfile(`ws_${tag}`, `s-${i}`)).map((x) => [x.action, x.outcome, x.reason]);

  it('a split keeps the intents order; intentsAfter sees every state and says which are synced', async () => {
    const adds = await enterSync('seq', [0, 1, 2, 3], NOW);
    const removes = await enterSync('seq', [0, 1], NOW + 1, 'remove');
    const [add] = await read(adds.queue.id);
    const [remove] = await read(removes.queue.id);
    expect(remove!.seq).toBeGreaterThan(add!.seq);
    // The add's tail becomes a new batch (a new id) but keeps its place before the remove.
    await store().transaction((tx) => tx.splitSyncBatch(add!.id, 2));
    const parts = await read(adds.queue.id);
    expect(parts.map((b) => b.seq)).toEqual([add!.seq, add!.seq]);
    expect(parts[1]!.id).toBeGreaterThan(remove!.id);

    await store().transaction((tx) => tx.settleSyncBatches([remove!.id], 'synced', null, NOW + 2));
    const key = { workspaceId: 'ws_seq', audienceId: 'aud_seq', profileIds: adds.profileIds };
    const newer = await store().intentsAfter({ ...key, action: 'remove', after: add!.seq });
    expect(newer.map((i) => [i.profileId, i.seq, i.synced]).sort()).toEqual([[adds.profileIds[0], remove!.seq, true], [adds.profileIds[1], remove!.seq, true]].sort());
    expect(await store().intentsAfter({ ...key, action: 'remove', after: remove!.seq })).toEqual([]);
    expect(await store().intentsAfter({ ...key, workspaceId: 'ws_other', action: 'remove', after: 0 })).toEqual([]);
  });

  it('a re-send moves synced members to a new pending batch with their hashes and seq, once', async () => {
    const { queue } = await enterSync('again', [0, 1, 2, 3], NOW, 'remove');
    const [batch] = await read(queue.id);
    await store().transaction((tx) => tx.settleSyncBatches([batch!.id], 'synced', null, NOW + 5));
    const members = [{ batchId: batch!.id, position: 1 }, { batchId: batch!.id, position: 3 }];
    expect(await store().transaction((tx) => tx.resendSyncMembers(members, NOW + 10))).toEqual([{ workspaceId: 'ws_again', canvasId: 'cv_again_out', stepId: 'sync', count: 2 }]);
    // Again: they are no longer in that batch, so nothing moves.
    expect(await store().transaction((tx) => tx.resendSyncMembers(members, NOW + 11))).toEqual([]);
    const [resent] = await read(queue.id, NOW + 10);
    expect(resent).toMatchObject({ seq: batch!.seq, createdAt: NOW + 10, failedAttempts: 0 });
    expect(resent!.users.map((u) => [u.position, u.hashes.email])).toEqual([[0, hashOf(1)], [1, hashOf(3)]]);
    expect(await Promise.all([0, 1, 2, 3].map((i) => history('again', i)))).toEqual([[['remove', 'synced', null]], [['remove', 'pending', null]], [['remove', 'synced', null]], [['remove', 'pending', null]]]);
    expect(await store().pendingByAudience()).toContainEqual({ workspaceId: 'ws_again', audienceId: 'aud_again', count: 2 });
    await store().transaction((tx) => tx.settleSyncBatches([resent!.id], 'synced', null, NOW + 20));
    expect(await Promise.all([0, 1, 2, 3].map((i) => history('again', i)))).toEqual(Array(4).fill([['remove', 'synced', null]]));
  });

  it('retry-errored takes members errored on their own: in a pending batch they rejoin it, from a settled one they move', async () => {
    const { queue } = await enterSync('own', [0, 1, 2, 3], NOW);
    const [first] = await read(queue.id);
    await store().transaction((tx) => tx.settleSyncMembers(first!.id, [1], 'errored', 'poison', NOW + 1));
    await store().transaction((tx) => tx.settleSyncBatches([first!.id], 'synced', null, NOW + 2));
    await enterSync('own', [4, 5, 6], NOW + 3, 'add');
    const [second] = await read(queue.id);
    await store().transaction((tx) => tx.rescheduleSyncBatches([second!.id], { dueAt: NOW + 4, failed: true, lastError: 'http_502' }));
    await store().transaction((tx) => tx.settleSyncMembers(second!.id, [0, 2], 'errored', 'poison', NOW + 4));
    expect(await history('own', 1)).toEqual([['add', 'errored', 'poison']]);

    expect(await store().transaction((tx) => tx.requeueErroredSyncItems('ws_own', 'cv_own', 'sync', NOW + 100))).toEqual([{ reason: 'poison', count: 3 }]);
    expect(await Promise.all([0, 1, 2, 3, 4, 5, 6].map((i) => history('own', i)))).toEqual([...[0, 1, 2, 3].map((i) => [['add', i === 1 ? 'pending' : 'synced', null]]), ...Array(3).fill([['add', 'pending', null]])]);
    const due = await read(queue.id, NOW + 100);
    expect(due.map((b) => b.users.map((u) => u.hashes.email)).flat().sort()).toEqual([1, 4, 5, 6].map(hashOf).sort());
    expect(await store().transaction((tx) => tx.requeueErroredSyncItems('ws_own', 'cv_own', 'sync', NOW + 101))).toEqual([]);
  });
});
