/**
 * A profile's history as `GET /api/users/{external_id}` shows it: its canvas entries and its sync
 * items, found by the profile's id (entries_profile_canvas_idx, sync_items_profile_id_idx; migration 0006). Sync items are read without their hashes: the
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
        .select(['canvas_id', 'version', 'step_id', 'status', 'entered_at', 'exited_at'])
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
        }),
      );
    },
    async listSyncItemsOfProfile(workspaceId, externalId, limit) {
      const rows = await db
        .selectFrom('sync_items')
        .select(['canvas_id', 'step_id', 'advertiser_id', 'audience_id', 'action', 'outcome', 'reason', 'created_at', 'settled_at'])
        .where('workspace_id', '=', workspaceId)
        .where('profile_id', '=', profileId(workspaceId, externalId))
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(bounded(limit))
        .execute();
      return rows.map(
        (r): ProfileSyncItem => ({
          canvasId: r.canvas_id,
          stepId: r.step_id,
          advertiserId: r.advertiser_id,
          audienceId: r.audience_id,
          action: r.action,
          outcome: r.outcome,
          reason: r.reason,
          createdAt: Number(r.created_at),
          settledAt: r.settled_at === null ? null : Number(r.settled_at),
        }),
      );
    },
  };
}
