/**
 * The database a bench runs on (spec §7). SQLite, the default: a fresh file in a temporary folder.
 * PostgreSQL (`--database postgres://…`): a fresh `cohort_bench_<random>` database created through the
 * server's `postgres` database and dropped at the end, when the URL names no database or one that does
 * not exist; or the EMPTY database the URL names, used and left with only the bench's tables dropped.
 * A database that holds anything is refused: the bench never runs over someone's data.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { CohortError } from '../core/errors.ts';
import { isPostgresUrl } from '../store/connect.ts';

export interface BenchDatabase {
  readonly kind: 'sqlite' | 'postgres';
  /** What the cohort processes get as `--database`. */
  readonly url: string;
  /** Printable: a path or a database name, never a password. */
  readonly label: string;
  /** The database's size on disk now, in bytes. */
  bytes(): Promise<number>;
  /** Where those bytes are, for the progress output (SQLite: the file and its WAL). */
  parts?(): string;
  /** Removes what the bench created; safe to call more than once (a failure and ctrl-C both call it). */
  dispose(): Promise<void>;
}

type Progress = (line: string) => void;

export async function openBenchDatabase(given: string | undefined, env: Record<string, string | undefined>, progress: Progress): Promise<BenchDatabase> {
  if (given === undefined) return freshSqlite();
  if (!isPostgresUrl(given)) throw new CohortError('bench_database_invalid', `--database takes a postgres://… URL (without it the bench uses a fresh SQLite file); got ${JSON.stringify(redact(given))}`);
  return openPostgres(given, env, progress);
}

function freshSqlite(): BenchDatabase {
  const dir = mkdtempSync(join(tmpdir(), 'cohort-bench-'));
  const path = join(dir, 'cohort.db');
  const size = (p: string) => {
    try {
      return statSync(p).size;
    } catch {
      return 0; // no WAL or shared-memory file (yet)
    }
  };
  return {
    kind: 'sqlite',
    url: path,
    label: path,
    bytes: async () => size(path) + size(`${path}-wal`) + size(`${path}-shm`),
    parts: () => `file ${size(path)} B, WAL ${size(`${path}-wal`)} B, shared memory ${size(`${path}-shm`)} B`,
    dispose: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

async function openPostgres(given: string, env: Record<string, string | undefined>, progress: Progress): Promise<BenchDatabase> {
  const server = new URL(given);
  // libpq's default user is the OS user; node-postgres has none when USER is unset (as under some
  // service managers), so the URL the processes get names it.
  if (!server.username) server.username = env.PGUSER ?? env.USER ?? userInfo().username;
  const named = decodeURIComponent(server.pathname.replace(/^\//, ''));
  const withDatabase = (name: string) => {
    const u = new URL(server);
    u.pathname = `/${encodeURIComponent(name)}`;
    return u.toString();
  };
  // The named database's relations, or null when it does not exist (asked of it directly: the user
  // may reach it without reaching the server's `postgres` database).
  const found = named === '' ? null : await withClient(withDatabase(named), userRelations, { missing: null });
  if (found !== null) {
    const url = withDatabase(named);
    if (found.length > 0) {
      const shown = found.slice(0, 5).join(', ') + (found.length > 5 ? ', …' : '');
      throw new CohortError(
        'bench_database_not_empty',
        `database "${named}" is not empty (${found.length} tables or other relations: ${shown}); the bench runs only on an empty database, never over data — name an empty one, or give a URL without a database (postgres://host:port/) and it creates and drops its own`,
      );
    }
    progress(`using the empty database "${named}"; at the end the bench drops the tables it created there and leaves the database`);
    return {
      kind: 'postgres',
      url,
      label: `"${named}" (PostgreSQL, empty, kept)`,
      bytes: () => databaseSize(url),
      dispose: once(async () => {
        const created = await withClient(url, userRelations);
        if (created.length === 0) return;
        progress(`dropping the ${created.length} relations the bench created in "${named}": ${created.join(', ')}`);
        // Tables first (CASCADE takes their owned sequences and indexes); anything left after that, by kind.
        await withClient(url, async (c) => {
          for (const kinds of [['r', 'p', 'f'], ['v', 'm', 'S']]) {
            const rows = (await c.query<{ nspname: string; relname: string; relkind: string }>(`${RELATIONS} AND c.relkind = ANY($1)`, [kinds])).rows;
            for (const r of rows) await c.query(`DROP ${DROP_KIND[r.relkind]} IF EXISTS ${ident(r.nspname)}.${ident(r.relname)} CASCADE`);
          }
        });
      }),
    };
  }

  const name = `cohort_bench_${randomBytes(5).toString('hex')}`;
  const admin = withDatabase('postgres');
  await withClient(admin, (c) => c.query(`CREATE DATABASE ${name}`));
  progress(`${named ? `there is no database "${named}": ` : ''}created the fresh database "${name}"; the bench drops it at the end`);
  const url = withDatabase(name);
  return {
    kind: 'postgres',
    url,
    label: `"${name}" (PostgreSQL, fresh)`,
    bytes: () => databaseSize(url),
    dispose: once(async () => {
      await withClient(admin, async (c) => {
        // Sessions of processes that just stopped may still be closing; give them a moment before FORCE.
        for (let i = 0; i < 40; i++) {
          const { rows } = await c.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1', [name]);
          if (rows[0]?.n === 0) break;
          await new Promise((r) => setTimeout(r, 50));
        }
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      });
      progress(`dropped the database "${name}"`);
    }),
  };
}

/** Relations outside PostgreSQL's own schemas; the query names them schema-qualified. */
const RELATIONS = `SELECT n.nspname, c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'`;
const DROP_KIND: Record<string, string> = { r: 'TABLE', p: 'TABLE', f: 'FOREIGN TABLE', v: 'VIEW', m: 'MATERIALIZED VIEW', S: 'SEQUENCE' };

async function userRelations(c: pg.Client): Promise<string[]> {
  const { rows } = await c.query<{ nspname: string; relname: string }>(`${RELATIONS} AND c.relkind = ANY($1) ORDER BY 1, 2`, [Object.keys(DROP_KIND)]);
  return rows.map((r) => (r.nspname === 'public' ? r.relname : `${r.nspname}.${r.relname}`));
}

async function databaseSize(url: string): Promise<number> {
  return withClient(url, async (c) => Number((await c.query<{ bytes: string }>('SELECT pg_database_size(current_database()) AS bytes')).rows[0]!.bytes));
}

/** `missing`: what to return when the database does not exist (otherwise that is an error too). */
async function withClient<T, M = never>(url: string, f: (c: pg.Client) => Promise<T>, o?: { missing: M }): Promise<T | M> {
  const c = new pg.Client({ connectionString: url });
  try {
    await c.connect();
  } catch (error) {
    await c.end().catch(() => undefined);
    if (o && (error as { code?: string }).code === INVALID_CATALOG_NAME) return o.missing;
    throw new CohortError('database_unavailable', `cannot reach PostgreSQL at ${redact(url)}: ${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    return await f(c);
  } finally {
    await c.end();
  }
}

/** SQLSTATE 3D000: the database named does not exist. */
const INVALID_CATALOG_NAME = '3D000';

const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;

/** The URL without its password, for messages. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}

function once(f: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => (running ??= f());
}
