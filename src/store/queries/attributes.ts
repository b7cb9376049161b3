import { sql } from 'kysely';
import type { AttributeQueries, CustomAttribute, JsonType } from '../attribute-port.ts';
import type { QueryContext } from './context.ts';

/** SQLite's json_each types and PostgreSQL's jsonb_typeof answers, as JSON types. */
const TYPE_OF: Readonly<Record<string, JsonType>> = {
  text: 'string',
  string: 'string',
  integer: 'number',
  real: 'number',
  number: 'number',
  true: 'boolean',
  false: 'boolean',
  boolean: 'boolean',
  array: 'array',
  object: 'object',
  null: 'null',
};

/**
 * The stored text may escape NUL or a lone surrogate (JSON allows both; the store keeps what was tracked),
 * which PostgreSQL's json types refuse to read, failing the whole statement. Only names and types are
 * wanted here, so such escapes become U+FFFD before parsing. A surrogate pair (an emoji) is left alone.
 */
const UNPARSABLE_ESCAPES = String.raw`\\u0000|\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}`;
/** `\ufffd` as regexp_replace writes it (a backslash is doubled in its replacement). */
const REPLACEMENT_ESCAPE = String.raw`\\ufffd`;

export function attributeQueries({ db, dialect }: QueryContext): AttributeQueries {
  return {
    async listCustomAttributes(workspaceId, sample, limit) {
      // The newest profiles by id: PostgreSQL walks profiles_workspace_id_idx (workspace_id, id) backwards;
      // SQLite walks the primary key backwards (the unary plus keeps the planner off the
      // (workspace_id, external_id) index, which would sort the whole workspace). Either stops after `sample`.
      const { rows } =
        dialect === 'postgres'
          ? await sql<{ name: string; type: string; n: number }>`
              select e.key as name, jsonb_typeof(e.value) as type, count(*)::int as n
              from (select custom from profiles where workspace_id = ${workspaceId} order by id desc limit ${sample}) p
              cross join lateral jsonb_each(regexp_replace(p.custom, ${UNPARSABLE_ESCAPES}, ${REPLACEMENT_ESCAPE}, 'g')::jsonb) e
              group by e.key, jsonb_typeof(e.value)`.execute(db)
          : await sql<{ name: string; type: string; n: number }>`
              select j.key as name, j.type as type, count(*) as n
              from (select custom from profiles where +workspace_id = ${workspaceId} order by id desc limit ${sample}) p, json_each(p.custom) j
              group by j.key, j.type`.execute(db);
      // SQLite counts true and false apart: add up per JSON type, then keep each name's commonest type.
      const counts = new Map<string, Map<JsonType, number>>();
      for (const row of rows) {
        const type = TYPE_OF[row.type] ?? 'string';
        const byType = counts.get(row.name) ?? new Map<JsonType, number>();
        byType.set(type, (byType.get(type) ?? 0) + Number(row.n));
        counts.set(row.name, byType);
      }
      const best = new Map<string, { type: JsonType }>();
      for (const [name, byType] of counts) {
        const ranked = [...byType].sort(([ta, a], [tb, b]) => (ta === 'null' ? 1 : 0) - (tb === 'null' ? 1 : 0) || b - a);
        best.set(name, { type: ranked[0]![0] });
      }
      const names = [...best.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).slice(0, limit);
      return names.map((name): CustomAttribute => ({ name, type: best.get(name)!.type }));
    },
  };
}
