// The launch's multi-row inserts and the sender's settles: the writes made once per user on a big launch.
import { expect, it } from 'vitest';
import { rowFromHex } from '../../src/core/digest-rows.ts';
import type { NewEntry } from '../../src/store/journey-port.ts';
import type { ClaimedBatch } from '../../src/store/sync-port.ts';
import { describeEachStore } from '../support/databases.ts';

const NOW = Date.parse('2026-11-28T12:00:00Z');

// Multi-row INSERTs bind a column once when every row of a statement shares its value
// (store/queries/context.ts). These rows mix shared columns (workspace, canvas, version) with ones
// that vary within a statement (profile, state, context) and ones that vary only between statements.
describeEachStore('store: multi-row inserts with shared columns', ({ store }) => {
  it('stores each row as given, across statement boundaries, and returns ids in row order', async () => {
    const rows: NewEntry[] = [];
    for (let i = 0; i < 2_500; i++) {
      rows.push({
        workspaceId: 'ws_ins',
        canvasId: 'cv_ins',
        version: 3,
        profileId: 10_000 + i,
        externalId: `u-${i}`,
        stepId: 'first',
        context: i < 1_000 ? null : { n: i },
        dispatchId: null,
        // Every third user already exited; the rest wait at 'first'.
        state: i % 3 === 0 ? { stepId: null, status: 'exited', dueAt: null, stepEnteredAt: NOW, exitedAt: NOW + i } : undefined,
      });
    }
    const inserted = await store().transaction((tx) => tx.insertEntries(rows, NOW));
    expect(inserted.map((r) => r.profileId)).toEqual(rows.map((r) => r.profileId));
    expect(new Set(inserted.map((r) => r.id)).size).toBe(2_500);
    // Each id is that row's: the active ones, claimed back, carry the profile the insert answered for them.
    const claimed = await store().claimDueEntries({ now: NOW, limit: 5_000, leaseMs: 1_000, leaseId: 'check' });
    const profileOf = new Map(inserted.map((r) => [r.id, r.profileId]));
    expect(claimed).toHaveLength(1_666);
    for (const e of claimed) expect(profileOf.get(e.id)).toBe(e.profileId);
    expect(await store().countEntries('ws_ins', 'cv_ins')).toEqual({ entries: 2_500, users: 2_500, exited: 834 });

    // The active ones conflict on (canvas, profile): inserting everyone again adds only the exited users.
    const again = await store().transaction((tx) => tx.insertEntries(rows.map((r) => ({ ...r, state: undefined })), NOW + 1));
    expect(again.map((r) => r.profileId)).toEqual(rows.filter((_, i) => i % 3 === 0).map((r) => r.profileId));
    const claimedAgain = await store().claimDueEntries({ now: NOW + 1, limit: 5_000, leaseMs: 1_000, leaseId: 'check-again' });
    const againOf = new Map(again.map((r) => [r.id, r.profileId]));
    expect(claimedAgain.filter((e) => againOf.has(e.id))).toHaveLength(834);
    for (const e of claimedAgain) if (againOf.has(e.id)) expect(againOf.get(e.id)).toBe(e.profileId);
    expect(await store().countEntries('ws_ins', 'cv_ins')).toEqual({ entries: 3_334, users: 2_500, exited: 834 });
    expect(await store().countEntries('ws_other', 'cv_ins')).toEqual({ entries: 0, users: 0, exited: 0 });
  });

  it('entries from profiles: one per profile of the workspace, ids answered in profile order; others and missing ones get none', async () => {
    const mine = await store().transaction((tx) => tx.upsertProfiles('ws_fp', Array.from({ length: 1_200 }, (_, i) => ({ externalId: `fp-${i}`, standard: {}, custom: {} })), NOW));
    const theirs = await store().transaction((tx) => tx.upsertProfiles('ws_fp_other', [{ externalId: 'fp-x', standard: {}, custom: {} }], NOW));
    const state = { stepId: null, status: 'exited' as const, dueAt: null, stepEnteredAt: NOW, exitedAt: NOW };
    const ids = mine.map((p) => p.id);
    const all = await store().transaction((tx) => tx.insertEntriesFromProfiles({ workspaceId: 'ws_fp', canvasId: 'cv_fp', version: 2, profileIds: ids, state }, NOW + 1));
    expect(all.map((e) => e.profileId)).toEqual([...ids].sort((a, b) => a - b));
    // A profile of another workspace and an id that is no profile: no entry; the rest still answered in order.
    const some = [ids[5]!, theirs[0]!.id, 999_999_999, ids[1_000]!];
    const part = await store().transaction((tx) => tx.insertEntriesFromProfiles({ workspaceId: 'ws_fp', canvasId: 'cv_fp2', version: 1, profileIds: some, state }, NOW + 2));
    expect(part.map((e) => e.profileId)).toEqual([ids[5], ids[1_000]]);
    // Written in the state given (exited: never due), entered now; test/engine/launch-bulk.test.ts ties ids to users.
    expect(await store().claimDueEntries({ now: NOW + 10, limit: 10, leaseMs: 1_000, leaseId: 'fp' })).toEqual([]);
    expect(await store().countEntries('ws_fp', 'cv_fp')).toEqual({ entries: 1_200, users: 1_200, exited: 1_200 });
    expect(await store().countEntries('ws_fp', 'cv_fp2')).toEqual({ entries: 2, users: 2, exited: 2 });
    const entries = await store().listEntriesOfProfile('ws_fp', 'fp-5', 10);
    expect(entries).toEqual([
      { canvasId: 'cv_fp2', version: 1, stepId: null, status: 'exited', enteredAt: NOW + 2, exitedAt: NOW, failureReason: null, canvasName: null },
      { canvasId: 'cv_fp', version: 2, stepId: null, status: 'exited', enteredAt: NOW + 1, exitedAt: NOW, failureReason: null, canvasName: null },
    ]);
    expect(new Set([...all, ...part].map((e) => e.id)).size).toBe(1_202);
  });

  it('step counts: deltas of one (step, metric, reason, minute) add up, in one call and across calls; zero deltas write nothing', async () => {
    const d = (stepId: string, metric: string, count: number, reason = '', minute = 100) => ({ workspaceId: 'ws_cnt', canvasId: 'cv_cnt', stepId, metric, reason, minute, count });
    // A launch chunk: a few deltas per user, most of them alike.
    const deltas: ReturnType<typeof d>[] = [];
    for (let i = 0; i < 1_200; i++) deltas.push(d('sync', 'exited', 1), ...(i % 4 === 0 ? [d('sync', 'not_synced', 1, 'missing_fields'), d('sync', 'pending', -1)] : []));
    deltas.push(d('sync', 'entered', 1_200), d('sync', 'pending', 1_200), d('sync', 'exited', 5, '', 101), d('other', 'exited', 2), d('sync', 'not_synced', 1, 'profile_missing'), d('sync', 'proceeded', 0));
    await store().transaction((tx) => tx.addStepCounts(deltas));
    await store().transaction((tx) => tx.addStepCounts([d('sync', 'exited', 10), d('sync', 'not_synced', 2, 'missing_fields')]));
    const counts = (await store().stepCounts('ws_cnt', 'cv_cnt')).sort((a, b) => `${a.stepId}${a.metric}${a.reason}${a.minute}`.localeCompare(`${b.stepId}${b.metric}${b.reason}${b.minute}`));
    expect(counts).toEqual([
      { stepId: 'other', metric: 'exited', reason: '', minute: 100, count: 2 },
      { stepId: 'sync', metric: 'entered', reason: '', minute: 100, count: 1_200 },
      { stepId: 'sync', metric: 'exited', reason: '', minute: 100, count: 1_210 },
      { stepId: 'sync', metric: 'exited', reason: '', minute: 101, count: 5 },
      { stepId: 'sync', metric: 'not_synced', reason: 'missing_fields', minute: 100, count: 302 },
      { stepId: 'sync', metric: 'not_synced', reason: 'profile_missing', minute: 100, count: 1 },
      { stepId: 'sync', metric: 'pending', reason: '', minute: 100, count: 900 },
    ]);
  });
});

