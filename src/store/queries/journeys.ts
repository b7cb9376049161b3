import { sql, type Selectable } from 'kysely';
import type { HashedRow } from '../../core/digest-rows.ts';
import { fieldsMask } from '../../core/sync-fields.ts';
import type { Entry, EntryUpdate, JourneyQueries, NewEntry, NewSyncGroup, NewSyncItem, StepCountDelta, SyncItemShared } from '../journey-port.ts';
import type { Json } from '../port.ts';
import type { EntriesTable } from '../schema.ts';
import { chunks, insertRows, insertRowsReturningIds, insertUnnest, inIds, largestId, pgArray, rowsInIdRange, Same, type QueryContext } from './context.ts';
import { buildPayload } from './sync-payload.ts';

type EntryRow = Selectable<EntriesTable>;

const ENTRY_COLUMNS = ['workspace_id', 'canvas_id', 'version', 'profile_id', 'external_id', 'step_id', 'status', 'due_at', 'step_entered_at', 'entered_at', 'exited_at', 'context', 'dispatch_id', 'failure_reason'];
const SYNC_BATCH_COLUMNS = ['workspace_id', 'canvas_id', 'step_id', 'queue_id', 'advertiser_id', 'audience_id', 'action', 'outcome', 'reason', 'created_at', 'due_at', 'settled_at', 'failed_attempts', 'last_error', 'size', 'overridden'];
const SYNC_PAYLOAD_COLUMNS = ['batch_id', 'payload'];
const SYNC_MEMBER_COLUMNS = ['batch_id', 'position', 'profile_id', 'entry_id', 'fields'];
/** Members per batch at most: a TikTok request's rows, so a launch chunk's batch is sent whole. */
const MAX_BATCH = 10_000;

