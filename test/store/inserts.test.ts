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
