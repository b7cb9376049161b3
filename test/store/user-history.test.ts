import type { Kysely } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/connect.ts';
import type { DB } from '../../src/store/schema.ts';
import { describeEachStore } from '../support/databases.ts';

const NOW = Date.parse('2026-11-28T12:00:00Z');

describeEachStore('store: user history', ({ store, url }) => {
  let db: Kysely<DB>;
  beforeAll(async () => {
    db = (await openDatabase(url())).db; // tables are private to store/: the test seeds them directly
    for (const ws of ['ws_h', 'ws_other']) await store().createWorkspace({ id: ws, name: ws }, NOW);
    // The same external id in two workspaces: two profiles, each with its own history.
    await store().transaction((tx) => tx.upsertProfiles('ws_h', [{ externalId: 'u', standard: {}, custom: {} }], NOW));
    await store().transaction((tx) => tx.upsertProfiles('ws_other', [{ externalId: 'u', standard: {}, custom: {} }], NOW));
    const theirs = (await store().getProfile('ws_other', 'u'))!.id;
    const base = { version: 1, profile_id: (await store().getProfile('ws_h', 'u'))!.id, external_id: 'u', step_id: 's', status: 'exited', step_entered_at: NOW, exit_requested: 0, claim_count: 0 };
    await db
      .insertInto('entries')
      .values(Array.from({ length: 120 }, (_, i) => ({ ...base, workspace_id: 'ws_h', canvas_id: `cv_${i}`, entered_at: NOW + i, exited_at: NOW + i + 1 })))
      .execute();
    await db.insertInto('entries').values({ ...base, profile_id: theirs, workspace_id: 'ws_other', canvas_id: 'cv_theirs', entered_at: NOW + 999, exited_at: null }).execute();
    // Sync items are members of batches (migration 0007); here each batch has one member.
    const batch = { step_id: 's', advertiser_id: null, audience_id: null, action: 'add', outcome: 'errored', failed_attempts: 0, size: 1, overridden: 0 }; // payloads (sync_payloads) are not part of a user's history
    const mine = await db
      .insertInto('sync_batches')
      .values(Array.from({ length: 105 }, (_, i) => ({ ...batch, workspace_id: 'ws_h', canvas_id: `cv_${i}`, reason: 'retry_window_elapsed', created_at: NOW + i, settled_at: NOW + i })))
      .returning('id')
      .execute();
    await db.insertInto('sync_members').values(mine.map((b) => ({ batch_id: Number(b.id), position: 0, profile_id: base.profile_id, entry_id: 1 }))).execute();
    const other = await db.insertInto('sync_batches').values({ ...batch, workspace_id: 'ws_other', canvas_id: 'cv_theirs', outcome: 'pending', reason: null, created_at: NOW + 999, settled_at: null }).returning('id').executeTakeFirstOrThrow();
    await db.insertInto('sync_members').values({ batch_id: Number(other.id), position: 0, profile_id: theirs, entry_id: 1 }).execute();
  });
  afterAll(async () => {
    await db?.destroy();
  });

  it('lists the latest 50 events of a profile by time, newest first, in its workspace only', async () => {
    await store().insertEvents('ws_h', Array.from({ length: 60 }, (_, i) => ({ externalId: 'u', name: `e${i}`, time: NOW + i * 1000, properties: { i } })), NOW);
    await store().insertEvents('ws_other', [{ externalId: 'u', name: 'theirs', time: NOW + 999_999, properties: {} }], NOW);
    const events = await store().listEventsOfProfile('ws_h', 'u');
    expect(events).toHaveLength(50);
    expect(events[0]).toEqual({ name: 'e59', time: NOW + 59_000, properties: { i: 59 } });
    expect(events[49]!.name).toBe('e10');
    expect((await store().listEventsOfProfile('ws_other', 'u')).map((e) => e.name)).toEqual(['theirs']);
    expect(await store().listEventsOfProfile('ws_h', 'nobody')).toEqual([]);
  });

  it('lists the latest 100 entries of a profile, newest first, in its workspace only', async () => {
    const entries = await store().listEntriesOfProfile('ws_h', 'u');
    expect(entries).toHaveLength(100);
    expect(entries[0]).toEqual({ canvasId: 'cv_119', canvasName: null, version: 1, stepId: 's', status: 'exited', enteredAt: NOW + 119, exitedAt: NOW + 120, failureReason: null });
    expect(entries[99]!.canvasId).toBe('cv_20');
    expect(await store().listEntriesOfProfile('ws_h', 'u', 3)).toHaveLength(3);
    expect(await store().listEntriesOfProfile('ws_h', 'u', 5_000)).toHaveLength(100);
    expect(await store().listEntriesOfProfile('ws_h', 'nobody')).toEqual([]);
    expect((await store().listEntriesOfProfile('ws_other', 'u')).map((e) => e.canvasId)).toEqual(['cv_theirs']);
  });

  it('lists the latest 100 sync items of a profile without their hashes', async () => {
    const items = await store().listSyncItemsOfProfile('ws_h', 'u');
    expect(items).toHaveLength(100);
    expect(items[0]).toEqual({
      canvasId: 'cv_104',
      stepId: 's',
      advertiserId: null,
      audienceId: null,
      action: 'add',
      outcome: 'errored',
      reason: 'retry_window_elapsed',
      createdAt: NOW + 104,
      settledAt: NOW + 104,
      failedAttempts: 0,
      lastError: null,
      dueAt: null,
      fieldsSent: null,
      hashPrefixes: null,
    });
    expect((await store().listSyncItemsOfProfile('ws_other', 'u')).map((i) => [i.canvasId, i.settledAt])).toEqual([['cv_theirs', null]]);
  });
});