export function journeyQueries(ctx: QueryContext): JourneyQueries {
  const { db, dialect } = ctx;
  // Postgres runs several workers: a claim skips rows another worker holds. SQLite has one writer.
  const skipLocked = dialect === 'postgres' ? sql` for update skip locked` : sql``;

  return {
    async insertEntries(rows, now) {
      const values = (r: NewEntry, p: unknown[]) => {
        const st = r.state; // absent: active at the first step, due now
        // failure_reason: null in nearly every row, so bound once per statement (context.ts insertRows).
        p.push(r.workspaceId, r.canvasId, r.version, r.profileId, r.externalId, st ? st.stepId : r.stepId, st ? st.status : 'active', st ? st.dueAt : now, st ? st.stepEnteredAt : now, now, st ? st.exitedAt : null, r.context === null ? null : JSON.stringify(r.context), r.dispatchId, st?.failureReason ?? null);
      };
      // entries_active_uq (migration 0003): one active entry per user and canvas, even across workers.
      // The predicate must be a literal: SQLite matches it against the index's WHERE clause textually.
      const tail = "on conflict (canvas_id, profile_id) where status = 'active' do nothing";
      if (dialect === 'postgres') {
        const col = <V>(pick: (r: NewEntry) => V): V[] => rows.map(pick);
        const returned = await insertUnnest<{ id: number; profile_id: number }>(
          ctx,
          'entries',
          [
            ['workspace_id', 'text', col((r) => r.workspaceId)],
            ['canvas_id', 'text', col((r) => r.canvasId)],
            ['version', 'integer', col((r) => r.version)],
            ['profile_id', 'bigint', col((r) => r.profileId)],
            ['external_id', 'text', col((r) => r.externalId)],
            ['step_id', 'text', col((r) => (r.state ? r.state.stepId : r.stepId))],
            ['status', 'text', col((r) => (r.state ? r.state.status : 'active'))],
            ['due_at', 'bigint', col((r) => (r.state ? r.state.dueAt : now))],
            ['step_entered_at', 'bigint', col((r) => (r.state ? r.state.stepEnteredAt : now))],
            ['entered_at', 'bigint', new Same(now)],
            ['exited_at', 'bigint', col((r) => (r.state ? r.state.exitedAt : null))],
            ['context', 'text', col((r) => (r.context === null ? null : JSON.stringify(r.context)))],
            ['dispatch_id', 'text', col((r) => r.dispatchId)],
            ['failure_reason', 'text', col((r) => r.state?.failureReason ?? null)],
          ],
          rows.length,
          `${tail} returning id, profile_id`,
        );
        return returned.map((r) => ({ id: Number(r.id), profileId: Number(r.profile_id) }));
      }
      return insertRowsReturningIds(ctx, 'entries', ENTRY_COLUMNS, rows, values, tail, { column: 'profile_id', of: (r) => r.profileId, answer: (id, profileId) => ({ id, profileId }) });
    },

    async insertEntriesFromProfiles(p, now) {
      if (p.profileIds.length === 0) return [];
      const st = p.state;
      const into = sql.raw(`insert into entries (${ENTRY_COLUMNS.join(', ')})`);
      if (dialect === 'postgres' && p.externalIds) {
        // The ids and external ids the launch read with the identifiers: no probe of profiles (they
        // are never deleted; the chunk was read in this workspace).
        const returned = await insertUnnest<{ id: number; profile_id: number }>(
          ctx,
          'entries',
          [
            ['workspace_id', 'text', new Same(p.workspaceId)],
            ['canvas_id', 'text', new Same(p.canvasId)],
            ['version', 'integer', new Same(p.version)],
            ['profile_id', 'bigint', p.profileIds],
            ['external_id', 'text', p.externalIds],
            ['step_id', 'text', new Same(st.stepId)],
            ['status', 'text', new Same(st.status)],
            ['due_at', 'bigint', new Same(st.dueAt)],
            ['step_entered_at', 'bigint', new Same(st.stepEnteredAt)],
            ['entered_at', 'bigint', new Same(now)],
            ['exited_at', 'bigint', new Same(st.exitedAt)],
            ['failure_reason', 'text', new Same(st.failureReason ?? null)],
          ],
          p.profileIds.length,
          'returning id, profile_id',
        );
        return returned.map((r) => ({ id: Number(r.id), profileId: Number(r.profile_id) })).sort((a, b) => a.profileId - b.profileId);
      }
      if (dialect === 'postgres') {
        // One primary-key probe per profile, whatever the statistics say: with `id = any(…)`, or a join,
        // and none yet (a launch right after a bulk import) the planner hashed the workspace's profiles
        // for every chunk (bench, 1M: ~600 ms a chunk of 10,000, most of the sync). `limit 1` keeps the
        // LATERAL subquery from being pulled up into a join (it would be planned as one again).
        const { rows } = await sql<{ id: number; profile_id: number }>`${into}
          select ${p.workspaceId}, ${p.canvasId}, ${p.version}, p.id, p.external_id, ${st.stepId}, ${st.status}, ${st.dueAt}::bigint, ${st.stepEnteredAt}::bigint, ${now}::bigint, ${st.exitedAt}::bigint, null, null, ${st.failureReason ?? null}::text
          from unnest(${pgArray(p.profileIds)}::bigint[]) as x(id) cross join lateral (select id, external_id from profiles where id = x.id and workspace_id = ${p.workspaceId} limit 1) p
          returning id, profile_id`.execute(db);
        return rows.map((r) => ({ id: Number(r.id), profileId: Number(r.profile_id) })).sort((a, b) => a.profileId - b.profileId);
      }
      // By the primary key: `+` keeps SQLite off the (workspace_id, external_id) index (profiles.ts).
      const select = sql`select ${p.workspaceId}, ${p.canvasId}, ${p.version}, p.id, p.external_id, ${st.stepId}, ${st.status}, ${st.dueAt}, ${st.stepEnteredAt}, ${now}, ${st.exitedAt}, null, null, ${st.failureReason ?? null}
        from profiles p where +p.workspace_id = ${p.workspaceId} and ${inIds(dialect, 'p.id', p.profileIds)} order by p.id`;
      // SQLite inserts the SELECT's rows in its order, each above the largest id so far (no one else
      // writes inside this transaction): the ids follow the profiles' order (as insertRowsReturningIds).
      const before = await largestId(ctx, 'entries');
      const r = await sql`${into} ${select}`.execute(db);
      const inserted = Number(r.numAffectedRows ?? 0);
      const last = inserted === 0 ? before : Number(r.insertId);
      if (inserted === p.profileIds.length && last - before === inserted) return [...p.profileIds].sort((a, b) => a - b).map((profileId, i) => ({ id: before + 1 + i, profileId }));
      return (await rowsInIdRange(ctx, 'entries', 'profile_id', before, last)).map((x) => ({ id: x.id, profileId: x.key }));
    },

    async priorEntries(canvasId, profileIds) {
      if (profileIds.length === 0) return [];
      // One statement for the whole batch (a launch checks 10,000 users a chunk), by entries_profile_canvas_idx.
      // PostgreSQL: one index probe per user (a LATERAL subquery can run no other way). With
      // `profile_id = any(…)` and statistics older than the table (a launch outruns autoanalyze) it
      // read the whole entries table for every chunk.
      const summary = sql`max(entered_at) as last_entered_at, max(case when status = 'active' then 1 else 0 end) as active`;
      const span = dialect === 'postgres' ? denseSpan(profileIds) : null;
      if (span) {
        // A launch chunk: its ids are nearly consecutive, so one range scan of the index reads every
        // entry of those users (of any canvas), where 10,000 probes cost ~30 ms a chunk. Ids between
        // them that were not asked about are dropped here, not by an `= any(…)` that the planner
        // would turn back into probes.
        const { rows } = await sql<{ profile_id: number; last_entered_at: number; active: number }>`
          select profile_id, ${summary} from entries
          where profile_id >= ${span.min} and profile_id <= ${span.max} and canvas_id = ${canvasId}
          group by profile_id`.execute(db);
        if (rows.length === 0) return []; // a first launch: no Set of 10,000 ids to build
        const asked = new Set(profileIds);
        return rows.filter((r) => asked.has(Number(r.profile_id))).map((r) => ({ profileId: Number(r.profile_id), active: Number(r.active) === 1, lastEnteredAt: Number(r.last_entered_at) }));
      }
      const { rows } = await (
        dialect === 'postgres'
          ? sql<{ profile_id: number; last_entered_at: number; active: number }>`
        select x.profile_id, e.last_entered_at, e.active from unnest(${pgArray(profileIds)}::bigint[]) as x(profile_id)
        cross join lateral (select ${summary} from entries where profile_id = x.profile_id and canvas_id = ${canvasId}) e
        where e.last_entered_at is not null`
          : sql<{ profile_id: number; last_entered_at: number; active: number }>`
        select profile_id, ${summary} from entries where ${inIds(dialect, 'profile_id', profileIds)} and canvas_id = ${canvasId}
        group by profile_id`
      ).execute(db);
      return rows.map((r) => ({ profileId: Number(r.profile_id), active: Number(r.active) === 1, lastEnteredAt: Number(r.last_entered_at) }));
    },

    async claimDueEntries({ now, limit, leaseMs, leaseId }) {
      const { rows } = await sql<EntryRow>`
        update entries set lease_id = ${leaseId}, lease_expires_at = ${now + leaseMs}, claim_count = claim_count + 1
        where id in (
          select id from entries
          where status = 'active' and due_at <= ${now} and (lease_expires_at is null or lease_expires_at < ${now})
          order by due_at limit ${limit}${skipLocked}
        )
        returning *`.execute(db);
      return rows.map(toEntry);
    },

    async settleEntries(leaseId, updates) {
      // Rows that share an outcome share one UPDATE: a launch moves thousands of users the same way.
      const groups = new Map<string, { u: EntryUpdate; ids: number[] }>();
      for (const u of updates) {
        const key = `${u.stepId}|${u.status}|${u.dueAt}|${u.stepEnteredAt}|${u.exitedAt}|${u.failureReason ?? ''}`;
        const g = groups.get(key);
        if (g) g.ids.push(u.id);
        else groups.set(key, { u, ids: [u.id] });
      }
      const settled = new Set<number>();
      for (const { u, ids } of groups.values()) {
        for (const part of chunks(ids)) {
          const rows = await db
            .updateTable('entries')
            .set({ ...movedTo(u), lease_id: null, lease_expires_at: null })
            .where('lease_id', '=', leaseId)
            .where('id', 'in', part)
            .returning('id')
            .execute();
          for (const r of rows) settled.add(Number(r.id));
        }
      }
      return settled;
    },

    async requestExit(workspaceId, canvasIds, externalIds) {
      if (canvasIds.length === 0 || externalIds.length === 0) return 0;
      let n = 0;
      for (const part of chunks(externalIds)) {
        // By profile id, so the partial unique index on active entries (canvas_id, profile_id) finds the rows.
        const r = await db
          .updateTable('entries')
          .set({ exit_requested: 1 })
          .where('workspace_id', '=', workspaceId)
          .where('status', '=', 'active')
          .where('canvas_id', 'in', canvasIds)
          .where('profile_id', 'in', (eb) => eb.selectFrom('profiles').select('id').where('workspace_id', '=', workspaceId).where('external_id', 'in', part))
          .executeTakeFirst();
        n += Number(r.numUpdatedRows);
      }
      return n;
    },

    async countEntries(workspaceId, canvasId) {
      const r = await db
        .selectFrom('entries')
        .select((eb) => [
          eb.fn.countAll().as('entries'),
          eb.fn.count('profile_id').distinct().as('users'),
          eb.fn.sum(eb.case().when('status', '=', 'exited').then(1).else(0).end()).as('exited'),
        ])
        .where('workspace_id', '=', workspaceId)
        .where('canvas_id', '=', canvasId)
        .executeTakeFirstOrThrow();
      return { entries: Number(r.entries), users: Number(r.users), exited: Number(r.exited ?? 0) };
    },

    async insertLaunchJob(job) {
      await db
        .insertInto('launch_jobs')
        .values({ workspace_id: job.workspaceId, canvas_id: job.canvasId, version: job.version, run_at: job.runAt, cursor: 0, upto: null, status: 'pending', entered: 0, lease_id: null, lease_expires_at: null })
        .execute();
    },

    async claimDueLaunchJob({ now, leaseMs, leaseId }) {
      const { rows } = await sql<{ id: number; workspace_id: string; canvas_id: string; version: number; run_at: number; cursor: number; upto: number | null; entered: number }>`
        update launch_jobs set lease_id = ${leaseId}, lease_expires_at = ${now + leaseMs}
        where id in (
          select id from launch_jobs
          where status = 'pending' and run_at <= ${now} and (lease_expires_at is null or lease_expires_at < ${now})
          order by run_at, id limit 1${skipLocked}
        )
        returning id, workspace_id, canvas_id, version, run_at, cursor, upto, entered`.execute(db);
      const r = rows[0];
      return r
        ? { id: Number(r.id), workspaceId: r.workspace_id, canvasId: r.canvas_id, version: Number(r.version), runAt: Number(r.run_at), cursor: Number(r.cursor), upto: r.upto === null ? null : Number(r.upto), entered: Number(r.entered), leaseId }
        : null;
    },

    async splitLaunchJob(id, leaseId, bounds) {
      if (bounds.length === 0) return true;
      // Fenced by the lease (the row stays locked to the end of the caller's transaction).
      const { rows } = await sql<{ workspace_id: string; canvas_id: string; version: number; run_at: number }>`
        update launch_jobs set upto = ${bounds[0]!} where id = ${id} and lease_id = ${leaseId} and upto is null
        returning workspace_id, canvas_id, version, run_at`.execute(db);
      const job = rows[0];
      if (!job) return false;
      await db
        .insertInto('launch_jobs')
        .values(bounds.map((from, k) => ({ workspace_id: job.workspace_id, canvas_id: job.canvas_id, version: Number(job.version), run_at: Number(job.run_at), cursor: from, upto: bounds[k + 1] ?? null, status: 'pending', entered: 0, lease_id: null, lease_expires_at: null })))
        .execute();
      return true;
    },

    async advanceLaunchJob(id, leaseId, p) {
      const r = await db
        .updateTable('launch_jobs')
        .set((eb) => ({
          cursor: p.cursor,
          entered: eb('entered', '+', p.entered),
          status: p.done ? 'done' : 'pending',
          lease_expires_at: p.leaseExpiresAt,
          lease_id: p.done ? null : leaseId,
        }))
        .where('id', '=', id)
        .where('lease_id', '=', leaseId)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },

    async insertSyncItems(rows, now) {
      await writeSyncBatches(ctx, batchesOf(rows).map(itemBatch), now);
    },

    async insertSyncGroups(groups, now) {
      await writeSyncBatches(ctx, groups.flatMap(groupBatches), now);
    },

    async addStepCounts(deltas) {
      // In one order for every writer: two workers' launch chunks add to the same counters, and rows
      // locked in different orders by two transactions would deadlock on PostgreSQL.
      const merged = mergeDeltas(deltas).sort(byCounter);
      for (const part of chunks(merged)) {
        await db
          .insertInto('step_counts')
          .values(part.map((d) => ({ workspace_id: d.workspaceId, canvas_id: d.canvasId, step_id: d.stepId, metric: d.metric, reason: d.reason ?? '', minute: d.minute, count: d.count })))
          .onConflict((oc) => oc.columns(['canvas_id', 'step_id', 'metric', 'reason', 'minute']).doUpdateSet((eb) => ({ count: eb('step_counts.count', '+', eb.ref('excluded.count')) })))
          .execute();
      }
    },

    async stepCounts(workspaceId, canvasId) {
      const rows = await db.selectFrom('step_counts').select(['step_id', 'metric', 'reason', 'minute', 'count']).where('workspace_id', '=', workspaceId).where('canvas_id', '=', canvasId).execute();
      return rows.map((r) => ({ stepId: r.step_id, metric: r.metric, reason: r.reason, minute: Number(r.minute), count: Number(r.count) }));
    },

    async insertWebhookDeliveries(rows, now) {
      for (const part of chunks(rows)) {
        await db
          .insertInto('webhook_deliveries')
          .values(part.map((r) => ({ workspace_id: r.workspaceId, canvas_id: r.canvasId, step_id: r.stepId, entry_id: r.entryId, ok: r.ok ? 1 : 0, http_status: r.httpStatus, error: r.error, attempts: r.attempts, created_at: now })))
          .execute();
      }
    },
  };
}

