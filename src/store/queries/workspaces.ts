import type { Workspace, WorkspaceQueries } from '../port.ts';
import type { QueryContext } from './context.ts';

export function workspaceQueries({ db }: QueryContext): WorkspaceQueries {
  return {
    async createWorkspace(w, now) {
      const row = { id: w.id, name: w.name, default_country: w.defaultCountry ?? null, created_at: now };
      await db.insertInto('workspaces').values(row).execute();
      return toWorkspace(row);
    },
    async getWorkspace(id) {
      const row = await db.selectFrom('workspaces').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toWorkspace(row) : null;
    },
  };
}

function toWorkspace(r: { id: string; name: string; default_country: string | null; created_at: number }): Workspace {
  return { id: r.id, name: r.name, defaultCountry: r.default_country, createdAt: Number(r.created_at) };
}
