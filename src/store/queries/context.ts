import { CompiledQuery, sql, type Kysely, type QueryResult, type RawBuilder } from 'kysely';
import type { Dialect } from '../migrations.ts';
import type { CopyOut } from '../pg-copy.ts';
import type { DB } from '../schema.ts';

/** What every query module receives: a connection or a transaction, and the dialect for the few switches. */
export interface QueryContext {
  db: Kysely<DB>;
  dialect: Dialect;
  /** PostgreSQL, outside a transaction: binary COPY out (pg-copy.ts), for reads of large bytea values. */
  copyOut?: CopyOut;
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
 *
 * A column whose value is the same in every row of a statement (a launch's workspace, canvas, step,
 * status, times…) is bound once and referenced from every row: binding is most of an INSERT's cost
 * in better-sqlite3 (standalone, 1M entries + sync items: 4.4 → 2.5 s).
 */
export async function insertRows<T, R = unknown>(ctx: QueryContext, table: string, columns: readonly string[], rows: readonly T[], values: (row: T, params: unknown[]) => void, tail = ''): Promise<R[]> {
  const out: R[] = [];
  await eachInsertStatement<T, R>(ctx, table, columns, rows, values, tail, (_from, _to, result) => {
    for (const r of result.rows) out.push(r);
  });
  return out;
}

/**
 * `insertRows` answering, for each row inserted, its id and its `key` column (a row may be skipped by
 * an ON CONFLICT … DO NOTHING in `tail`), in row order. Needs a write transaction.
 * PostgreSQL: RETURNING. SQLite: no RETURNING, which made SQLite buffer every row and better-sqlite3
 * build an object per row — half of the insert's cost (standalone, 300,000 entries: 1.15 → 0.58 s).
 * In the write transaction no one else inserts, so a statement's rows got the ids above the table's
 * largest id before it: when those are exactly as many as the statement's rows, they are the rows' ids
 * in order; otherwise (rows skipped) the few statements concerned read theirs back.
 */
export async function insertRowsReturningIds<T, R>(ctx: QueryContext, table: string, columns: readonly string[], rows: readonly T[], values: (row: T, params: unknown[]) => void, tail: string, key: { column: string; of: (row: T) => number; answer: (id: number, key: number) => R }): Promise<R[]> {
  if (ctx.dialect === 'postgres') {
    const returned = await insertRows<T, { id: number; key: number }>(ctx, table, columns, rows, values, `${tail} returning id, ${key.column} as key`);
    return returned.map((r) => key.answer(Number(r.id), Number(r.key)));
  }
  let before = await largestId(ctx, table);
  // Per statement, its rows' answers, or the id range to read back (it skipped rows).
  const parts: (R[] | { above: number; upTo: number })[] = [];
  await eachInsertStatement(ctx, table, columns, rows, values, tail, (from, to, result) => {
    const last = result.insertId === undefined ? before : Number(result.insertId);
    const changed = Number(result.numAffectedRows ?? 0);
    if (changed === 0) return;
    if (changed === to - from && last - before === changed) {
      const answers: R[] = [];
      for (let k = from, id = before + 1; k < to; k++, id++) answers.push(key.answer(id, key.of(rows[k]!)));
      parts.push(answers);
    } else parts.push({ above: before, upTo: last });
    before = last;
  });
  const out: R[] = [];
  for (const part of parts) {
    const answers = Array.isArray(part)
      ? part
      : (await rowsInIdRange(ctx, table, key.column, part.above, part.upTo)).map((x) => key.answer(x.id, x.key));
    for (const a of answers) out.push(a);
  }
  return out;
}

/** The table's largest id (0 when empty): in a write transaction, the next insert's rows get the ids above it, in order. */
export async function largestId(ctx: QueryContext, table: string): Promise<number> {
  return Number((await sql<{ top: number | null }>`select max(id) as top from ${sql.table(table)}`.execute(ctx.db)).rows[0]?.top ?? 0);
}

/** (id, `keyColumn`) of the rows with `above` < id ≤ `upTo`, in id order: the ids an insert gave, read back. */
export async function rowsInIdRange(ctx: QueryContext, table: string, keyColumn: string, above: number, upTo: number): Promise<{ id: number; key: number }[]> {
  const { rows } = await sql<{ id: number; key: number }>`select id, ${sql.ref(keyColumn)} as key from ${sql.table(table)} where id > ${above} and id <= ${upTo} order by id`.execute(ctx.db);
  return rows.map((x) => ({ id: Number(x.id), key: Number(x.key) }));
}

/** Runs `rows` as multi-row INSERTs, calling `each(from, to, result)` per statement (rows from..to-1). */
async function eachInsertStatement<T, R = unknown>(ctx: QueryContext, table: string, columns: readonly string[], rows: readonly T[], values: (row: T, params: unknown[]) => void, tail: string, each: (from: number, to: number, result: QueryResult<R>) => void): Promise<void> {
  const width = columns.length;
  // Under SQLite's 32,766 bound parameters; 1,000 rows keeps each statement's text (and its cache entry) modest.
  const perStatement = Math.max(1, Math.min(1_000, Math.floor(30_000 / width)));
  for (let i = 0; i < rows.length; i += perStatement) {
    const end = Math.min(rows.length, i + perStatement);
    const params: unknown[] = [];
    for (let k = i; k < end; k++) values(rows[k]!, params);
    const shared = sharedColumns(params, width);
    const bound = shared ? hoistShared(ctx.dialect, params, width, shared) : params;
    each(i, end, await ctx.db.executeQuery<R>(CompiledQuery.raw(insertSql(ctx.dialect, table, columns, end - i, tail, shared), bound)));
  }
}

/** Which columns hold one value in every row of `params` (rows of `width`), or null when none do. */
function sharedColumns(params: readonly unknown[], width: number): boolean[] | null {
  if (params.length <= width) return null;
  let any = false;
  const shared = new Array<boolean>(width);
  for (let c = 0; c < width; c++) {
    const first = params[c];
    let same = true;
    for (let k = c + width; k < params.length; k += width) {
      if (params[k] !== first) {
        same = false;
        break;
      }
    }
    shared[c] = same;
    any ||= same;
  }
  return any ? shared : null;
}

/**
 * The parameters of a statement with shared columns: PostgreSQL numbers them first ($1…), then each
 * row's own; SQLite binds them by name (`@cN`), passed last as `NamedParameters` (connect.ts).
 */
function hoistShared(dialect: Dialect, params: readonly unknown[], width: number, shared: readonly boolean[]): unknown[] {
  const own: unknown[] = [];
  for (let k = 0; k < params.length; k++) if (!shared[k % width]) own.push(params[k]);
  if (dialect === 'postgres') {
    const first: unknown[] = [];
    for (let c = 0; c < width; c++) if (shared[c]) first.push(params[c]);
    return [...first, ...own];
  }
  const named: Record<string, unknown> = {};
  for (let c = 0; c < width; c++) if (shared[c]) named[`c${c}`] = params[c];
  own.push(new NamedParameters(named));
  return own;
}

/**
 * Named values that follow a statement's positional ones (SQLite). Kysely hands a statement one
 * parameter array; the statement cache in connect.ts splits this off for better-sqlite3.
 */
export class NamedParameters {
  constructor(readonly values: Record<string, unknown>) {}
}

/** Marks SQL whose last parameter is a `NamedParameters` (connect.ts). */
export const NAMED_PARAMETERS_LAST = '/* named parameters last */ ';

const insertSqlCache = new Map<string, string>();

function insertSql(dialect: Dialect, table: string, columns: readonly string[], rowCount: number, tail: string, shared: readonly boolean[] | null): string {
  const key = `${dialect}|${table}|${columns.join(',')}|${rowCount}|${tail}|${shared?.map((s) => (s ? 1 : 0)).join('') ?? ''}`;
  let text = insertSqlCache.get(key);
  if (text === undefined) {
    const pg = dialect === 'postgres';
    let n = 0;
    const sharedRef: string[] = [];
    columns.forEach((_, c) => {
      if (shared?.[c]) sharedRef[c] = pg ? `$${++n}` : `@c${c}`;
    });
    const tuples: string[] = [];
    for (let r = 0; r < rowCount; r++) tuples.push(`(${columns.map((_, c) => sharedRef[c] ?? (pg ? `$${++n}` : '?')).join(',')})`);
    text = `${shared && !pg ? NAMED_PARAMETERS_LAST : ''}insert into ${table} (${columns.join(', ')}) values ${tuples.join(',')}${tail ? ` ${tail}` : ''}`;
    if (insertSqlCache.size > 256) insertSqlCache.clear();
    insertSqlCache.set(key, text);
  }
  return text;
}

/** `column` in a list of ids of any length, as one bound parameter (SQLite: json_each; PostgreSQL: an array). */
export function inIds(dialect: Dialect, column: string, ids: readonly number[]): RawBuilder<unknown> {
  return dialect === 'postgres' ? sql`${sql.ref(column)} = any(${pgArray(ids)}::bigint[])` : sql`${sql.ref(column)} in (select value from json_each(${JSON.stringify(ids)}))`;
}

const NEEDS_ESCAPE = /["\\]/;

/**
 * An array parameter for PostgreSQL (cast it: `$1::bigint[]`), written as its text literal here in one
 * pass: node-pg escapes each element with two regular expressions and a call per value, which was ~10%
 * of a worker's CPU on a 1M launch (its arrays are a chunk's 10,000 ids and external ids a statement).
 * Numbers, strings and nulls only; any other value leaves the array to node-pg.
 */
export function pgArray(values: readonly unknown[]): string | readonly unknown[] {
  let text = '{';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) text += ',';
    const v = values[i];
    if (v === null || v === undefined) text += 'NULL';
    else if (typeof v === 'number') text += String(v);
    // Inside double quotes only `"` and `\` are special (PostgreSQL, "Array Value Input").
    else if (typeof v === 'string') text += NEEDS_ESCAPE.test(v) ? `"${v.replace(/["\\]/g, '\\$&')}"` : `"${v}"`;
    else return values;
  }
  return `${text}}`;
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

/** A column of `insertUnnest`: its name, its PostgreSQL type, and each row's value, or one value for every row. */
export type UnnestColumn = readonly [name: string, pgType: string, values: readonly unknown[] | Same];

/** One value for every row of an `insertUnnest` (bound once, not per row). */
export class Same {
  constructor(readonly value: unknown) {}
}

/** Rows per `insertUnnest` statement: large enough that a launch chunk is one, small enough that its array texts stay a few MB. */
const ROWS_PER_UNNEST = 50_000;

/**
 * PostgreSQL only: `insert into table (…) select … from unnest($1::t[], $2::t[], …)`, one array
 * parameter per column, so the statement's text and its parameter count stay the same whatever the
 * number of rows (one round trip per 50,000 rows, parsed and planned as one small statement). The
 * multi-row VALUES form of `insertRows` is 14 parameters a row: 10,000 profiles were 20 statements of
 * 7,000 parameters, each parsed anew. `tail` follows (ON CONFLICT, RETURNING).
 */
export async function insertUnnest<R = unknown>(ctx: QueryContext, table: string, columns: readonly UnnestColumn[], rowCount: number, tail = ''): Promise<R[]> {
  if (ctx.dialect !== 'postgres') throw new Error('insertUnnest is PostgreSQL only');
  const out: R[] = [];
  for (let from = 0; from < rowCount; from += ROWS_PER_UNNEST) {
    const to = Math.min(rowCount, from + ROWS_PER_UNNEST);
    const params: unknown[] = [];
    const select: string[] = [];
    const arrays: string[] = [];
    for (const [name, type, values] of columns) {
      if (values instanceof Same) {
        params.push(values.value);
        select.push(`$${params.length}::${type}`);
      } else {
        params.push(pgArray(from === 0 && to === values.length ? values : values.slice(from, to)));
        arrays.push(`$${params.length}::${type}[]`);
        select.push(`x.${name}`);
      }
    }
    const names = columns.filter(([, , v]) => !(v instanceof Same)).map(([name]) => name);
    const text = `insert into ${table} (${columns.map(([name]) => name).join(', ')}) select ${select.join(', ')} from unnest(${arrays.join(', ')}) as x(${names.join(', ')})${tail ? ` ${tail}` : ''}`;
    const { rows } = await ctx.db.executeQuery<R>(CompiledQuery.raw(text, params));
    for (const r of rows) out.push(r);
  }
  return out;
}