describeEachStore('store: sync batches', ({ store }) => {
  /** `n` users entered into a sync step at `at`, written as the executor writes them (one batch). */
  async function enterSync(tag: string, n: number, at: number) {
    await store().transaction((tx) => tx.upsertProfiles(`ws_${tag}`, Array.from({ length: n }, (_, i) => ({ externalId: `s-${i}`, standard: {}, custom: {} })), at));
    const profileIds = await Promise.all(Array.from({ length: n }, async (_, i) => (await store().getProfile(`ws_${tag}`, `s-${i}`))!.id));
    const entries = await store().transaction((tx) =>
      tx.insertEntries(Array.from({ length: n }, (_, i) => ({ workspaceId: `ws_${tag}`, canvasId: `cv_${tag}`, version: 1, profileId: profileIds[i]!, externalId: `s-${i}`, stepId: 'sync', context: null, dispatchId: null })), at),
    );
    await store().transaction((tx) =>
      tx.insertSyncItems(
        entries.map((e, i) => ({ workspaceId: `ws_${tag}`, canvasId: `cv_${tag}`, stepId: 'sync', entryId: e.id, profileId: e.profileId, advertiserId: 'adv', audienceId: `aud_${tag}`, action: 'add', fields: ['email', 'phone'], hashes: rowFromHex(i % 2 ? { email: hashOf(i) } : { email: hashOf(i), phone: hashOf(1_000 + i) }), outcome: 'pending', reason: null })),
        at,
      ),
    );
    return (await store().listSyncQueues()).find((q) => q.audienceId === `aud_${tag}`)!;
  }
  const hashOf = (i: number) => i.toString(16).padStart(64, '0');
  const outcomes = async (ws: string, n: number) => Promise.all(Array.from({ length: n }, async (_, i) => (await store().listSyncItemsOfProfile(ws, `s-${i}`)).map((x) => x.outcome)));

  it('a settle changes only batches still pending and says how many users each settled, so a resend is counted once', async () => {
    const queue = await enterSync('set', 3, NOW);
    const { batches } = await store().readDueSyncBatches({ queueId: queue.id, now: NOW, limit: 10 });
    expect(batches).toHaveLength(1);
    const [batch] = batches as [ClaimedBatch];
    expect(batch.users.map((u) => u.hashes)).toEqual([{ email: hashOf(0), phone: hashOf(1_000) }, { email: hashOf(1) }, { email: hashOf(2), phone: hashOf(1_002) }]);

    // One user superseded: it has its own outcome, is not sent again, and is not counted with the batch.
    expect(await store().transaction((tx) => tx.settleSyncMembers(batch.id, [1], 'not_synced', 'superseded', NOW + 5))).toBe(1);
    expect(await store().transaction((tx) => tx.settleSyncMembers(batch.id, [1], 'not_synced', 'superseded', NOW + 6))).toBe(0);
    expect((await store().readDueSyncBatches({ queueId: queue.id, now: NOW, limit: 10 })).batches[0]!.users.map((u) => u.position)).toEqual([0, 2]);
    expect(await store().pendingByAudience()).toContainEqual({ workspaceId: 'ws_set', audienceId: 'aud_set', count: 2 });

    expect(await store().transaction((tx) => tx.settleSyncBatches([batch.id], 'synced', null, NOW + 10))).toEqual([{ id: batch.id, count: 2 }]);
    // The same batch again (a resend after a crash): nothing changes.
    expect(await store().transaction((tx) => tx.settleSyncBatches([batch.id], 'errored', 'tiktok_rejected: x', NOW + 20))).toEqual([]);
    expect(await outcomes('ws_set', 3)).toEqual([['synced'], ['not_synced'], ['synced']]);
    expect((await store().listSyncItemsOfProfile('ws_set', 's-1'))[0]).toMatchObject({ reason: 'superseded', settledAt: NOW + 5 });
    expect((await store().ackLatencies('ws_set', 'cv_set')).sort()).toEqual([10, 10]);
    expect((await store().pendingByAudience()).filter((p) => p.audienceId === 'aud_set')).toEqual([]);
    expect((await store().readDueSyncBatches({ queueId: queue.id, now: NOW + 30, limit: 10 })).batches).toEqual([]);
  });

  it('a read takes whole batches up to the limit; the one that would overflow splits and keeps its members, in order', async () => {
    const queue = await enterSync('split', 7, NOW);
    const first = await store().readDueSyncBatches({ queueId: queue.id, now: NOW, limit: 5 });
    expect(first.batches).toEqual([]);
    expect(first.overflow).toMatchObject({ room: 5 });
    await store().transaction((tx) => tx.splitSyncBatch(first.overflow!.id, first.overflow!.room));
    const head = await store().readDueSyncBatches({ queueId: queue.id, now: NOW, limit: 5 });
    expect(head.batches.map((b) => b.users.map((u) => u.hashes.email))).toEqual([[0, 1, 2, 3, 4].map(hashOf)]);
    const after = { dueAt: head.batches[0]!.dueAt, id: head.batches[0]!.id };
    const tail = await store().readDueSyncBatches({ queueId: queue.id, now: NOW, limit: 5, after });
    expect(tail.batches.map((b) => b.users.map((u) => [u.position, u.hashes.email ?? null, u.hashes.phone ?? null]))).toEqual([[[0, hashOf(5), null], [1, hashOf(6), hashOf(1_006)]]]);
    expect(await store().pendingByAudience()).toContainEqual({ workspaceId: 'ws_split', audienceId: 'aud_split', count: 7 });

    // Each part settles on its own; every user's history shows its part's outcome.
    await store().transaction((tx) => tx.settleSyncBatches([tail.batches[0]!.id], 'errored', 'tiktok_rejected: x', NOW + 1));
    await store().transaction((tx) => tx.settleSyncBatches([head.batches[0]!.id], 'synced', null, NOW + 2));
    expect(await outcomes('ws_split', 7)).toEqual([...Array(5).fill(['synced']), ['errored'], ['errored']]);
    expect(await store().transaction((tx) => tx.requeueErroredSyncItems('ws_split', 'cv_split', 'sync', NOW + 3))).toEqual([{ reason: 'tiktok_rejected: x', count: 2 }]);
    expect(await outcomes('ws_split', 7)).toEqual([...Array(5).fill(['synced']), ['pending'], ['pending']]);
  });

});

