// The launch's multi-row inserts and the sender's settles: the writes made once per user on a big launch.
import { expect, it } from 'vitest';
import type { NewEntry } from '../../src/store/journey-port.ts';
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
    expect(await store().countEntries('ws_ins', 'cv_ins')).toEqual({ entries: 2_500, users: 2_500, exited: 834 });

    // The active ones conflict on (canvas, profile): inserting everyone again adds only the exited users.
    const again = await store().transaction((tx) => tx.insertEntries(rows.map((r) => ({ ...r, state: undefined })), NOW + 1));
    expect(again.map((r) => r.profileId)).toEqual(rows.filter((_, i) => i % 3 === 0).map((r) => r.profileId));
    expect(await store().countEntries('ws_ins', 'cv_ins')).toEqual({ entries: 3_334, users: 2_500, exited: 834 });
    expect(await store().countEntries('ws_other', 'cv_ins')).toEqual({ entries: 0, users: 0, exited: 0 });
  });
});

describeEachStore('store: settling sync items', ({ store }) => {
  it('a settle changes and returns only the items still pending, so a resend is counted once', async () => {
    const entries = await store().transaction((tx) =>
      tx.insertEntries([1, 2, 3].map((n) => ({ workspaceId: 'ws_set', canvasId: 'cv_set', version: 1, profileId: 500 + n, externalId: `s-${n}`, stepId: 'sync', context: null, dispatchId: null })), NOW),
    );
    const hash = 'ab'.repeat(32);
    await store().transaction((tx) =>
      tx.insertSyncItems(entries.map((e) => ({ workspaceId: 'ws_set', canvasId: 'cv_set', stepId: 'sync', entryId: e.id, profileId: e.profileId, externalId: `s-${e.profileId}`, advertiserId: 'adv', audienceId: 'aud_set', action: 'add', fields: ['email'], hashes: { email: hash }, outcome: 'pending', reason: null })), NOW),
    );
    const queue = (await store().listSyncQueues()).find((q) => q.audienceId === 'aud_set')!;
    const items = await store().readDueSyncItems({ queueId: queue.id, now: NOW, limit: 10 });
    const [a, b, c] = items.map((i) => i.id) as [number, number, number];

    expect(await store().transaction((tx) => tx.settleSyncItems([a, b], 'synced', null, NOW + 10))).toEqual([a, b]);
    // The same two again with a third (a resend after a crash): only the third changes.
    expect(await store().transaction((tx) => tx.settleSyncItems([a, b, c], 'errored', 'tiktok_rejected: x', NOW + 20))).toEqual([c]);
    expect(await store().transaction((tx) => tx.settleSyncItems([a, b, c], 'synced', null, NOW + 30))).toEqual([]);
    expect((await store().ackLatencies('ws_set', 'cv_set')).sort()).toEqual([10, 10]);
    expect((await store().pendingByAudience()).filter((p) => p.audienceId === 'aud_set')).toEqual([]);
  });
});
