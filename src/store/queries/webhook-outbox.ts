/** The webhook outbox (store/webhook-port.ts; migration 0009). */
import { sql, type Selectable } from 'kysely';
import type { Entry, EntryUpdate } from '../journey-port.ts';
import type { ClaimedWebhookCall, WebhookOutboxQueries } from '../webhook-port.ts';
import type { WebhookOutboxTable } from '../schema.ts';
import { chunks, insertRows, type QueryContext } from './context.ts';
import { movedTo, toEntry } from './journeys.ts';

const COLUMNS = ['workspace_id', 'canvas_id', 'version', 'step_id', 'entry_id', 'url', 'method', 'headers', 'body', 'timeout_ms', 'due_at', 'created_at'];

export function webhookOutboxQueries(ctx: QueryContext): WebhookOutboxQueries {
  const { db, dialect } = ctx;
  const skipLocked = dialect === 'postgres' ? sql` for update skip locked` : sql``;
  return {
    async insertWebhookCalls(rows, now) {
      await insertRows(ctx, 'webhook_outbox', COLUMNS, rows, (r, p) => {
        const q = r.request;
        p.push(r.workspaceId, r.canvasId, r.version, r.stepId, r.entryId, q.url, q.method, JSON.stringify(q.headers), q.body, q.timeoutMs, now, now);
      });
    },

    async claimDueWebhookCalls({ now, limit, perWorkspace, busy, leaseMs, leaseId }) {
      if (limit <= 0) return [];
      // Workspaces at their cap are left out of the read, so one workspace's backlog cannot fill it.
      const full = [...busy].filter(([, n]) => n >= perWorkspace).map(([ws]) => ws);
      let read = db
        .selectFrom('webhook_outbox')
        .select(['id', 'workspace_id'])
        .where('due_at', '<=', now)
        .where((eb) => eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<', now)]))
        .orderBy('due_at')
        .orderBy('id')
        .limit(Math.max(limit * 4, 256));
      if (full.length > 0) read = read.where('workspace_id', 'not in', full);
      const taken = new Map<string, number>();
      const ids: number[] = [];
      for (const r of await read.execute()) {
        const n = taken.get(r.workspace_id) ?? busy.get(r.workspace_id) ?? 0;
        if (n >= perWorkspace) continue;
        taken.set(r.workspace_id, n + 1);
        ids.push(Number(r.id));
        if (ids.length === limit) break;
      }
      if (ids.length === 0) return [];
      // Re-checked under the row locks: another worker may have claimed some since the read.
      const { rows } = await sql<Selectable<WebhookOutboxTable>>`
        update webhook_outbox set lease_id = ${leaseId}, lease_expires_at = ${now + leaseMs}, claim_count = claim_count + 1
        where id in (
          select id from webhook_outbox
          where id in (${sql.join(ids)}) and due_at <= ${now} and (lease_expires_at is null or lease_expires_at < ${now})${skipLocked}
        )
        returning *`.execute(db);
      return rows.map(
        (r): ClaimedWebhookCall => ({
          id: Number(r.id),
          leaseId,
          workspaceId: r.workspace_id,
          canvasId: r.canvas_id,
          version: Number(r.version),
          stepId: r.step_id,
          entryId: Number(r.entry_id),
          request: { url: r.url, method: r.method, headers: JSON.parse(r.headers) as Record<string, string>, body: r.body, timeoutMs: r.timeout_ms === null ? null : Number(r.timeout_ms) },
          attempts: Number(r.attempts),
          claimCount: Number(r.claim_count),
        }),
      );
    },

    async retryWebhookCalls(rows) {
      const changed = new Set<number>();
      // At most one row per call in flight (the sender's cap): a statement each.
      for (const r of rows) {
        const done = await db
          .updateTable('webhook_outbox')
          .set({ attempts: r.attempts, due_at: r.dueAt, last_error: r.lastError, lease_id: null, lease_expires_at: null })
          .where('id', '=', r.id)
          .where('lease_id', '=', r.leaseId)
          .executeTakeFirst();
        if (Number(done.numUpdatedRows) === 1) changed.add(r.id);
      }
      return changed;
    },

    async finishWebhookCalls(calls) {
      const out = new Map<number, Entry | null>();
      const byLease = new Map<string, number[]>();
      for (const c of calls) byLease.set(c.leaseId, [...(byLease.get(c.leaseId) ?? []), c.id]);
      const entryOf = new Map<number, number>();
      for (const [leaseId, ids] of byLease) {
        for (const part of chunks(ids)) {
          const deleted = await db.deleteFrom('webhook_outbox').where('lease_id', '=', leaseId).where('id', 'in', part).returning(['id', 'entry_id']).execute();
          for (const d of deleted) entryOf.set(Number(d.id), Number(d.entry_id));
        }
      }
      const entries = new Map<number, Entry>();
      for (const part of chunks([...new Set(entryOf.values())])) {
        for (const row of await db.selectFrom('entries').selectAll().where('id', 'in', part).execute()) entries.set(Number(row.id), toEntry(row));
      }
      for (const [id, entryId] of entryOf) out.set(id, entries.get(entryId) ?? null);
      return out;
    },

    async resumeParkedEntries(rows) {
      const groups = new Map<string, { u: EntryUpdate; fromStep: string; ids: number[] }>();
      for (const { update: u, fromStep } of rows) {
        const key = `${fromStep}|${u.stepId}|${u.status}|${u.dueAt}|${u.stepEnteredAt}|${u.exitedAt}|${u.failureReason ?? ''}`;
        const g = groups.get(key);
        if (g) g.ids.push(u.id);
        else groups.set(key, { u, fromStep, ids: [u.id] });
      }
      const moved = new Set<number>();
      for (const { u, fromStep, ids } of groups.values()) {
        for (const part of chunks(ids)) {
          const done = await db
            .updateTable('entries')
            .set(movedTo(u))
            .where('id', 'in', part)
            .where('status', '=', 'active')
            .where('step_id', '=', fromStep)
            .where('due_at', 'is', null)
            .where('lease_id', 'is', null)
            .returning('id')
            .execute();
          for (const r of done) moved.add(Number(r.id));
        }
      }
      return moved;
    },

    async countWebhookCalls(workspaceId) {
      let q = db.selectFrom('webhook_outbox').select((eb) => eb.fn.countAll().as('n'));
      if (workspaceId !== undefined) q = q.where('workspace_id', '=', workspaceId);
      return Number((await q.executeTakeFirstOrThrow()).n);
    },
  };
}