describeEachStore('store: values bound as PostgreSQL array literals', ({ store }) => {
  // PostgreSQL binds a batch as one array literal a column, written by context.ts pgArray: every
  // character that means something in that syntax must come back as it went in.
  it('stores values with array-literal syntax in them exactly (quotes, backslashes, braces, commas, "NULL")', async () => {
    const hostile = ['plain', 'a"b', 'back\\slash', '\\"', '{x,y}', 'a,b', 'NULL', 'null', '', ' padded ', "o'hara", 'line\nbreak', 'tab\there', 'ünïcødé 🚀', '\\'];
    const written = await store().transaction((tx) =>
      tx.upsertProfiles('ws_lit', hostile.map((v, i) => ({ externalId: `lit-${i}-${v}`, standard: { first_name: v, ...(i % 2 ? {} : { last_name: null }) }, custom: { v } })), NOW),
    );
    expect(written).toHaveLength(hostile.length);
    const read = await store().getProfilesByExternalIds('ws_lit', hostile.map((v, i) => `lit-${i}-${v}`));
    const byExternal = new Map(read.map((p) => [p.externalId, p]));
    hostile.forEach((v, i) => {
      const p = byExternal.get(`lit-${i}-${v}`);
      expect(p?.first_name).toBe(v);
      expect(p?.custom).toEqual({ v });
    });
    // And read back by id through the same kind of literal: the same profiles.
    expect((await store().getProfilesByIds('ws_lit', read.map((p) => p.id))).map((p) => p.externalId).sort()).toEqual(hostile.map((v, i) => `lit-${i}-${v}`).sort());
  });
});
