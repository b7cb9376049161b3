/**
 * The TikTok connection of a workspace (port.ts TikTokConnectionQueries; tables of migration 0004).
 * Tokens arrive and leave encrypted: this module never sees a plain token. OAuth states are stored as
 * SHA-256 hashes, and consumed by one guarded UPDATE (which also checks the browser) so that a state
 * works once, in one process, even when two callbacks race.
 */
import type { TikTokAdvertiserRecord, TikTokConnectionQueries, TikTokConnectionRecord, TikTokConnectionStatus } from '../port.ts';
import type { TiktokConnectionsTable } from '../schema.ts';
import type { QueryContext } from './context.ts';

export function tiktokConnectionQueries({ db }: QueryContext): TikTokConnectionQueries {
  return {
    async getTikTokConnection(workspaceId) {
      const row = await db.selectFrom('tiktok_connections').selectAll().where('workspace_id', '=', workspaceId).executeTakeFirst();
      return row ? toConnection(row) : null;
    },

    async saveTikTokConnection(c, now) {
      const values = { app_id: c.appId, status: 'connected', encrypted_token: c.encryptedToken, status_reason: null, connected_at: now, updated_at: now };
      await db
        .insertInto('tiktok_connections')
        .values({ workspace_id: c.workspaceId, ...values })
        .onConflict((oc) => oc.column('workspace_id').doUpdateSet(values))
        .execute();
    },

    async markTikTokTokenInvalid(workspaceId, reason, now, fence) {
      let q = db
        .updateTable('tiktok_connections')
        .set({ status: 'invalid_token', status_reason: reason, updated_at: now })
        .where('workspace_id', '=', workspaceId)
        .where('status', '=', 'connected');
      if (fence) q = q.where('encrypted_token', '=', fence.encryptedToken);
      const r = await q.executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },

    async resealTikTokToken(workspaceId, from, to) {
      const r = await db.updateTable('tiktok_connections').set({ encrypted_token: to }).where('workspace_id', '=', workspaceId).where('encrypted_token', '=', from).executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },

    async disconnectTikTok(workspaceId, reason, now) {
      await db
        .updateTable('tiktok_connections')
        .set({ status: 'disconnected', encrypted_token: null, status_reason: reason, updated_at: now })
        .where('workspace_id', '=', workspaceId)
        .execute();
      await db.deleteFrom('tiktok_advertisers').where('workspace_id', '=', workspaceId).execute();
    },

    async listTikTokAdvertisers(workspaceId) {
      const rows = await db
        .selectFrom('tiktok_advertisers')
        .select(['advertiser_id', 'advertiser_name', 'selected'])
        .where('workspace_id', '=', workspaceId)
        .orderBy('advertiser_id')
        .execute();
      return rows.map((r): TikTokAdvertiserRecord => ({ advertiserId: r.advertiser_id, advertiserName: r.advertiser_name, selected: Number(r.selected) === 1 }));
    },

    async replaceTikTokAdvertisers(workspaceId, rows) {
      await db.deleteFrom('tiktok_advertisers').where('workspace_id', '=', workspaceId).execute();
      if (rows.length === 0) return;
      // An advertiser grant is a handful of accounts; one statement holds far more than TikTok ever returns.
      await db
        .insertInto('tiktok_advertisers')
        .values(rows.map((r) => ({ workspace_id: workspaceId, advertiser_id: r.advertiserId, advertiser_name: r.advertiserName, selected: r.selected ? 1 : 0 })))
        .execute();
    },

    async selectTikTokAdvertisers(workspaceId, advertiserIds) {
      const ids = [...new Set(advertiserIds)];
      await db
        .updateTable('tiktok_advertisers')
        .set((eb) => ({ selected: ids.length === 0 ? 0 : eb.case().when('advertiser_id', 'in', ids).then(1).else(0).end() }))
        .where('workspace_id', '=', workspaceId)
        .execute();
    },

    async insertOAuthState(s) {
      await db
        .insertInto('oauth_states')
        .values({ state_hash: s.stateHash, workspace_id: s.workspaceId, expires_at: s.expiresAt, used_at: null, started_by: s.startedBy, browser_hash: s.browserHash })
        .execute();
    },

    async consumeOAuthState(stateHash, now, presentedBrowserHash) {
      // The browser check is part of the guarded UPDATE: a callback from the wrong browser does not use the state up.
      const row = await db
        .updateTable('oauth_states')
        .set({ used_at: now })
        .where('state_hash', '=', stateHash)
        .where('used_at', 'is', null)
        .where('expires_at', '>', now)
        .where((eb) => (presentedBrowserHash === null ? eb('started_by', '=', 'api_key') : eb('browser_hash', '=', presentedBrowserHash)))
        .returning('workspace_id')
        .executeTakeFirst();
      return row?.workspace_id ?? null;
    },

    async pruneOAuthStates(now, limit) {
      // DELETE … LIMIT is SQLite-only; a bounded sub-select works on both (index oauth_states_expiry_idx).
      const r = await db
        .deleteFrom('oauth_states')
        .where('state_hash', 'in', (eb) => eb.selectFrom('oauth_states').select('state_hash').where('expires_at', '<', now).limit(limit))
        .executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
}

function toConnection(r: TiktokConnectionsTable): TikTokConnectionRecord {
  return {
    workspaceId: r.workspace_id,
    appId: r.app_id,
    status: r.status as TikTokConnectionStatus,
    encryptedToken: r.encrypted_token,
    statusReason: r.status_reason,
    connectedAt: r.connected_at === null ? null : Number(r.connected_at),
    updatedAt: Number(r.updated_at),
  };
}
