/**
 * Canvases and their versions. `canvases` holds the lifecycle and the latest version number;
 * `canvas_versions` holds every version's JSON, which entries keep using after an edit. The entry
 * rule and exit events of the latest version are mirrored into columns (migration 0002) so that an
 * event finds the canvases it enters through the index canvases_entry_idx; every write of a
 * definition here keeps them in step.
 */
import type { Selectable } from 'kysely';
import type { CanvasDefinition, CanvasStatus } from '../../core/canvas.ts';
import type { CanvasLaunchJob, CanvasQueries, CanvasRecord, CanvasVersionRecord, CanvasVersionRef } from '../port.ts';
import type { CanvasesTable } from '../schema.ts';
import { chunks, type QueryContext } from './context.ts';

type CanvasRow = Selectable<CanvasesTable> & { definition: string };

const CANVAS_COLUMNS = ['c.id', 'c.workspace_id', 'c.name', 'c.status', 'c.version', 'c.created_at', 'c.updated_at', 'c.launched_at', 'c.entry_type', 'c.entry_event', 'c.exit_events', 'v.definition'] as const;

export function canvasQueries({ db, dialect }: QueryContext): CanvasQueries {
  /** canvases joined with their latest version. */
  const latest = () =>
    db
      .selectFrom('canvases as c')
      .innerJoin('canvas_versions as v', (j) => j.onRef('v.canvas_id', '=', 'c.id').onRef('v.version', '=', 'c.version'))
      .select(CANVAS_COLUMNS);

  async function getCanvasVersions(workspaceId: string, refs: readonly CanvasVersionRef[]): Promise<CanvasVersionRecord[]> {
    const out: CanvasVersionRecord[] = [];
    for (const part of chunks(uniqueRefs(refs))) {
      // (a, b) IN ((…), (…)) is Postgres-only: SQLite accepts row values on the right only as a subquery.
      const rows = await db
        .selectFrom('canvas_versions as v')
        .innerJoin('canvases as c', 'c.id', 'v.canvas_id')
        .select(['v.canvas_id', 'v.version', 'v.definition', 'v.created_at'])
        .where('c.workspace_id', '=', workspaceId)
        .where(({ eb, or, and }) => or(part.map((r) => and([eb('v.canvas_id', '=', r.canvasId), eb('v.version', '=', r.version)]))))
        .execute();
      for (const r of rows) out.push({ canvasId: r.canvas_id, version: Number(r.version), definition: JSON.parse(r.definition) as CanvasDefinition, createdAt: Number(r.created_at) });
    }
    return out;
  }

  return {
    async insertCanvas({ id, workspaceId, definition, savedBy }, now) {
      const row = { id, workspace_id: workspaceId, status: 'draft', version: 1, created_at: now, updated_at: now, launched_at: null, ...mirrored(definition) };
      await db.insertInto('canvases').values(row).execute();
      await db.insertInto('canvas_versions').values({ canvas_id: id, version: 1, definition: JSON.stringify(definition), created_at: now, saved_by: savedBy ?? null }).execute();
      return toCanvas({ ...row, definition: JSON.stringify(definition) });
    },

    async getCanvas(workspaceId, id, opts) {
      // Lock the canvases row alone, then read the join: a FOR UPDATE on the join would, after waiting
      // for a concurrent edit, re-check `v.version = c.version` against the bumped version and find
      // nothing (Postgres READ COMMITTED). SQLite has no FOR UPDATE; BEGIN IMMEDIATE already serialises.
      if (opts?.lock && dialect === 'postgres') {
        const locked = await db.selectFrom('canvases').select('id').where('workspace_id', '=', workspaceId).where('id', '=', id).forUpdate().executeTakeFirst();
        if (!locked) return null;
      }
      const row = await latest().where('c.workspace_id', '=', workspaceId).where('c.id', '=', id).executeTakeFirst();
      return row ? toCanvas(row) : null;
    },

    async listCanvases(workspaceId, filter) {
      let q = latest().where('c.workspace_id', '=', workspaceId);
      if (filter?.status) q = q.where('c.status', '=', filter.status);
      const rows = await q.orderBy('c.created_at', 'desc').orderBy('c.id', 'desc').execute();
      return rows.map(toCanvas);
    },

    async listCanvasPage(workspaceId, { status, limit, after }) {
      let q = latest().where('c.workspace_id', '=', workspaceId);
      if (status) q = q.where('c.status', '=', status);
      // (created_at, id) < (after): written so that both databases read it as a range of the index.
      if (after) q = q.where('c.created_at', '<=', after.createdAt).where(({ eb, or }) => or([eb('c.created_at', '<', after.createdAt), eb('c.id', '<', after.id)]));
      const rows = await q.orderBy('c.created_at', 'desc').orderBy('c.id', 'desc').limit(limit).execute();
      return rows.map(toCanvas);
    },

    async replaceCanvasDefinition(workspaceId, id, definition, now, savedBy) {
      const updated = await db
        .updateTable('canvases')
        .set({ updated_at: now, ...mirrored(definition) })
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', id)
        .returning('version')
        .executeTakeFirst();
      if (!updated) return false;
      // A draft edited in place: its one version was last saved by this caller.
      await db.updateTable('canvas_versions').set({ definition: JSON.stringify(definition), ...(savedBy === undefined ? {} : { saved_by: savedBy }) }).where('canvas_id', '=', id).where('version', '=', Number(updated.version)).execute();
      return true;
    },

    async insertCanvasVersion(workspaceId, id, definition, now, savedBy) {
      // The increment happens in the UPDATE, so two concurrent edits get two different versions.
      const updated = await db
        .updateTable('canvases')
        .set((eb) => ({ version: eb('version', '+', 1), updated_at: now, ...mirrored(definition) }))
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', id)
        .returning('version')
        .executeTakeFirst();
      if (!updated) return null;
      const version = Number(updated.version);
      await db.insertInto('canvas_versions').values({ canvas_id: id, version, definition: JSON.stringify(definition), created_at: now, saved_by: savedBy ?? null }).execute();
      return version;
    },

    async listCanvasVersions(workspaceId, canvasId) {
      // `status = 'active'` matches the partial index entries_active_uq (canvas_id, profile_id), so the
      // count reads that canvas's live entries only, however many have exited.
      const usersIn = db
        .selectFrom('entries')
        .select((eb) => ['version', eb.fn.countAll<number | string>().as('n')])
        .where('canvas_id', '=', canvasId)
        .where('workspace_id', '=', workspaceId)
        .where('status', '=', 'active')
        .groupBy('version')
        .as('u');
      const rows = await db
        .selectFrom('canvas_versions as v')
        .innerJoin('canvases as c', 'c.id', 'v.canvas_id')
        .leftJoin(usersIn, 'u.version', 'v.version')
        .select(['v.version', 'v.created_at', 'v.saved_by', 'u.n'])
        .where('c.workspace_id', '=', workspaceId)
        .where('v.canvas_id', '=', canvasId)
        .orderBy('v.version', 'desc')
        .execute();
      return rows.map((r) => ({ version: Number(r.version), savedAt: Number(r.created_at), savedBy: r.saved_by, usersIn: r.n === null ? 0 : Number(r.n) }));
    },

    async setCanvasStatus(workspaceId, id, { from, to, launchedAt }, now) {
      if (from.length === 0) return false;
      const r = await db
        .updateTable('canvases')
        .set({ status: to, updated_at: now, ...(launchedAt === undefined ? {} : { launched_at: launchedAt }) })
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', id)
        .where('status', 'in', [...from])
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },

    async deleteCanvas(workspaceId, id, { from }) {
      if (from.length === 0) return false;
      const r = await db.deleteFrom('canvases').where('workspace_id', '=', workspaceId).where('id', '=', id).where('status', 'in', [...from]).executeTakeFirst();
      if (Number(r.numDeletedRows) !== 1) return false;
      await db.deleteFrom('canvas_versions').where('canvas_id', '=', id).execute();
      return true;
    },

    async getCanvasVersion(workspaceId, canvasId, version) {
      const [found] = await getCanvasVersions(workspaceId, [{ canvasId, version }]);
      return found ?? null;
    },

    getCanvasVersions,

    async listActiveCanvasesByEntryEvent(workspaceId, eventNames) {
      const out: CanvasRecord[] = [];
      for (const part of chunks([...new Set(eventNames)])) {
        const rows = await latest()
          .where('c.workspace_id', '=', workspaceId)
          .where('c.status', '=', 'active')
          .where('c.entry_type', '=', 'event')
          .where('c.entry_event', 'in', part)
          .orderBy('c.created_at')
          .execute();
        out.push(...rows.map(toCanvas));
      }
      return out;
    },

    async listCanvasLaunchJobs(workspaceId, canvasId) {
      const rows = await db
        .selectFrom('launch_jobs')
        .select(['id', 'version', 'run_at', 'status', 'cursor', 'entered'])
        .where('workspace_id', '=', workspaceId)
        .where('canvas_id', '=', canvasId)
        .orderBy('id')
        .execute();
      return rows.map(
        (r): CanvasLaunchJob => ({ id: Number(r.id), version: Number(r.version), runAt: Number(r.run_at), status: r.status, cursor: Number(r.cursor), entered: Number(r.entered) }),
      );
    },

    async cancelUnstartedLaunchJobs(workspaceId, canvasId, now) {
      const r = await db
        .updateTable('launch_jobs')
        .set({ status: 'cancelled', lease_id: null, lease_expires_at: null })
        .where('workspace_id', '=', workspaceId)
        .where('canvas_id', '=', canvasId)
        .where('status', '=', 'pending')
        .where('cursor', '=', 0)
        .where('entered', '=', 0)
        .where((eb) => eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<', now)]))
        .executeTakeFirst();
      return Number(r.numUpdatedRows);
    },
  };
}

/** The columns that mirror the definition: the name and the latest version's entry and exit rules. */
function mirrored(d: CanvasDefinition): Pick<CanvasesTable, 'name' | 'entry_type' | 'entry_event' | 'exit_events'> {
  return { name: d.name, entry_type: d.entry.type, entry_event: d.entry.type === 'event' ? (d.entry.event ?? null) : null, exit_events: JSON.stringify(d.exit.events) };
}

function uniqueRefs(refs: readonly CanvasVersionRef[]): CanvasVersionRef[] {
  const seen = new Map<string, CanvasVersionRef>();
  for (const r of refs) seen.set(`${r.canvasId}@${r.version}`, r);
  return [...seen.values()];
}

function toCanvas(r: CanvasRow): CanvasRecord {
  return {
    id: r.id,
    workspaceId: r.workspace_id,
    status: r.status as CanvasStatus,
    version: Number(r.version),
    // Written by this module from a definition that CanvasSchema produced (engine/canvas-service.ts).
    definition: JSON.parse(r.definition) as CanvasDefinition,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    launchedAt: r.launched_at === null ? null : Number(r.launched_at),
  };
}
