/**
 * A profile's history as `GET /api/users/{external_id}` shows it: its canvas entries and its sync
 * items, found by the profile's id (entries_profile_canvas_idx, sync_members_profile_idx). Sync items are read without their hashes: the
 * hashed identifiers never leave the store through this module.
 */
import type { ProfileEntry, ProfileSyncItem, UserHistoryQueries } from '../port.ts';
import type { QueryContext } from './context.ts';

/** The most rows either list returns: the API shows the latest ones, not a full export. */
export const MAX_HISTORY_ROWS = 100;

const bounded = (limit: number | undefined): number => Math.max(1, Math.min(MAX_HISTORY_ROWS, Math.floor(limit ?? MAX_HISTORY_ROWS)));

export function userHistoryQueries({ db }: QueryContext): UserHistoryQueries {
  const profileId = (workspaceId: string, externalId: string) => db.selectFrom('profiles').select('id').where('workspace_id', '=', workspaceId).where('external_id', '=', externalId);
  return {
    async listEntriesOfProfile(workspaceId, externalId, limit) {
      const rows = await db
        .selectFrom('entries')
        .select(['canvas_id', 'version', 'step_id', 'status', 'entered_at', 'exited_at', 'failure_reason'])
        .where('workspace_id', '=', workspaceId)
        .where('profile_id', '=', profileId(workspaceId, externalId))
        .orderBy('entered_at', 'desc')
        .orderBy('id', 'desc')
        .limit(bounded(limit))
        .execute();
      return rows.map(
        (r): ProfileEntry => ({
          canvasId: r.canvas_id,
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
        .select(['b.canvas_id', 'b.step_id', 'b.advertiser_id', 'b.audience_id', 'b.action', 'b.outcome', 'b.reason', 'b.created_at', 'b.settled_at', 'm.outcome as own_outcome', 'm.reason as own_reason', 'm.settled_at as own_settled_at'])
        .where('b.workspace_id', '=', workspaceId)
        .where('m.profile_id', '=', profileId(workspaceId, externalId))
        .orderBy('b.created_at', 'desc')
        .orderBy('m.batch_id', 'desc')
        .orderBy('m.position', 'desc')
        .limit(bounded(limit))
        .execute();
      return rows.map((r): ProfileSyncItem => {
        const own = r.own_outcome !== null;
        const settledAt = own ? r.own_settled_at : r.settled_at;
        return {
          canvasId: r.canvas_id,
          stepId: r.step_id,
          advertiserId: r.advertiser_id,
          audienceId: r.audience_id,
          action: r.action,
          outcome: own ? r.own_outcome! : r.outcome,
          reason: own ? r.own_reason : r.reason,
          createdAt: Number(r.created_at),
          settledAt: settledAt === null ? null : Number(settledAt),
        };
      });
    },
  };
}
