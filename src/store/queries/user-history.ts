/**
 * A profile's history as `GET /api/users/{external_id}` shows it: its recent events, its canvas
 * entries and its sync items, found by the profile's id (events_profile_idx, entries_profile_canvas_idx,
 * sync_members_profile_idx). Hashed identifiers never leave the store whole: a sync item carries which
 * fields were sent (sync_members.fields, migration 0019) and, while its payload still exists (pending
 * items: retention deletes it once final), the first 8 hex digits of each hash.
 */
import { fieldsOfMask } from '../../core/sync-fields.ts';
import type { SyncField } from '../../core/canvas.ts';
import type { ProfileEntry, ProfileEvent, ProfileSyncItem, UserHistoryQueries } from '../port.ts';
import { parseJsonObject, type QueryContext } from './context.ts';
import { readPayload } from './sync-payload.ts';

/** The most rows either list returns: the API shows the latest ones, not a full export. */
export const MAX_HISTORY_ROWS = 100;
/** The most events the user page shows. */
export const MAX_HISTORY_EVENTS = 50;
/** Hash prefixes are read for at most this many pending items: each read is its batch's whole payload (up to ~1.3 MB). */
const MAX_PAYLOADS_READ = 5;
const HASH_PREFIX_HEX = 8;

const bounded = (limit: number | undefined, max = MAX_HISTORY_ROWS): number => Math.max(1, Math.min(max, Math.floor(limit ?? max)));

export function userHistoryQueries({ db }: QueryContext): UserHistoryQueries {
  const profileId = (workspaceId: string, externalId: string) => db.selectFrom('profiles').select('id').where('workspace_id', '=', workspaceId).where('external_id', '=', externalId);

  /** The hashes' prefixes of members still in a payload, keyed `batch:position`. A few statements, one per batch. */
  async function hashPrefixes(members: readonly { batchId: number; position: number }[]): Promise<Map<string, Partial<Record<SyncField, string>>>> {
    const out = new Map<string, Partial<Record<SyncField, string>>>();
    for (const m of members.slice(0, MAX_PAYLOADS_READ)) {
      const row = await db.selectFrom('sync_payloads').select('payload').where('batch_id', '=', m.batchId).executeTakeFirst();
      if (!row) continue;
      const reader = readPayload(row.payload);
      if (m.position >= reader.count) continue;
      const prefixes: Partial<Record<SyncField, string>> = {};
      for (const [field, hex] of Object.entries(reader.hashesOf(m.position)) as [SyncField, string][]) prefixes[field] = hex.slice(0, HASH_PREFIX_HEX);
      out.set(`${m.batchId}:${m.position}`, prefixes);
    }
    return out;
  }

  return {
    async listEventsOfProfile(workspaceId, externalId, limit) {
      const rows = await db
        .selectFrom('events')
        .select(['name', 'time', 'properties'])
        .where('workspace_id', '=', workspaceId)
        .where('external_id', '=', externalId)
        .orderBy('time', 'desc')
        .orderBy('id', 'desc')
        .limit(bounded(limit, MAX_HISTORY_EVENTS))
        .execute();
      return rows.map((r): ProfileEvent => ({ name: r.name, time: Number(r.time), properties: parseJsonObject(r.properties) }));
    },
    async listEntriesOfProfile(workspaceId, externalId, limit) {
      const rows = await db
        .selectFrom('entries as e')
        .leftJoin('canvases as c', (j) => j.onRef('c.id', '=', 'e.canvas_id').onRef('c.workspace_id', '=', 'e.workspace_id'))
        .select(['e.canvas_id', 'c.name as canvas_name', 'e.version', 'e.step_id', 'e.status', 'e.entered_at', 'e.exited_at', 'e.failure_reason'])
        .where('e.workspace_id', '=', workspaceId)
        .where('e.profile_id', '=', profileId(workspaceId, externalId))
        .orderBy('e.entered_at', 'desc')
        .orderBy('e.id', 'desc')
        .limit(bounded(limit))
        .execute();
      return rows.map(
        (r): ProfileEntry => ({
          canvasId: r.canvas_id,
          canvasName: r.canvas_name,
          version: Number(r.version),
          stepId: r.step_id,
          status: r.status,
          enteredAt: Number(r.entered_at),
          exitedAt: r.exited_at === null ? null : Number(r.exited_at),
          failureReason: r.failure_reason,
        }),
      );
    },
    async listSyncItemsOfProfile(workspaceId, externalId, limit) {
      // A member's outcome is its batch's unless it has its own (migration 0007).
      const rows = await db
        .selectFrom('sync_members as m')
        .innerJoin('sync_batches as b', 'b.id', 'm.batch_id')
        .select([
          'b.canvas_id',
          'b.step_id',
          'b.advertiser_id',
          'b.audience_id',
          'b.action',
          'b.outcome',
          'b.reason',
          'b.created_at',
          'b.settled_at',
          'b.failed_attempts',
          'b.last_error',
          'b.due_at',
          'm.batch_id',
          'm.position',
          'm.fields',
          'm.outcome as own_outcome',
          'm.reason as own_reason',
          'm.settled_at as own_settled_at',
        ])
        .where('b.workspace_id', '=', workspaceId)
        .where('m.profile_id', '=', profileId(workspaceId, externalId))
        .orderBy('b.created_at', 'desc')
        .orderBy('m.batch_id', 'desc')
        .orderBy('m.position', 'desc')
        .limit(bounded(limit))
        .execute();
      const pending = rows.filter((r) => r.own_outcome === null && r.outcome === 'pending').map((r) => ({ batchId: Number(r.batch_id), position: Number(r.position) }));
      const prefixes = await hashPrefixes(pending);
      return rows.map((r): ProfileSyncItem => {
        const own = r.own_outcome !== null;
        const settledAt = own ? r.own_settled_at : r.settled_at;
        const outcome = own ? r.own_outcome! : r.outcome;
        return {
          canvasId: r.canvas_id,
          stepId: r.step_id,
          advertiserId: r.advertiser_id,
          audienceId: r.audience_id,
          action: r.action,
          outcome,
          reason: own ? r.own_reason : r.reason,
          createdAt: Number(r.created_at),
          settledAt: settledAt === null ? null : Number(settledAt),
          failedAttempts: Number(r.failed_attempts),
          lastError: outcome === 'pending' ? r.last_error : null,
          dueAt: outcome === 'pending' && r.due_at !== null ? Number(r.due_at) : null,
          fieldsSent: r.fields === null ? null : fieldsOfMask(Number(r.fields)),
          hashPrefixes: prefixes.get(`${Number(r.batch_id)}:${Number(r.position)}`) ?? null,
        };
      });
    },
  };
}
