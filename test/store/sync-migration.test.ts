// Migration 0007: sync items written before it (one row per user with its hashes) become batches of
// one, and everything that reads them answers as before. Migration 0008: payloads move to a table of
// their own, and batches written before it send the same hashes.
import { afterAll, expect, it } from 'vitest';
import { rowFromHex, tableFromHex } from '../../src/core/digest-rows.ts';
import { buildPayload } from '../../src/store/queries/sync-payload.ts';
import { createStore } from '../../src/store/index.ts';
import { databaseBefore, describeEachStore } from '../support/databases.ts';

const NOW = Date.parse('2026-11-29T12:00:00Z');
const hex = (c: string) => c.repeat(64);

describeEachStore('store: migration 0007 (sync batches)', ({ kind }) => {
  const drops: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const drop of drops) await drop();
  });

  it('turns each earlier sync item into a batch of one: history, the queue, counts and new writes all still hold', async () => {
    const db = await databaseBefore(kind, '0007');
    drops.push(db.drop);
    const { raw } = db;

    await raw.insertInto('workspaces').values({ id: 'ws_m', name: 'm', created_at: NOW }).execute();
    const profiles = await raw
      .insertInto('profiles')
      .values(['a', 'b', 'c'].map((id) => ({ workspace_id: 'ws_m', external_id: id, created_at: NOW, updated_at: NOW })))
      .returning('id')
      .execute();
    const [a, b, c] = profiles.map((p) => Number(p.id)) as [number, number, number];
    const queue = await raw.insertInto('sync_queues').values({ workspace_id: 'ws_m', advertiser_id: 'adv', audience_id: 'aud', action: 'add', id_schema: 'email,phone', created_at: NOW }).returning('id').executeTakeFirstOrThrow();
    const item = { workspace_id: 'ws_m', canvas_id: 'cv_m', step_id: 'sync', entry_id: 1, advertiser_id: 'adv', audience_id: 'aud', action: 'add', claim_count: 0, failed_attempts: 0 };
    await raw
      .insertInto('sync_items')
      .values([
        { ...item, profile_id: a, external_id: 'a', email_sha256: hex('a'), outcome: 'synced', reason: null, created_at: NOW - 2, settled_at: NOW - 1, queue_id: Number(queue.id) },
        { ...item, profile_id: b, external_id: 'b', email_sha256: hex('b'), phone_sha256: hex('c'), outcome: 'pending', reason: null, created_at: NOW, due_at: NOW, failed_attempts: 2, last_error: 'HTTP 503', queue_id: Number(queue.id) },
        { ...item, profile_id: c, external_id: 'c', outcome: 'not_synced', reason: 'missing_fields', created_at: NOW, settled_at: NOW },
      ])
      .execute();
    await raw.destroy();

    const store = await createStore(db.url);
    try {
      expect((await store.listSyncItemsOfProfile('ws_m', 'a')).map((i) => [i.outcome, i.createdAt, i.settledAt])).toEqual([['synced', NOW - 2, NOW - 1]]);
      expect((await store.listSyncItemsOfProfile('ws_m', 'c')).map((i) => [i.outcome, i.reason])).toEqual([['not_synced', 'missing_fields']]);
      expect(await store.pendingByAudience()).toEqual([{ workspaceId: 'ws_m', audienceId: 'aud', count: 1 }]);
      const due = await store.readDueSyncBatches({ queueId: Number(queue.id), now: NOW, limit: 10_000 });
      expect(due.batches.map((x) => ({ failed: x.failedAttempts, users: x.users.map((u) => ({ position: u.position, profileId: u.profileId, hashes: u.hashes })) }))).toEqual([{ failed: 2, users: [{ position: 0, profileId: b, hashes: { email: hex('b'), phone: hex('c') } }] }]);

      // New writes after the converted rows: ids do not collide (PostgreSQL's sequence moved past them).
      await store.transaction((tx) =>
        tx.insertSyncItems([{ workspaceId: 'ws_m', canvasId: 'cv_m', stepId: 'sync', entryId: 2, profileId: c, advertiserId: 'adv', audienceId: 'aud', action: 'add', fields: ['email', 'phone'], hashes: rowFromHex({ email: hex('d') }), outcome: 'pending', reason: null }], NOW + 5),
      );
      expect((await store.readDueSyncBatches({ queueId: Number(queue.id), now: NOW + 5, limit: 10_000 })).batches.map((x) => x.users.map((u) => u.profileId))).toEqual([[b], [c]]);
      expect((await store.listSyncItemsOfProfile('ws_m', 'c')).map((i) => i.outcome)).toEqual(['pending', 'not_synced']);
    } finally {
      await store.close();
    }
  });
  it('0008 moves each batch\'s packed payload to sync_payloads: the sender reads the same users and hashes, and a settle leaves them', async () => {
    const db = await databaseBefore(kind, '0008');
    drops.push(db.drop);
    const { raw } = db;
    await raw.insertInto('workspaces').values({ id: 'ws_p', name: 'p', created_at: NOW }).execute();
    const queue = await raw.insertInto('sync_queues').values({ workspace_id: 'ws_p', advertiser_id: 'adv', audience_id: 'aud', action: 'add', id_schema: 'email,phone', created_at: NOW }).returning('id').executeTakeFirstOrThrow();
    // Two batches as 0007 wrote them: the payload inline, packed.
    const members = [{ profileId: 11, hashes: { email: hex('1'), phone: hex('2') } }, { profileId: 12, hashes: { email: hex('3') } }, { profileId: 13, hashes: { phone: hex('4') } }];
    const table = tableFromHex(members.map((m) => m.hashes), ['email', 'phone']);
    const packed = (from: number, to: number) => buildPayload(members.slice(from, to), ['email', 'phone'], (m) => m.profileId, (m) => ({ table, row: members.indexOf(m) }));
    const batch = { workspace_id: 'ws_p', canvas_id: 'cv_p', step_id: 'sync', queue_id: Number(queue.id), advertiser_id: 'adv', audience_id: 'aud', action: 'add', outcome: 'pending', reason: null, created_at: NOW, due_at: NOW, failed_attempts: 0, overridden: 0 };
    await raw.insertInto('sync_batches').values([{ ...batch, size: 2, payload: packed(0, 2) }, { ...batch, size: 1, payload: packed(2, 3) }]).execute();
    await raw.destroy();

    const store = await createStore(db.url);
    try {
      const due = await store.readDueSyncBatches({ queueId: Number(queue.id), now: NOW, limit: 10_000 });
      expect(due.batches.map((x) => x.users.map((u) => ({ profileId: u.profileId, hashes: u.hashes })))).toEqual([members.slice(0, 2), members.slice(2)]);
      await store.transaction((tx) => tx.settleSyncBatches([due.batches[0]!.id], 'synced', null, NOW + 1));
      const rest = await store.readDueSyncBatches({ queueId: Number(queue.id), now: NOW + 1, limit: 10_000 });
      expect(rest.batches.map((x) => x.users.map((u) => u.hashes))).toEqual([[members[2]!.hashes]]);
    } finally {
      await store.close();
    }
  });
});
