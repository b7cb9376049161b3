import type { ApiKey, ApiKeyQueries } from '../port.ts';
import type { QueryContext } from './context.ts';

export function apiKeyQueries({ db }: QueryContext): ApiKeyQueries {
  return {
    async insertApiKey(k, now) {
      await db.insertInto('api_keys').values({ id: k.id, workspace_id: k.workspaceId, key_hash: k.keyHash, created_at: now, ...(k.name === undefined ? {} : { name: k.name }) }).execute();
    },
    async findApiKeyByHash(keyHash) {
      // The unique index on key_hash (migration 0001) makes this one index lookup.
      const row = await db.selectFrom('api_keys').select(['id', 'workspace_id', 'last_used_at']).where('key_hash', '=', keyHash).executeTakeFirst();
      return row ? { id: row.id, workspaceId: row.workspace_id, lastUsedAt: row.last_used_at === null ? null : Number(row.last_used_at) } : null;
    },
    async listApiKeys(workspaceId) {
      const rows = await db
        .selectFrom('api_keys')
        .select(['id', 'workspace_id', 'name', 'created_at', 'last_used_at'])
        .where('workspace_id', '=', workspaceId)
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .execute();
      return rows.map(toApiKey);
    },
    async deleteApiKey(workspaceId, id) {
      const result = await db.deleteFrom('api_keys').where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
    async touchApiKey(id, at) {
      await db
        .updateTable('api_keys')
        .set({ last_used_at: at })
        .where('id', '=', id)
        .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', at)]))
        .execute();
    },
  };
}

function toApiKey(r: { id: string; workspace_id: string; name: string; created_at: number; last_used_at: number | null }): ApiKey {
  return { id: r.id, workspaceId: r.workspace_id, name: r.name, createdAt: Number(r.created_at), lastUsedAt: r.last_used_at === null ? null : Number(r.last_used_at) };
}
