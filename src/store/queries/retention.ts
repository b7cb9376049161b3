/**
 * Retention (retention-port.ts, docs/retention.md): payloads deleted once final, and the pruner's
 * bounded deletes of old history. Every statement is set-based and bounded by its caller's limit.
 */
import { sql } from 'kysely';
import type { RetentionQueries } from '../retention-port.ts';
import { inIds, selectRows, type QueryContext } from './context.ts';

/** Entries (or batches) looked at per statement when fewer are pruned than looked at (active, recent). */
const SCAN_ROWS = 5_000;

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

    async pruneFinishedEntries({ cutoff, after, limit }) {
      // By the primary key from the cursor: no index on exit times (each index is paid on every
      // insert of a launch, DEVELOPERS.md), and the scan stops where entries become too new.
      const rows = await selectRows(ctx, ['id', 'status', 'entered_at', 'exited_at'], sql`from entries where id > ${after} order by id limit ${Math.min(limit, SCAN_ROWS)}`);
      const ids: number[] = [];
      let next: number | null = null;
      for (const r of rows) {
        if (Number(r[2]) > cutoff) return { deleted: await deleteEntries(ids), next: null };
        const finished = r[1] === 'exited' || r[1] === 'failed';
        if (finished && Number(r[3] ?? r[2]) <= cutoff) ids.push(Number(r[0]));
        next = Number(r[0]);
      }
      return { deleted: await deleteEntries(ids), next: rows.length < Math.min(limit, SCAN_ROWS) ? null : next };
    },

    async pruneSyncHistory({ cutoff, after, limit }) {
      // Per audience, the oldest pending intent: a final batch with a newer one supersedes it (rule 1)
      // until it is sent. Pending batches are few (one per 10,000 users) and indexed (pending_age_idx).
      const { rows: pending } = await sql<{ workspace_id: string; audience_id: string | null; seq: number }>`
        select workspace_id, audience_id, min(coalesce(seq, id)) as seq from sync_batches where outcome = 'pending' group by workspace_id, audience_id`.execute(db);
      const oldestPending = new Map(pending.map((p) => [`${p.workspace_id}|${p.audience_id ?? ''}`, Number(p.seq)]));
      const rows = await selectRows(ctx, ['id', 'outcome', 'created_at', 'settled_at', 'size', 'workspace_id', 'audience_id', 'seq'], sql`from sync_batches where id > ${after} order by id limit ${SCAN_ROWS}`);
      const ids: number[] = [];
      let members = 0;
      let next: number | null = null;
      let stopped = rows.length < SCAN_ROWS;
      for (const r of rows) {
        if (Number(r[2]) > cutoff) {
          stopped = true;
          break;
        }
        if (members >= limit) break;
        const id = Number(r[0]);
        next = id;
        if (r[1] === 'pending' || r[3] === null || Number(r[3]) > cutoff) continue;
        const blocking = oldestPending.get(`${String(r[5])}|${(r[6] as string | null) ?? ''}`);
        if (blocking !== undefined && r[6] !== null && blocking < (r[7] === null ? id : Number(r[7]))) continue;
        ids.push(id);
        members += Number(r[4]);
      }
      if (ids.length > 0) {
        // sync_members is keyed (batch_id, position): each batch's members are one range.
        const m = await sql`delete from sync_members where ${inIds(dialect, 'batch_id', ids)}`.execute(db);
        await sql`delete from sync_payloads where ${inIds(dialect, 'batch_id', ids)}`.execute(db);
        await sql`delete from sync_batches where ${inIds(dialect, 'id', ids)}`.execute(db);
        return { deleted: Number(m.numAffectedRows ?? 0) + ids.length, next: stopped && members < limit ? null : next };
      }
      return { deleted: 0, next: stopped ? null : next };
    },

    async priorEntryMarks(canvasId, profileIds) {
      if (profileIds.length === 0) return [];
      const { rows } = await sql<{ profile_id: number; last_entered_at: number }>`
        select profile_id, last_entered_at from entry_marks where canvas_id = ${canvasId} and ${inIds(dialect, 'profile_id', profileIds)}`.execute(db);
      return rows.map((r) => ({ profileId: Number(r.profile_id), lastEnteredAt: Number(r.last_entered_at) }));
    },

    async hasEntryMarks(canvasId) {
      const { rows } = await sql`select 1 as x from entry_marks where canvas_id = ${canvasId} limit 1`.execute(db);
      return rows.length > 0;
    },

    async pruneExpiredCredentials({ now, idleBefore, limit }) {
      const gone = await Promise.all([
        sql`delete from sessions where id in (select id from sessions where expires_at <= ${now} or last_seen_at <= ${idleBefore} limit ${limit})`.execute(db),
        sql`delete from sign_in_links where token_hash in (select token_hash from sign_in_links where used_at is not null or expires_at <= ${now} limit ${limit})`.execute(db),
        sql`delete from oauth_states where state_hash in (select state_hash from oauth_states where used_at is not null or expires_at <= ${now} limit ${limit})`.execute(db),
      ]);
      return gone.reduce((sum, r) => sum + Number(r.numAffectedRows ?? 0), 0);
    },

    async reclaimSpace(pages) {
      if (dialect !== 'sqlite') return 0;
      const mode = await sql<{ auto_vacuum: number }>`pragma auto_vacuum`.execute(db);
      if (Number(mode.rows[0]?.auto_vacuum) !== 2) return 0; // not INCREMENTAL: only a VACUUM gives pages back
      await sql`pragma incremental_vacuum(${sql.raw(String(Math.max(1, Math.floor(pages))))})`.execute(db);
      const free = await sql<{ freelist_count: number }>`pragma freelist_count`.execute(db);
      return Number(free.rows[0]?.freelist_count ?? 0);
    },

    async truncateLog() {
      if (dialect === 'sqlite') await sql`pragma wal_checkpoint(TRUNCATE)`.execute(db);
    },
  };

  /** Keeps each (canvas, user)'s last entry time, then deletes the entries. */
  async function deleteEntries(ids: readonly number[]): Promise<number> {
    if (ids.length === 0) return 0;
    const latest = dialect === 'postgres' ? sql`greatest(entry_marks.last_entered_at, excluded.last_entered_at)` : sql`max(entry_marks.last_entered_at, excluded.last_entered_at)`;
    await sql`
      insert into entry_marks (canvas_id, profile_id, last_entered_at)
      select canvas_id, profile_id, max(entered_at) from entries where ${inIds(dialect, 'id', ids)} group by canvas_id, profile_id
      on conflict (canvas_id, profile_id) do update set last_entered_at = ${latest}`.execute(db);
    const r = await sql`delete from entries where ${inIds(dialect, 'id', ids)}`.execute(db);
    return Number(r.numAffectedRows ?? 0);
  }
}
