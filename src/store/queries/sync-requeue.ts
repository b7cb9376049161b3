/**
 * Sync items put back in their queue: a step's errored users (`retry-errored`, spec §4) and synced
 * users sent again because an older opposite intent may have landed after them (sync/intents.ts).
 * Whole errored batches go back to pending in place. Members taken out of a settled batch move to a
 * new pending batch of the same queue (their history follows them); the source batch stops counting
 * them through `overridden`. Only settled batches lose members this way, and a synced batch is never
 * read again, so the gap it keeps in its payload is never sent.
 */
import { sql, type Selectable } from 'kysely';
import type { SyncBatchesTable } from '../schema.ts';
import { tallyBySteps, type SyncQueries } from '../sync-port.ts';
import { inIds, type QueryContext } from './context.ts';
import { pickPayload, readPayload } from './sync-payload.ts';

type BatchRow = Selectable<SyncBatchesTable>;

export function syncRequeueQueries(ctx: QueryContext): Pick<SyncQueries, 'resendSyncMembers' | 'requeueErroredSyncItems'> {
  const { db, dialect } = ctx;

  /**
   * Moves the members at `positions` (ascending) of a settled batch to a new pending batch of its
   * queue, due now with a fresh retry window (as a retry-errored gives), keeping the batch's seq.
   */
  async function moveToNewBatch(row: BatchRow, positions: readonly number[], now: number): Promise<void> {
    const stored = await db.selectFrom('sync_payloads').select('payload').where('batch_id', '=', row.id).executeTakeFirstOrThrow();
    const { id, ...rest } = row;
    const moved = await db
      .insertInto('sync_batches')
      .values({ ...rest, outcome: 'pending', reason: null, created_at: now, due_at: now, settled_at: null, failed_attempts: 0, last_error: null, size: positions.length, overridden: 0, seq: row.seq ?? Number(id) })
      .returning('id')
      .executeTakeFirstOrThrow();
    const to = Number(moved.id);
    await db.insertInto('sync_payloads').values({ batch_id: to, payload: pickPayload(readPayload(stored.payload), positions) }).execute();
    for (let from = 0; from < positions.length; from += 500) {
      const part = positions.slice(from, from + 500);
      const renumber = sql.join(part.map((p, k) => sql`when ${p} then cast(${from + k} as integer)`), sql` `);
      await sql`
        update sync_members set batch_id = ${to}, position = case position ${renumber} end, outcome = null, reason = null, settled_at = null
        where batch_id = ${Number(id)} and ${inIds(dialect, 'position', part)}`.execute(db);
    }
  }

  return {
    async resendSyncMembers(members, now) {
      const byBatch = new Map<number, number[]>();
      for (const m of members) byBatch.set(m.batchId, [...(byBatch.get(m.batchId) ?? []), m.position]);
      const moved: { row: BatchRow; n: number }[] = [];
      for (const [batchId, asked] of byBatch) {
        const row = await db.selectFrom('sync_batches').selectAll().where('id', '=', batchId).where('outcome', '=', 'synced').where('queue_id', 'is not', null).executeTakeFirst();
        if (!row) continue;
        // Still synced: no outcome of their own (and still in this batch).
        const { rows } = await sql<{ position: number }>`
          select position from sync_members where batch_id = ${batchId} and outcome is null and ${inIds(dialect, 'position', asked)} order by position`.execute(db);
        if (rows.length === 0) continue;
        await moveToNewBatch(row, rows.map((r) => Number(r.position)), now);
        await sql`update sync_batches set overridden = overridden + ${rows.length} where id = ${batchId}`.execute(db);
        moved.push({ row, n: rows.length });
      }
      return tallyBySteps(moved, (m) => ({ workspaceId: m.row.workspace_id, canvasId: m.row.canvas_id, stepId: m.row.step_id }), (m) => m.n);
    },

    async requeueErroredSyncItems(workspaceId, canvasId, stepId, now) {
      const step = sql`workspace_id = ${workspaceId} and canvas_id = ${canvasId} and step_id = ${stepId} and queue_id is not null`;
      const out = new Map<string, number>();
      const count = (reason: string | null, n: number) => n > 0 && out.set(reason ?? '', (out.get(reason ?? '') ?? 0) + n);

      // Whole batches, reason by reason: RETURNING shows the row after the update, whose reason is
      // gone, and the counts to take back are per reason. Each UPDATE counts only the rows it changed.
      const { rows: reasons } = await sql<{ reason: string | null }>`select distinct reason from sync_batches where ${step} and outcome = 'errored'`.execute(db);
      for (const { reason } of reasons) {
        // A fresh window: the retry counts from the moment an admin asked for it, not from entry. The
        // seq stays: a retry of an add never overtakes a remove that entered after it (sync/intents.ts).
        const { rows } = await sql<{ n: number }>`
          update sync_batches set outcome = 'pending', reason = null, settled_at = null, due_at = ${now}, created_at = ${now}, failed_attempts = 0, last_error = null
          where ${step} and outcome = 'errored' and ${reason === null ? sql`reason is null` : sql`reason = ${reason}`} returning size - overridden as n`.execute(db);
        count(reason, rows.reduce((sum, r) => sum + Number(r.n), 0));
      }

      // Members errored on their own (only batches with such members are looked at): in a pending
      // batch they rejoin it; from a settled one they move to a new batch.
      const { rows: own } = await sql<{ batch_id: number; position: number; reason: string | null }>`
        select m.batch_id, m.position, m.reason from sync_batches b join sync_members m on m.batch_id = b.id
        where b.workspace_id = ${workspaceId} and b.canvas_id = ${canvasId} and b.step_id = ${stepId} and b.queue_id is not null and b.overridden > 0 and m.outcome = 'errored' order by m.batch_id, m.position`.execute(db);
      const byBatch = new Map<number, { position: number; reason: string | null }[]>();
      for (const r of own) byBatch.set(Number(r.batch_id), [...(byBatch.get(Number(r.batch_id)) ?? []), { position: Number(r.position), reason: r.reason }]);
      for (const [batchId, members] of byBatch) {
        const row = await db.selectFrom('sync_batches').selectAll().where('id', '=', batchId).executeTakeFirstOrThrow();
        const positions = members.map((m) => m.position);
        if (row.outcome === 'pending') {
          await sql`update sync_members set outcome = null, reason = null, settled_at = null where batch_id = ${batchId} and ${inIds(dialect, 'position', positions)}`.execute(db);
          await sql`update sync_batches set overridden = overridden - ${positions.length} where id = ${batchId}`.execute(db);
        } else await moveToNewBatch(row, positions, now);
        for (const m of members) count(m.reason, 1);
      }
      return [...out].map(([reason, n]) => ({ reason, count: n }));
    },
  };
}