/** The columns an entry's move writes (a settle of the worker, a resume from a webhook step). */
export function movedTo(u: EntryUpdate) {
  return { step_id: u.stepId, status: u.status, due_at: u.dueAt, step_entered_at: u.stepEnteredAt, exited_at: u.exitedAt, failure_reason: u.failureReason ?? null };
}

export function toEntry(r: EntryRow): Entry {
  return {
    id: Number(r.id),
    workspaceId: r.workspace_id,
    canvasId: r.canvas_id,
    version: Number(r.version),
    profileId: Number(r.profile_id),
    externalId: r.external_id,
    stepId: r.step_id,
    status: r.status === 'exited' || r.status === 'failed' ? r.status : 'active',
    dueAt: r.due_at === null ? null : Number(r.due_at),
    stepEnteredAt: Number(r.step_entered_at),
    enteredAt: Number(r.entered_at),
    exitedAt: r.exited_at === null ? null : Number(r.exited_at),
    exitRequested: Number(r.exit_requested) === 1,
    context: r.context === null ? null : (JSON.parse(r.context) as Record<string, Json>),
    dispatchId: r.dispatch_id,
  };
}

const queueKey = (r: SyncItemShared): string => `${r.workspaceId}|${r.advertiserId}|${r.audienceId}|${r.action}|${r.fields.join(',')}`;

