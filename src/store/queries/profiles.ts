import { sql, type Selectable } from 'kysely';
import type { Json, Profile, ProfilePatch, ProfileQueries } from '../port.ts';
import type { ProfilesTable } from '../schema.ts';
import { chunks, parseJsonObject, selectRows, type QueryContext } from './context.ts';

type Row = Selectable<ProfilesTable>;
type NewRow = Omit<Row, 'id'>;

/** What a launch reads of each profile (its workspace is the one it asked for). */
const PROFILE_COLUMNS = ['id', 'external_id', 'email', 'phone', 'first_name', 'last_name', 'country', 'language', 'idfa', 'gaid', 'ads_tracking_enabled', 'custom', 'created_at', 'updated_at'] as const;

export function profileQueries(ctx: QueryContext): ProfileQueries {
  const { db, dialect } = ctx;
  // Lookups by id must walk the primary key. Given `workspace_id = ?`, SQLite's planner picks the
  // (workspace_id, external_id) index instead and scans the whole workspace per query (measured:
  // 11 ms per 500 ids at 100k profiles); a unary plus hides that column from the planner.
  const byIdFirst = dialect === 'sqlite' ? sql<string>`+workspace_id` : sql<string>`workspace_id`;
  async function existingByExternalId(workspaceId: string, externalIds: readonly string[], forUpdate: boolean): Promise<Map<string, Row>> {
    const found = new Map<string, Row>();
    if (dialect === 'postgres') {
      // A join with the ids unnested: one probe of the unique index per id, whatever the planner's
      // statistics say. With `external_id in (…)` and statistics older than the table (a bulk import
      // outruns autoanalyze; with autovacuum off they never come) PostgreSQL scanned the whole
      // workspace for every 500 ids: 600,000 profiles upserted at 7,900/s and slowing as they grew.
      // Postgres READ COMMITTED: lock the rows we merge into, so two concurrent tracks of one user both land.
      const { rows } = await sql<Row>`
        select p.* from unnest(${[...externalIds]}::text[]) as x(external_id)
        join profiles p on p.workspace_id = ${workspaceId} and p.external_id = x.external_id${forUpdate ? sql` for update of p` : sql``}`.execute(db);
      for (const row of rows) found.set(row.external_id, row);
      return found;
    }
    for (const part of chunks(externalIds)) {
      const rows = await db.selectFrom('profiles').selectAll().where('workspace_id', '=', workspaceId).where('external_id', 'in', part).execute();
      for (const row of rows) found.set(row.external_id, row);
    }
    return found;
  }

  return {
    async upsertProfiles(workspaceId, patches, now) {
      if (patches.length === 0) return [];
      const merged = new Map<string, NewRow>();
      const ids = [...new Set(patches.map((p) => p.externalId))];
      if (dialect === 'postgres') {
        // FOR UPDATE cannot lock a row that does not exist yet: two transactions creating the same
        // user would both merge into an empty row and the later one would drop the earlier's
        // attributes. Creating the rows first makes the second wait on the unique index, then lock.
        for (const part of chunks(ids)) {
          await db.insertInto('profiles').values(part.map((id) => emptyRow(workspaceId, id, now))).onConflict((oc) => oc.columns(['workspace_id', 'external_id']).doNothing()).execute();
        }
      }
      const existing = await existingByExternalId(workspaceId, ids, true);
      for (const patch of patches) {
        const base = merged.get(patch.externalId) ?? fromExisting(existing.get(patch.externalId)) ?? emptyRow(workspaceId, patch.externalId, now);
        merged.set(patch.externalId, applyPatch(base, patch, now));
      }
      const rows = [...merged.values()];
      const out: Profile[] = [];
      for (const part of chunks(rows)) {
        const written = await db
          .insertInto('profiles')
          .values(part)
          .onConflict((oc) =>
            oc.columns(['workspace_id', 'external_id']).doUpdateSet((eb) => ({
              email: eb.ref('excluded.email'),
              phone: eb.ref('excluded.phone'),
              first_name: eb.ref('excluded.first_name'),
              last_name: eb.ref('excluded.last_name'),
              country: eb.ref('excluded.country'),
              language: eb.ref('excluded.language'),
              idfa: eb.ref('excluded.idfa'),
              gaid: eb.ref('excluded.gaid'),
              ads_tracking_enabled: eb.ref('excluded.ads_tracking_enabled'),
              custom: eb.ref('excluded.custom'),
              updated_at: eb.ref('excluded.updated_at'),
            })),
          )
          .returningAll()
          .execute();
        for (const row of written) out.push(toProfile(row));
      }
      return out;
    },
    async getProfile(workspaceId, externalId) {
      const row = await db.selectFrom('profiles').selectAll().where('workspace_id', '=', workspaceId).where('external_id', '=', externalId).executeTakeFirst();
      return row ? toProfile(row) : null;
    },
    async getProfilesByExternalIds(workspaceId, externalIds) {
      return [...(await existingByExternalId(workspaceId, externalIds, false)).values()].map(toProfile);
    },
    async getProfilesByIds(workspaceId, ids) {
      const out: Profile[] = [];
      for (const part of chunks(ids)) {
        const rows = await db.selectFrom('profiles').selectAll().where(byIdFirst, '=', workspaceId).where('id', 'in', part).execute();
        for (const row of rows) out.push(toProfile(row));
      }
      return out;
    },
    async listProfilesAfter(workspaceId, afterId, limit) {
      // A launch reads every profile once, 10,000 at a time: rows as arrays (context.ts selectRows).
      const rows = await selectRows(ctx, PROFILE_COLUMNS, sql`from profiles where ${byIdFirst} = ${workspaceId} and id > ${afterId} order by id limit ${limit}`);
      return rows.map((r) => profileFromArray(r, workspaceId));
    },
    async listIdentifierRowsAfter(workspaceId, afterId, limit) {
      // Two values, whatever the number of profiles: the database writes the JSON (core/identifier-rows.ts).
      const chunk = sql`(select id, email, phone, idfa, gaid, country from profiles where ${byIdFirst} = ${workspaceId} and id > ${afterId} order by id limit ${limit}) c`;
      const { rows } = await (dialect === 'sqlite'
        ? sql<{ ids: string; rows: string }>`select json_group_array(id order by id) as ids, json_group_array(json_array(email, phone, idfa, gaid, country) order by id) as rows from ${chunk}`
        : sql<{ ids: string; rows: string }>`select coalesce(json_agg(id order by id), '[]')::text as ids, coalesce(json_agg(json_build_array(email, phone, idfa, gaid, country) order by id), '[]')::text as rows from ${chunk}`
      ).execute(db);
      return { ids: JSON.parse(rows[0]!.ids) as number[], rows: rows[0]!.rows };
    },
    async insertEvents(workspaceId, events, now) {
      for (const part of chunks(events)) {
        await db
          .insertInto('events')
          .values(part.map((e) => ({ workspace_id: workspaceId, external_id: e.externalId, name: e.name, time: e.time, properties: JSON.stringify(e.properties), received_at: now })))
          .execute();
      }
    },
  };
}

