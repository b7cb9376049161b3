/**
 * Retention (retention-port.ts, docs/retention.md): payloads deleted once final, and the pruner's
 * bounded deletes of old history. Every statement is set-based and bounded by its caller's limit.
 */
import { sql } from 'kysely';
import type { RetentionQueries } from '../retention-port.ts';
import { inIds, type QueryContext } from './context.ts';

export function retentionQueries(ctx: QueryContext): RetentionQueries {
  const { db, dialect } = ctx;
  return {
    async deleteFinalSyncPayloads(batchIds) {
      if (batchIds.length === 0) return 0;
      // The member lookup runs only for a batch with members of their own (overridden > 0: rare), and
      // the queue lookups are two primary-key probes plus sync_queues_key_uq (a handful of rows).
      const r = await sql`
        delete from sync_payloads where batch_id in (
          select b.id from sync_batches b where ${inIds(dialect, 'b.id', batchIds)} and b.outcome in ('synced', 'not_synced')
          and (b.overridden = 0 or not exists (select 1 from sync_members m where m.batch_id = b.id and m.outcome = 'errored'))
          and (b.outcome = 'not_synced' or not exists (
            select 1 from sync_queues q join sync_queues o on o.workspace_id = q.workspace_id and o.audience_id = q.audience_id and o.action <> q.action
            where q.id = b.queue_id)))`.execute(db);
      return Number(r.numAffectedRows ?? 0);
    },
  };
}