/** Whether two items go to the same sender queue, compared field by field (no key string). */
const sameQueue = (a: SyncItemShared, b: SyncItemShared): boolean => a.fields === b.fields && a.workspaceId === b.workspaceId && a.advertiserId === b.advertiserId && a.audienceId === b.audienceId && a.action === b.action;

/**
 * queueKey, remembering the last item's: a batch's items come from a few steps in runs, so the key
 * string is built once per run instead of once per user.
 */
function sameQueueKeys(): (r: SyncItemShared) => string {
  let last: SyncItemShared | null = null;
  let key = '';
  return (r) => {
    if (!last || !sameQueue(r, last)) key = queueKey(r);
    last = r;
    return key;
  };
}

/**
 * The items grouped into batches: one per step, queue and outcome (in first-seen order), of at most
 * MAX_BATCH members. A batch's items come from a few steps in runs, so the group is found by comparing
 * with the previous item before any key string is built.
 */
function batchesOf(rows: readonly NewSyncItem[]): NewSyncItem[][] {
  const out: NewSyncItem[][] = [];
  const open = new Map<string, NewSyncItem[]>();
  let last: NewSyncItem | null = null;
  let current: NewSyncItem[] | null = null;
  for (const r of rows) {
    const same = last !== null && r.canvasId === last.canvasId && r.stepId === last.stepId && r.outcome === last.outcome && r.reason === last.reason && sameQueue(r, last);
    if (!same || !current || current.length >= MAX_BATCH) {
      const key = `${queueKey(r)}|${r.canvasId}|${r.stepId}|${r.outcome}|${r.reason ?? ''}`;
      current = open.get(key) ?? null;
      if (!current || current.length >= MAX_BATCH) {
        current = [];
        open.set(key, current);
        out.push(current);
      }
    }
    current.push(r);
    last = r;
  }
  return out;
}

