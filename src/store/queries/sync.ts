import { sql, type RawBuilder } from 'kysely';
import { tallyBySteps, type ClaimedBatch, type ClaimedUser, type DueBatches, type QueueCursor, type SettledTally, type SyncField, type SyncIntent, type SyncPayloadReader, type SyncQueries } from '../sync-port.ts';
import { inIds, pgArray, selectRows, type QueryContext } from './context.ts';
import { readPayload, slicePayload } from './sync-payload.ts';

/** readDueSyncBatches looks at this many batches' sizes per statement before it reads any payload. */
const HEADS_PER_READ = 100;

/** A row that says how many users of a (workspace, canvas, step) changed. */
interface CountedRow {
  workspace_id: string;
  canvas_id: string;
  step_id: string;
  n: number;
}

/** What a settle adds to the steps' counts. */
const tallies = (rows: readonly CountedRow[]): SettledTally[] => tallyBySteps(rows, (r) => ({ workspaceId: r.workspace_id, canvasId: r.canvas_id, stepId: r.step_id }), (r) => Number(r.n));

/** The members a batch's own outcome covers: those without one of their own. */
const COUNTED = sql`workspace_id, canvas_id, step_id, size - overridden as n`;

export function syncQueries(ctx: QueryContext): Omit<SyncQueries, 'resendSyncMembers' | 'requeueErroredSyncItems'> {
  const { db, dialect } = ctx;
  const due = (queueId: number, now: number, after: QueueCursor | undefined) =>
    after ? sql`queue_id = ${queueId} and outcome = 'pending' and due_at <= ${now} and (due_at, id) > (${after.dueAt}, ${after.id})` : sql`queue_id = ${queueId} and outcome = 'pending' and due_at <= ${now}`;

  /** Gives pending batches matching `where` their final outcome, returning `returning` of each one changed. */
  const close = <R>(outcome: string, reason: string | null, now: number, where: RawBuilder<unknown>, returning: RawBuilder<unknown>) =>
    sql<R>`update sync_batches set outcome = ${outcome}, reason = ${reason}, settled_at = ${now}, due_at = null where outcome = 'pending' and ${where} returning ${returning}`.execute(db);

  /** The payloads of `heads`, as claimed batches without the members that have their own outcome. */
  async function claim(heads: readonly unknown[][]): Promise<ClaimedBatch[]> {
    if (heads.length === 0) return [];
    const ids = heads.map((h) => Number(h[0]));
    const payloads = new Map<number, Uint8Array | string>();
    if (ctx.copyOut) {
      // As bytes, not hex text (pg-copy.ts). COPY takes no parameters: the ids go in as a literal, and
      // numbers written by pgArray are digits and commas only.
      for (const [id, payload] of await ctx.copyOut(`select batch_id, payload from sync_payloads where batch_id = any('${pgArray(ids) as string}'::bigint[])`)) payloads.set(Number(id!.readBigInt64BE()), payload!);
    } else {
      for (const r of await selectRows(ctx, ['batch_id', 'payload'], sql`from sync_payloads where ${inIds(dialect, 'batch_id', ids)}`)) payloads.set(Number(r[0]), r[1] as Uint8Array | string);
    }
    const overridden = heads.filter((h) => Number(h[7]) > 0).map((h) => Number(h[0]));
    const own = new Map<number, Set<number>>(); // per batch, the positions of members with their own outcome
    if (overridden.length > 0) {
      const { rows } = await sql<{ batch_id: number; position: number }>`
        select batch_id, position from sync_members where ${inIds(dialect, 'batch_id', overridden)} and outcome is not null`.execute(db);
      for (const r of rows) {
        const positions = own.get(Number(r.batch_id)) ?? new Set<number>();
        positions.add(Number(r.position));
        own.set(Number(r.batch_id), positions);
      }
    }
    return heads.map((h): ClaimedBatch => {
      const id = Number(h[0]);
      const payload = readPayload(payloads.get(id) ?? '{}');
      const users: ClaimedUser[] = [];
      const skip = own.get(id);
      for (let i = 0; i < payload.count; i++) if (!skip?.has(i)) users.push(new PayloadMember(payload, i));
      // seq null: the batch's own id (migration 0010).
      const seq = h[8] === null || h[8] === undefined ? id : Number(h[8]);
      return { id, dueAt: Number(h[1]), canvasId: h[2] as string, stepId: h[3] as string, createdAt: Number(h[4]), seq, failedAttempts: Number(h[5]), users, payload };
    });
  }

  return {
    async listSyncQueues() {
      const rows = await db.selectFrom('sync_queues').selectAll().orderBy('id').execute();
      return rows.map((r) => ({
        id: Number(r.id),
        workspaceId: r.workspace_id,
        advertiserId: r.advertiser_id,
        audienceId: r.audience_id,
        action: r.action === 'remove' ? 'remove' : 'add',
        fields: r.id_schema.split(',').filter(Boolean) as SyncField[],
      }));
    },

    async syncQueueHead(queueId, now, after) {
      const { rows } = await sql<{ due_at: number; created_at: number }>`
        select due_at, created_at from sync_batches where ${due(queueId, now, after)} order by due_at, id limit 1`.execute(db);
      const r = rows[0];
      return r ? { dueAt: Number(r.due_at), createdAt: Number(r.created_at) } : null;
    },

    async readDueSyncBatches({ queueId, now, limit, after }) {
      // Sizes first (a few integers a batch), payloads only of the batches taken.
      const taken: unknown[][] = [];
      let users = 0;
      let cursor = after;
      let overflow: DueBatches['overflow'];
      for (;;) {
        const heads = await selectRows(ctx, ['id', 'due_at', 'canvas_id', 'step_id', 'created_at', 'failed_attempts', 'size', 'overridden', 'seq'], sql`from sync_batches where ${due(queueId, now, cursor)} order by due_at, id limit ${HEADS_PER_READ}`);
        let full = false;
        for (const h of heads) {
          const n = Number(h[6]) - Number(h[7]);
          if (users + n > limit) {
            if (users < limit) overflow = { id: Number(h[0]), room: limit - users };
            full = true;
            break;
          }
          taken.push(h);
          users += n;
        }
        if (full || heads.length < HEADS_PER_READ) break;
        const last = heads[heads.length - 1]!;
        cursor = { dueAt: Number(last[1]), id: Number(last[0]) };
      }
      const batches = await claim(taken);
      return overflow ? { batches, overflow } : { batches };
    },

    async splitSyncBatch(batchId, keep) {
      const row = await db.selectFrom('sync_batches').selectAll().where('id', '=', batchId).where('outcome', '=', 'pending').executeTakeFirst();
      if (!row || keep <= 0 || keep >= Number(row.size)) return;
      const { rows: own } = await sql<{ n: number }>`
        select count(*) as n from sync_members where batch_id = ${batchId} and position >= ${keep} and outcome is not null`.execute(db);
      const tailOwn = Number(own[0]?.n ?? 0);
      const stored = await db.selectFrom('sync_payloads').select('payload').where('batch_id', '=', batchId).executeTakeFirst();
      const payload = readPayload(stored?.payload ?? '{}');
      const { id: _id, ...rest } = row;
      const tail = await db
        .insertInto('sync_batches')
        // The tail's users entered with the head's: it keeps their place in the order of intents.
        .values({ ...rest, size: Number(row.size) - keep, overridden: tailOwn, seq: row.seq ?? Number(row.id) })
        .returning('id')
        .executeTakeFirstOrThrow();
      await db.insertInto('sync_payloads').values({ batch_id: Number(tail.id), payload: slicePayload(payload, keep, Number(row.size)) }).execute();
      await db.updateTable('sync_batches').set({ size: keep, overridden: Number(row.overridden) - tailOwn }).where('id', '=', batchId).execute();
      await db.updateTable('sync_payloads').set({ payload: slicePayload(payload, 0, keep) }).where('batch_id', '=', batchId).execute();
      await sql`update sync_members set batch_id = ${Number(tail.id)}, position = position - ${keep} where batch_id = ${batchId} and position >= ${keep}`.execute(db);
    },

    async settleSyncBatches(batchIds, outcome, reason, now) {
      if (batchIds.length === 0) return [];
      const { rows } = await close<{ id: number; n: number }>(outcome, reason, now, inIds(dialect, 'id', batchIds), sql`id, size - overridden as n`);
      return rows.map((r) => ({ id: Number(r.id), count: Number(r.n) }));
    },

    async settleSyncMembers(batchId, positions, outcome, reason, now) {
      if (positions.length === 0) return 0;
      const r = await sql`
        update sync_members set outcome = ${outcome}, reason = ${reason}, settled_at = ${now}
        where batch_id = ${batchId} and outcome is null and ${inIds(dialect, 'position', positions)}
        and exists (select 1 from sync_batches where id = ${batchId} and outcome = 'pending')`.execute(db);
      const n = Number(r.numAffectedRows ?? 0);
      if (n > 0) await sql`update sync_batches set overridden = overridden + ${n} where id = ${batchId}`.execute(db);
      return n;
    },

    async rescheduleSyncBatches(batchIds, p) {
      if (batchIds.length === 0) return 0;
      const r = await sql`
        update sync_batches set due_at = ${p.dueAt}, last_error = ${p.lastError}, failed_attempts = failed_attempts + ${p.failed ? 1 : 0}
        where outcome = 'pending' and ${inIds(dialect, 'id', batchIds)}`.execute(db);
      return Number(r.numAffectedRows ?? 0);
    },

    async intentsAfter({ workspaceId, audienceId, action, profileIds, after }) {
      if (profileIds.length === 0) return [];
      // By sync_members_profile_idx: a user has few items, so the other conditions filter a handful of
      // rows. On SQLite a unary + keeps the planner off the batches' indexes, which can match everything.
      const plus = dialect === 'sqlite' ? sql.raw('+') : sql.raw('');
      const { rows } = await sql<{ profile_id: number; batch_id: number; position: number; seq: number; outcome: string; own: string | null }>`
        select m.profile_id, m.batch_id, m.position, coalesce(b.seq, b.id) as seq, b.outcome, m.outcome as own
        from sync_members m join sync_batches b on b.id = m.batch_id
        where ${inIds(dialect, 'm.profile_id', profileIds)} and b.audience_id = ${audienceId} and b.workspace_id = ${workspaceId}
        and b.action = ${action} and ${plus}b.queue_id is not null and coalesce(b.seq, b.id) > ${after}`.execute(db);
      return rows.map((r): SyncIntent => ({ profileId: Number(r.profile_id), seq: Number(r.seq), batchId: Number(r.batch_id), position: Number(r.position), synced: r.outcome === 'synced' && r.own === null }));
    },

    async errorAudienceItems(workspaceId, audienceId, reason, now) {
      const { rows } = await close<CountedRow>('errored', reason, now, sql`workspace_id = ${workspaceId} and audience_id = ${audienceId}`, COUNTED);
      return tallies(rows);
    },

    async ackLatencies(workspaceId, canvasId) {
      const rows = await db
        .selectFrom('sync_batches as b')
        .innerJoin('sync_members as m', 'm.batch_id', 'b.id')
        .innerJoin('entries as e', 'e.id', 'm.entry_id')
        .select(['b.settled_at', 'e.entered_at'])
        .where('b.workspace_id', '=', workspaceId)
        .where('b.canvas_id', '=', canvasId)
        .where('b.outcome', '=', 'synced')
        .where('m.outcome', 'is', null)
        .execute();
      return rows.map((r) => Number(r.settled_at) - Number(r.entered_at));
    },

    async pendingByAudience() {
      const { rows } = await sql<{ workspace_id: string; audience_id: string | null; n: number }>`
        select workspace_id, audience_id, sum(size - overridden) as n from sync_batches where outcome = 'pending' group by workspace_id, audience_id`.execute(db);
      return rows.map((r) => ({ workspaceId: r.workspace_id, audienceId: r.audience_id ?? '', count: Number(r.n) }));
    },

    async errorExpiredSyncBatches({ createdBefore, now, limit, reasonFor, skip }) {
      const { rows: expired } = await sql<{ id: number; workspace_id: string }>`
        select id, workspace_id from sync_batches
        where outcome = 'pending' and created_at < ${createdBefore}
        order by created_at limit ${limit}`.execute(db);
      const byReason = new Map<string, number[]>();
      for (const r of expired) {
        if (skip?.(Number(r.id))) continue;
        const reason = reasonFor(r.workspace_id);
        const list = byReason.get(reason) ?? [];
        list.push(Number(r.id));
        byReason.set(reason, list);
      }
      const out: (SettledTally & { reason: string })[] = [];
      for (const [reason, ids] of byReason) {
        const { rows } = await close<CountedRow>('errored', reason, now, inIds(dialect, 'id', ids), COUNTED);
        for (const t of tallies(rows)) out.push({ ...t, reason });
      }
      return { scanned: expired.length, tallies: out };
    },
  };
}

/** A member of a read batch; its hashes as hex only when asked for (tests, diagnostics). */
class PayloadMember implements ClaimedUser {
  readonly profileId: number;
  constructor(
    private readonly payload: SyncPayloadReader,
    readonly position: number,
  ) {
    this.profileId = payload.profileId(position);
  }
  get hashes(): Partial<Record<SyncField, string>> {
    return this.payload.hashesOf(this.position);
  }
}
