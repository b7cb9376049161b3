import { CompiledQuery, sql, type Kysely, type RawBuilder } from 'kysely';
import type { Dialect } from '../migrations.ts';
import type { DB } from '../schema.ts';

/** What every query module receives: a connection or a transaction, and the dialect for the few switches. */
export interface QueryContext {
  db: Kysely<DB>;
  dialect: Dialect;
}

/**
 * Rows per multi-row statement. SQLite allows 32,766 bound parameters and Postgres 65,535; 500 rows
 * of up to ~25 columns stays under both.
 */
export const ROWS_PER_STATEMENT = 500;

export function chunks<T>(items: readonly T[], size = ROWS_PER_STATEMENT): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export const parseJsonObject = <T = Record<string, unknown>>(text: string | null): T => (text ? (JSON.parse(text) as T) : ({} as T));

/**
 * A multi-row INSERT written without the query builder, for the hot paths (a launch inserts two rows
 * per user): Kysely's per-value parsing and compiling was ~8% of the CPU of a 1M-user launch, and
 * the SQL text here is built once per shape, so SQLite's statement cache (connect.ts) reuses it.
 * `values(row, params)` pushes a row's values in `columns` order (straight into the statement's
 * parameters: no array per row); `tail` follows the VALUES list (ON CONFLICT, RETURNING).
 */
export async function insertRows<T, R = unknown>(ctx: QueryContext, table: string, columns: readonly string[], rows: readonly T[], values: (row: T, params: unknown[]) => void, tail = ''): Promise<R[]> {
  const out: R[] = [];
  // Under SQLite's 32,766 bound parameters; 1,000 rows keeps each statement's text (and its cache entry) modest.
  const perStatement = Math.max(1, Math.min(1_000, Math.floor(30_000 / columns.length)));
  for (let i = 0; i < rows.length; i += perStatement) {
    const end = Math.min(rows.length, i + perStatement);
    const params: unknown[] = [];
    for (let k = i; k < end; k++) values(rows[k]!, params);
    const result = await ctx.db.executeQuery<R>(CompiledQuery.raw(insertSql(ctx.dialect, table, columns, end - i, tail), params));
    for (const r of result.rows) out.push(r);
  }
  return out;
}

const insertSqlCache = new Map<string, string>();

function insertSql(dialect: Dialect, table: string, columns: readonly string[], rowCount: number, tail: string): string {
  const key = `${dialect}|${table}|${columns.join(',')}|${rowCount}|${tail}`;
  let text = insertSqlCache.get(key);
  if (text === undefined) {
    const tuples: string[] = [];
    let n = 0;
    for (let r = 0; r < rowCount; r++) tuples.push(`(${columns.map(() => (dialect === 'postgres' ? `$${++n}` : '?')).join(',')})`);
    text = `insert into ${table} (${columns.join(', ')}) values ${tuples.join(',')}${tail ? ` ${tail}` : ''}`;
    if (insertSqlCache.size > 256) insertSqlCache.clear();
    insertSqlCache.set(key, text);
  }
  return text;
}

/** `column` in a list of ids of any length, as one bound parameter (SQLite: json_each; PostgreSQL: an array). */
export function inIds(dialect: Dialect, column: 'id' | 'profile_id', ids: readonly number[]): RawBuilder<unknown> {
  return dialect === 'postgres' ? sql`${sql.ref(column)} = any(${[...ids]}::bigint[])` : sql`${sql.ref(column)} in (select value from json_each(${JSON.stringify(ids)}))`;
}

/** Marks a SELECT whose rows come back as arrays in column order (see `selectRows`; connect.ts). */
export const ROWS_AS_ARRAYS = '/* rows as arrays */ ';

/**
 * A SELECT of `columns` whose rows are read as arrays, for the two reads a launch makes per user
 * (its profiles, then its sync items): better-sqlite3's raw mode skips building an object per row,
 * which halved the read time of 10,000 rows. PostgreSQL answers objects; they are turned into arrays
 * here, so callers read `row[i]` on both.
 */
export async function selectRows(ctx: QueryContext, columns: readonly string[], rest: RawBuilder<unknown>): Promise<unknown[][]> {
  const { rows } = await sql<unknown>`${sql.raw(ROWS_AS_ARRAYS)}select ${sql.raw(columns.join(', '))} ${rest}`.execute(ctx.db);
  if (ctx.dialect === 'sqlite') return rows as unknown[][];
  return (rows as Record<string, unknown>[]).map((r) => columns.map((c) => r[c]));
}