/** One sync_batches row to write: what its members share, and each member by position. */
interface BatchToWrite {
  shared: SyncItemShared;
  size: number;
  profileId(i: number): number;
  entryId(i: number): number;
  /** Member i's digests. The answer may be reused by the next call: buildPayload reads it at once. */
  hashes(i: number): HashedRow | null;
}

const itemBatch = (items: readonly NewSyncItem[]): BatchToWrite => ({
  shared: items[0]!,
  size: items.length,
  profileId: (i) => items[i]!.profileId,
  entryId: (i) => items[i]!.entryId,
  hashes: (i) => items[i]!.hashes,
});

/** A group as batches of at most MAX_BATCH members. */
function groupBatches(g: NewSyncGroup): BatchToWrite[] {
  const out: BatchToWrite[] = [];
  const h = g.hashes;
  for (let from = 0; from < g.entryIds.length; from += MAX_BATCH) {
    const row: HashedRow | null = h && { table: h.table, row: 0 };
    out.push({
      shared: g.shared,
      size: Math.min(MAX_BATCH, g.entryIds.length - from),
      profileId: (i) => g.profileIds[from + i]!,
      entryId: (i) => g.entryIds[from + i]!,
      hashes: (i) => {
        if (!row) return null;
        row.row = h!.rows[from + i]!;
        return row;
      },
    });
  }
  return out;
}

