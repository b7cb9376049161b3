/**
 * Opens the store named by `--database` / COHORT_DATABASE_URL: a SQLite path (default
 * `./data/cohort.db`, WAL) or `postgres://…`, and applies pending migrations. The two adapters differ
 * only here and in a few dialect switches (claims use SKIP LOCKED on Postgres); every query is shared.
 */
import Database from 'better-sqlite3';
import { CompiledQuery, Kysely, Migrator, PostgresDialect, SqliteDialect, SqliteDriver, type DatabaseConnection, type Driver, type SqliteDatabase, type SqliteStatement } from 'kysely';
import pg from 'pg';
import { CohortError } from '../core/errors.ts';
import { prepareSqliteFile, tightenSqliteFiles, type Warn } from './file-mode.ts';
import { migrationProvider, type Dialect } from './migrations.ts';
import { poolCopyOut, type CopyOut } from './pg-copy.ts';
import { NAMED_PARAMETERS_LAST, NamedParameters, ROWS_AS_ARRAYS } from './queries/context.ts';
import type { DB } from './schema.ts';

export interface Opened {
  db: Kysely<DB>;
  dialect: Dialect;
  /** PostgreSQL: binary COPY out, for reads of large bytea values (pg-copy.ts). */
  copyOut?: CopyOut;
}

export interface OpenOptions {
  /** Told when an existing SQLite file was readable by other users (file-mode.ts). */
  warn?: Warn;
}

export const isPostgresUrl = (url: string): boolean => /^postgres(ql)?:\/\//.test(url);

/** The file a SQLite database URL names (`:memory:` for one that lives only in its connection). */
export const sqlitePath = (url: string): string => url.replace(/^sqlite:(\/\/)?/, '');

/** BEGIN IMMEDIATE: a write transaction takes the lock up front, so two processes never deadlock on upgrade. */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}
class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: ConstructorParameters<typeof SqliteDialect>[0];
  constructor(config: ConstructorParameters<typeof SqliteDialect>[0]) {
    super(config);
    this.#config = config;
  }
  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }
}

/**
 * Kysely prepares every statement anew. A launch runs the same multi-row statements thousands of
 * times, and preparing a 500-row INSERT is costly (bench, 1M users: `prepare` was 8% of the CPU).
 * Statements are reused by their SQL text. Safe because Kysely runs each statement to completion
 * (`all`/`run`) before the next; a statement still busy (a streamed select) is never handed out twice.
 * SQL marked NAMED_PARAMETERS_LAST gets its last parameter bound by name (queries/context.ts).
 */
export function withStatementCache(sqlite: Database.Database, capacity = 256): SqliteDatabase {
  const cache = new Map<string, SqliteStatement & { readonly busy: boolean }>();
  return {
    close: () => sqlite.close(),
    prepare(sqlText) {
      const hit = cache.get(sqlText);
      if (hit && !hit.busy) {
        cache.delete(sqlText); // most recently used goes last
        cache.set(sqlText, hit);
        return hit;
      }
      let statement: SqliteStatement & { readonly busy: boolean } = sqlite.prepare(sqlText);
      if (sqlText.startsWith(NAMED_PARAMETERS_LAST)) statement = namedLast(statement as Database.Statement);
      else if (statement.reader && sqlText.startsWith(ROWS_AS_ARRAYS)) (statement as Database.Statement).raw(true);
      cache.set(sqlText, statement);
      if (cache.size > capacity) cache.delete(cache.keys().next().value!);
      return statement;
    },
  };
}

/** better-sqlite3 takes named values as a separate argument: `all(positional, named)`. */
function namedLast(s: Database.Statement): SqliteStatement & { readonly busy: boolean } {
  const split = (parameters: ReadonlyArray<unknown>): [unknown[], Record<string, unknown>] => {
    const last = parameters[parameters.length - 1];
    if (!(last instanceof NamedParameters)) throw new Error('a statement marked NAMED_PARAMETERS_LAST needs NamedParameters last');
    return [parameters.slice(0, -1), last.values];
  };
  return {
    get reader() {
      return s.reader;
    },
    get busy() {
      return s.busy;
    },
    all: (parameters) => s.all(...split(parameters)),
    run: (parameters) => s.run(...split(parameters)),
    iterate: (parameters) => s.iterate(...split(parameters)),
  };
}

function openSqlite(url: string, o: OpenOptions): Kysely<DB> {
  const path = sqlitePath(url);
  if (path !== ':memory:') prepareSqliteFile(path, o.warn); // 0600 before SQLite creates anything
  const sqlite = new Database(path);
  // 16 KiB pages for a new file (no effect on an existing one): a launch commits ~5 MB a chunk, and
  // a quarter of the pages means a quarter of the WAL writes (standalone, 1M users' rows: commits 2.2 → 0.4 s).
  sqlite.pragma('page_size = 16384');
  // A new file gives the pages retention frees back (engine/retention.ts runs incremental_vacuum after
  // pruning). Only before the first table: an existing file keeps its mode until one full VACUUM
  // (docs/retention.md), which is never run here: it rewrites the whole file under the write lock.
  sqlite.pragma('auto_vacuum = INCREMENTAL');
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL'); // WAL + NORMAL: durable across process crashes (kill -9), not power loss
  sqlite.pragma('busy_timeout = 10000');
  sqlite.pragma('foreign_keys = ON');
  // Statement journals in memory: a multi-row INSERT inside a launch's transaction saves the pages it
  // changes that earlier statements had dirtied, and past 64 KiB SQLite spilled them to a temp file
  // (bench, 1M users: 164 MB written and read back through syscalls; sync 6.17/6.28 → 5.80/5.82 s).
  // They are a few pages a statement; the queries sort nothing large without an index.
  sqlite.pragma('temp_store = MEMORY');
  // SQLite gave the WAL and shared-memory files the database's mode; this only checks that it did.
  if (path !== ':memory:') tightenSqliteFiles(path, o.warn);
  return new Kysely<DB>({ dialect: new ImmediateSqliteDialect({ database: withStatementCache(sqlite) }) });
}

function openPostgres(url: string): { db: Kysely<DB>; copyOut: CopyOut } {
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    // int8 (counts, epoch-ms times, ids) as numbers: every value we store fits in 2^53.
    types: { getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format))) as typeof pg.types.getTypeParser },
  });
  // A connection that dies (a database restart, a terminated session) must not crash the process:
  // the pool drops it and the next query gets a fresh one; the query that was running fails normally.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  return { db: new Kysely<DB>({ dialect: new PostgresDialect({ pool }) }), copyOut: poolCopyOut(pool) };
}

/** Opens and migrates. Throws CohortError('database_unavailable') with the reason when it cannot. */
export async function openDatabase(url: string, o: OpenOptions = {}): Promise<Opened> {
  const dialect: Dialect = isPostgresUrl(url) ? 'postgres' : 'sqlite';
  const { db, copyOut } = dialect === 'postgres' ? openPostgres(url) : { db: openSqlite(url, o), copyOut: undefined };
  const { error } = await new Migrator({ db, provider: migrationProvider(dialect) }).migrateToLatest();
  if (error) {
    await db.destroy().catch(() => undefined);
    const why = error instanceof Error ? error.message : String(error);
    throw new CohortError('database_unavailable', `cannot open or migrate the ${dialect} database: ${why}`);
  }
  return { db, dialect, ...(copyOut ? { copyOut } : {}) };
}
