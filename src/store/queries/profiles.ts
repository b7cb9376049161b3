import { sql, type Selectable } from 'kysely';
import type { Json, Profile, ProfilePatch, ProfileQueries } from '../port.ts';
import type { ProfilesTable } from '../schema.ts';
import { chunks, insertUnnest, parseJsonObject, pgArray, Same, selectRows, type QueryContext, type UnnestColumn } from './context.ts';

type Row = Selectable<ProfilesTable>;
type NewRow = Omit<Row, 'id'>;

/** What a launch reads of each profile (its workspace is the one it asked for). */
/** What an upsert of an existing user writes (all but its identity and creation time). */
const UPDATED_COLUMNS = ['email', 'phone', 'first_name', 'last_name', 'country', 'language', 'idfa', 'gaid', 'ads_tracking_enabled', 'custom', 'updated_at'] as const;

/** A profile row's columns for `insertUnnest`, one array each (the workspace bound once). */
function unnestColumns(workspaceId: string, rows: readonly NewRow[]): UnnestColumn[] {
  const text = (pick: (r: NewRow) => string | null): readonly (string | null)[] => rows.map(pick);
  return [
    ['workspace_id', 'text', new Same(workspaceId)],
    ['external_id', 'text', text((r) => r.external_id)],
    ['email', 'text', text((r) => r.email)],
    ['phone', 'text', text((r) => r.phone)],
    ['first_name', 'text', text((r) => r.first_name)],
    ['last_name', 'text', text((r) => r.last_name)],
    ['country', 'text', text((r) => r.country)],
    ['language', 'text', text((r) => r.language)],
    ['idfa', 'text', text((r) => r.idfa)],
    ['gaid', 'text', text((r) => r.gaid)],
    ['ads_tracking_enabled', 'integer', rows.map((r) => r.ads_tracking_enabled)],
    ['custom', 'text', text((r) => r.custom)],
    ['created_at', 'bigint', rows.map((r) => r.created_at)],
    ['updated_at', 'bigint', rows.map((r) => r.updated_at)],
  ];
}

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
      // One probe of the unique index per id, as a LATERAL subquery that `limit 1` keeps from being
      // pulled up into a join. As a join with the ids unnested, the planner hashed the whole
      // workspace: ~1 s a batch at 1M profiles (bench ingest: 84 such statements, 76 s).
      // Postgres READ COMMITTED: lock the rows we merge into, so two concurrent tracks of one user both land.
      const { rows } = await sql<Row>`
        select p.* from unnest(${pgArray(externalIds)}::text[]) as x(external_id)
        cross join lateral (select * from profiles where workspace_id = ${workspaceId} and external_id = x.external_id limit 1${forUpdate ? sql` for update` : sql``}) p`.execute(db);
      for (const row of rows) found.set(row.external_id, row);
      return found;
    }
    for (const part of chunks(externalIds)) {
      const rows = await db.selectFrom('profiles').selectAll().where('workspace_id', '=', workspaceId).where('external_id', 'in', part).execute();
      for (const row of rows) found.set(row.external_id, row);
    }
    return found;
  }

  /** Merges each user's patches, in order, onto their row (`base`; absent: a new, empty profile). */
  function mergeAll(workspaceId: string, patches: readonly ProfilePatch[], base: (externalId: string) => Row | undefined, now: number): Map<string, NewRow> {
    const merged = new Map<string, NewRow>();
    for (const patch of patches) {
      const from = merged.get(patch.externalId) ?? fromExisting(base(patch.externalId)) ?? emptyRow(workspaceId, patch.externalId, now);
      merged.set(patch.externalId, applyPatch(from, patch, now));
    }
    return merged;
  }

  /**
   * PostgreSQL: new users in one statement (`insert … from unnest … on conflict do nothing`); only
   * the users that already existed are then locked, merged and written back, one statement each way.
   * A user created meanwhile by another transaction makes the insert wait for it, then conflict: they
   * are merged like any existing user, so neither transaction's attributes are lost.
   */
  async function upsertPostgres(workspaceId: string, patches: readonly ProfilePatch[], now: number): Promise<Profile[]> {
    const asNew = mergeAll(workspaceId, patches, () => undefined, now);
    const byId = new Map<string, Profile>();
    for (const row of await insertUnnest<Row>(ctx, 'profiles', unnestColumns(workspaceId, [...asNew.values()]), asNew.size, 'on conflict (workspace_id, external_id) do nothing returning *')) byId.set(row.external_id, toProfile(row));
    const existed = [...asNew.keys()].filter((id) => !byId.has(id));
    if (existed.length > 0) {
      const locked = await existingByExternalId(workspaceId, existed, true);
      const again = new Set(existed);
      const merged = [...mergeAll(workspaceId, patches.filter((p) => again.has(p.externalId)), (id) => locked.get(id), now).values()];
      const written = await insertUnnest<Row>(ctx, 'profiles', unnestColumns(workspaceId, merged), merged.length, `on conflict (workspace_id, external_id) do update set ${UPDATED_COLUMNS.map((c) => `${c} = excluded.${c}`).join(', ')} returning *`);
      for (const row of written) byId.set(row.external_id, toProfile(row));
    }
    // In the order the users first appear in the patches.
    return [...asNew.keys()].flatMap((id) => byId.get(id) ?? []);
  }

  const below = (upTo: number | null) => (upTo === null ? sql`` : sql` and id <= ${upTo}`);

  return {
    async upsertProfiles(workspaceId, patches, now) {
      if (patches.length === 0) return [];
      if (dialect === 'postgres') return upsertPostgres(workspaceId, patches, now);
      const ids = [...new Set(patches.map((p) => p.externalId))];
      const existing = await existingByExternalId(workspaceId, ids, true);
      const rows = [...mergeAll(workspaceId, patches, (id) => existing.get(id), now).values()];
      const out: Profile[] = [];
      for (const part of chunks(rows)) {
        const written = await db
          .insertInto('profiles')
          .values(part)
          .onConflict((oc) => oc.columns(['workspace_id', 'external_id']).doUpdateSet(Object.fromEntries(UPDATED_COLUMNS.map((c) => [c, sql.ref(`excluded.${c}`)]))))
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
      if (dialect === 'postgres') {
        // One primary-key probe per id, whatever the statistics say (see existingByExternalId).
        const { rows } = await sql<Row>`
          select p.* from unnest(${pgArray(ids)}::bigint[]) as x(id)
          cross join lateral (select * from profiles where id = x.id and workspace_id = ${workspaceId} limit 1) p`.execute(db);
        return rows.map(toProfile);
      }
      for (const part of chunks(ids)) {
        const rows = await db.selectFrom('profiles').selectAll().where(byIdFirst, '=', workspaceId).where('id', 'in', part).execute();
        for (const row of rows) out.push(toProfile(row));
      }
      return out;
    },
    async listProfilesAfter(workspaceId, afterId, limit, upTo = null) {
      // A launch reads every profile once, 10,000 at a time: rows as arrays (context.ts selectRows).
      const rows = await selectRows(ctx, PROFILE_COLUMNS, sql`from profiles where ${byIdFirst} = ${workspaceId} and id > ${afterId}${below(upTo)} order by id limit ${limit}`);
      return rows.map((r) => profileFromArray(r, workspaceId));
    },
    async listIdentifierRowsAfter(workspaceId, afterId, limit, upTo = null) {
      // Two values, whatever the number of profiles: the database writes the JSON (core/identifier-rows.ts).
      const chunk = sql`(select id, ${dialect === 'postgres' ? sql`external_id, ` : sql``}email, phone, idfa, gaid, country from profiles where ${byIdFirst} = ${workspaceId} and id > ${afterId}${below(upTo)} order by id limit ${limit}) c`;
      const { rows } = await (dialect === 'sqlite'
        ? sql<{ ids: string; rows: string; external_ids?: string }>`select json_group_array(id order by id) as ids, json_group_array(json_array(email, phone, idfa, gaid, country) order by id) as rows from ${chunk}`
        : sql<{ ids: string; rows: string; external_ids: string }>`select coalesce(json_agg(id order by id), '[]')::text as ids, coalesce(json_agg(json_build_array(email, phone, idfa, gaid, country) order by id), '[]')::text as rows, coalesce(json_agg(external_id order by id), '[]')::text as external_ids from ${chunk}`
      ).execute(db);
      const r = rows[0]!;
      return { ids: JSON.parse(r.ids) as number[], rows: r.rows, ...(r.external_ids !== undefined ? { externalIds: JSON.parse(r.external_ids) as string[] } : {}) };
    },
    async profileSpan(workspaceId) {
      // Two index probes; a count(*) read the whole workspace (PostgreSQL, 1M profiles: 0.5 s before a launch began).
      const r = await db.selectFrom('profiles').select((eb) => [eb.fn.min('id').as('min'), eb.fn.max('id').as('max')]).where('workspace_id', '=', workspaceId).executeTakeFirst();
      return r && r.min !== null && r.max !== null ? { min: Number(r.min), max: Number(r.max) } : null;
    },
    async insertEvents(workspaceId, events, now) {
      for (const part of chunks(events)) {
        await db
          .insertInto('events')
          .values(part.map((e) => ({ workspace_id: workspaceId, external_id: e.externalId, name: e.name, time: e.time, properties: JSON.stringify(e.properties), received_at: now })))
          .execute();
      }
    },
    async listEventNames(workspaceId, limit) {
      // A loose index scan on events_name_idx (migration 0017): each step is one probe for the next
      // name after the last, so the work is `limit` probes whatever the number of events. PostgreSQL
      // (before 18) and SQLite would otherwise read every index entry for a DISTINCT.
      const { rows } = await sql<{ name: string }>`
        with recursive names(name, n) as (
          select (select min(name) from events where workspace_id = ${workspaceId}), 1
          union all
          select (select min(e.name) from events e where e.workspace_id = ${workspaceId} and e.name > names.name), names.n + 1
          from names where names.name is not null and names.n < ${Math.max(0, Math.floor(limit))}
        )
        select name from names where name is not null`.execute(db);
      return rows.map((r) => r.name);
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