function emptyRow(workspaceId: string, externalId: string, now: number): NewRow {
  return {
    workspace_id: workspaceId,
    external_id: externalId,
    email: null,
    phone: null,
    first_name: null,
    last_name: null,
    country: null,
    language: null,
    idfa: null,
    gaid: null,
    ads_tracking_enabled: null,
    custom: '{}',
    created_at: now,
    updated_at: now,
  };
}

function fromExisting(row: Row | undefined): NewRow | undefined {
  if (!row) return undefined;
  const { id: _id, ...rest } = row;
  return rest;
}

function applyPatch(base: NewRow, patch: ProfilePatch, now: number): NewRow {
  const next: NewRow = { ...base, updated_at: now };
  for (const [key, value] of Object.entries(patch.standard)) {
    if (key === 'ads_tracking_enabled') next.ads_tracking_enabled = value === null || value === undefined ? null : value ? 1 : 0;
    else (next as unknown as Record<string, unknown>)[key] = value ?? null;
  }
  if (Object.keys(patch.custom).length > 0) {
    const custom = new Map(Object.entries(parseJsonObject<Record<string, Json>>(base.custom)));
    for (const [key, value] of Object.entries(patch.custom)) {
      if (value === null) custom.delete(key);
      else custom.set(key, value);
    }
    next.custom = JSON.stringify(Object.fromEntries(custom));
  }
  return next;
}

/** A row of PROFILE_COLUMNS read as an array, straight into a Profile (no row object between: a launch reads a million). */
function profileFromArray(r: readonly unknown[], workspaceId: string): Profile {
  return {
    id: Number(r[0]),
    workspaceId,
    externalId: r[1] as string,
    email: r[2] as string | null,
    phone: r[3] as string | null,
    first_name: r[4] as string | null,
    last_name: r[5] as string | null,
    country: r[6] as string | null,
    language: r[7] as string | null,
    idfa: r[8] as string | null,
    gaid: r[9] as string | null,
    ads_tracking_enabled: adsTracking(r[10] as number | null),
    custom: customOf(r[11] as string),
    createdAt: Number(r[12]),
    updatedAt: Number(r[13]),
  };
}

const adsTracking = (v: number | null): boolean | null => (v === null ? null : v === 1);
// Most profiles have no custom attributes: skip the parse for the empty object.
const customOf = (text: string): Record<string, Json> => (text === '{}' ? {} : parseJsonObject<Record<string, Json>>(text));

export function toProfile(r: Row): Profile {
  return {
    id: Number(r.id),
    workspaceId: r.workspace_id,
    externalId: r.external_id,
    email: r.email,
    phone: r.phone,
    first_name: r.first_name,
    last_name: r.last_name,
    country: r.country,
    language: r.language,
    idfa: r.idfa,
    gaid: r.gaid,
    ads_tracking_enabled: adsTracking(r.ads_tracking_enabled),
    custom: customOf(r.custom),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}