/** Writes each batch's row, its payload (packed) and its members' rows; pending batches join their queue. */
async function writeSyncBatches(ctx: QueryContext, batches: readonly BatchToWrite[], now: number): Promise<void> {
  const queueOf = await queueIds(ctx.db, batches.map((b) => b.shared), now);
  const ids = await insertRows<BatchToWrite, { id: number }>(
    ctx,
    'sync_batches',
    SYNC_BATCH_COLUMNS,
    batches,
    (b, p) => {
      const r = b.shared;
      const pending = r.outcome === 'pending';
      const queue = pending ? (queueOf.get(queueKey(r)) ?? null) : null;
      p.push(r.workspaceId, r.canvasId, r.stepId, queue, r.advertiserId, r.audienceId, r.action, r.outcome, r.reason, now, pending ? now : null, pending ? null : now, 0, null, b.size, 0);
    },
    'returning id',
  );
  const batchIds = ids.map((r) => Number(r.id));
  const members = batches.map((b) => Array.from({ length: b.size }, (_, i) => i)); // positions 0 … size − 1
  // Every pending batch's payload, set-based like the batches (rows are batch indexes). A batch
  // written final (no usable identifier) is never sent: it gets none (retention, issue 18).
  const sent = members.map((_, k) => k).filter((k) => batches[k]!.shared.outcome === 'pending');
  await insertRows(ctx, 'sync_payloads', SYNC_PAYLOAD_COLUMNS, sent, (k, p) => {
    const b = batches[k]!;
    p.push(batchIds[k], buildPayload(members[k]!, b.shared.outcome === 'pending' ? b.shared.fields : [], (i) => b.profileId(i), (i) => b.hashes(i)));
  });
  // A batch's members in position order, straight into the statements' parameters.
  if (ctx.dialect === 'postgres') {
    // All the batches' members in one statement, one array a column (context.ts insertUnnest).
    const total = batches.reduce((n, b) => n + b.size, 0);
    const batch = new Array<number>(total);
    const position = new Array<number>(total);
    const profile = new Array<number>(total);
    const entry = new Array<number>(total);
    const fields = new Array<number>(total);
    let at = 0;
    batches.forEach((b, k) => {
      const sent = sentFields(b);
      for (let i = 0; i < b.size; i++, at++) {
        batch[at] = batchIds[k]!;
        position[at] = i;
        profile[at] = b.profileId(i);
        entry[at] = b.entryId(i);
        fields[at] = sent.length === 0 ? 0 : fieldsMask(sent, b.hashes(i));
      }
    });
    await insertUnnest(ctx, 'sync_members', [
      ['batch_id', 'bigint', batch],
      ['position', 'integer', position],
      ['profile_id', 'bigint', profile],
      ['entry_id', 'bigint', entry],
      ['fields', 'smallint', fields],
    ], total);
    return;
  }
  for (let k = 0; k < batches.length; k++) {
    const b = batches[k]!;
    const sent = sentFields(b);
    await insertRows(ctx, 'sync_members', SYNC_MEMBER_COLUMNS, members[k]!, (i, p) => void p.push(batchIds[k], i, b.profileId(i), b.entryId(i), sent.length === 0 ? 0 : fieldsMask(sent, b.hashes(i))));
  }
}

/** The fields a batch sends: none when it was written final (nothing to send). */
const sentFields = (b: BatchToWrite) => (b.shared.outcome === 'pending' ? b.shared.fields : []);

/** The sender queue of every pending item's group, created on first use (a few groups per batch). */
async function queueIds(db: QueryContext['db'], rows: readonly SyncItemShared[], now: number): Promise<Map<string, number>> {
  const groups = new Map<string, SyncItemShared>();
  const keyOf = sameQueueKeys();
  for (const r of rows) if (r.outcome === 'pending' && r.advertiserId && r.audienceId) groups.set(keyOf(r), r);
  const ids = new Map<string, number>();
  for (const [key, r] of groups) {
    const keyCols = { workspace_id: r.workspaceId, advertiser_id: r.advertiserId!, audience_id: r.audienceId!, action: r.action, id_schema: r.fields.join(',') };
    await db.insertInto('sync_queues').values({ ...keyCols, created_at: now }).onConflict((oc) => oc.columns(['workspace_id', 'advertiser_id', 'audience_id', 'action', 'id_schema']).doNothing()).execute();
    const row = await db
      .selectFrom('sync_queues')
      .select('id')
      .where('workspace_id', '=', keyCols.workspace_id)
      .where('advertiser_id', '=', keyCols.advertiser_id)
      .where('audience_id', '=', keyCols.audience_id)
      .where('action', '=', keyCols.action)
      .where('id_schema', '=', keyCols.id_schema)
      .executeTakeFirstOrThrow();
    ids.set(key, Number(row.id));
  }
  return ids;
}

/** The range of ids that fill at least a quarter of it (a launch chunk fills it all); null for fewer or sparser ids. */
function denseSpan(ids: readonly number[]): { min: number; max: number } | null {
  if (ids.length < 100) return null;
  let min = Infinity;
  let max = -Infinity;
  for (const id of ids) {
    if (id < min) min = id;
    if (id > max) max = id;
  }
  return max - min + 1 <= ids.length * 4 ? { min, max } : null;
}

const byCounter = (a: StepCountDelta, b: StepCountDelta): number =>
  a.canvasId.localeCompare(b.canvasId) || a.stepId.localeCompare(b.stepId) || a.metric.localeCompare(b.metric) || (a.reason ?? '').localeCompare(b.reason ?? '') || a.minute - b.minute;

/**
 * Sums deltas of the same (canvas, step, metric, reason, minute). A launch batch carries a few deltas
 * per user, so the lookup is by nested maps: no key string is built per delta.
 */
function mergeDeltas(deltas: readonly StepCountDelta[]): StepCountDelta[] {
  const out: StepCountDelta[] = [];
  const index = new Map<string, Map<number, Map<string, Map<string, Map<string, StepCountDelta>>>>>();
  for (const d of deltas) {
    if (d.count === 0) continue;
    // Level by level without a closure per lookup: four closures per delta were 235 bytes a user.
    let byMinute = index.get(d.canvasId);
    if (!byMinute) index.set(d.canvasId, (byMinute = new Map()));
    let byStep = byMinute.get(d.minute);
    if (!byStep) byMinute.set(d.minute, (byStep = new Map()));
    let byMetric = byStep.get(d.stepId);
    if (!byMetric) byStep.set(d.stepId, (byMetric = new Map()));
    let byReason = byMetric.get(d.metric);
    if (!byReason) byMetric.set(d.metric, (byReason = new Map()));
    const reason = d.reason ?? '';
    const m = byReason.get(reason);
    if (m) m.count += d.count;
    else {
      const copy = { ...d, reason };
      byReason.set(reason, copy);
      out.push(copy);
    }
  }
  return out;
}
