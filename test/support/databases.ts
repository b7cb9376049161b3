/**
 * Runs one test suite against both store adapters: a fresh SQLite file, and a fresh PostgreSQL
 * database on 127.0.0.1:5432 (COHORT_TEST_POSTGRES_URL to point elsewhere). Without PostgreSQL a
 * local run skips the Postgres half with a warning; under CI=true it fails instead.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe } from 'vitest';
import { createStore, type Store } from '../../src/store/index.ts';
import { migrationProvider } from '../../src/store/migrations.ts';

export const ADMIN_POSTGRES_URL = process.env.COHORT_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const IN_CI = process.env.CI === 'true';

async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: ADMIN_POSTGRES_URL, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}
const reachable = await postgresReachable();
/** Whether the Postgres half runs (false only outside CI, where it is skipped with a warning). */
export const POSTGRES_REACHABLE = reachable;
if (!reachable && IN_CI) throw new Error(`PostgreSQL is not reachable at ${ADMIN_POSTGRES_URL}; under CI the Postgres suites must run, not skip`);
if (!reachable) console.warn(`PostgreSQL not reachable at ${ADMIN_POSTGRES_URL}: Postgres suites are skipped (they never skip under CI=true)`);

/** A fresh, empty PostgreSQL database; returns its URL and a function that drops it. */
export async function freshPostgresDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `cohort_test_${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: ADMIN_POSTGRES_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(ADMIN_POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: ADMIN_POSTGRES_URL });
      await c.connect();
      // pg-pool's end() resolves before its clients have closed; FORCE would kill them mid-close and
      // they would report the termination as an unhandled error. Give them up to 2 s to go first.
      for (let i = 0; i < 40; i++) {
        const { rows } = await c.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1', [name]);
        if (rows[0]?.n === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** A fresh SQLite file in a temporary folder; returns its path and a function that removes it. */
export function freshSqliteFile(): { url: string; drop: () => Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), 'cohort-test-'));
  return { url: join(dir, 'cohort.db'), drop: async () => rmSync(dir, { recursive: true, force: true }) };
}

export type DatabaseKind = 'sqlite' | 'postgres';
export const DATABASE_KINDS: readonly DatabaseKind[] = ['sqlite', 'postgres'];

export async function freshDatabase(kind: DatabaseKind): Promise<{ url: string; drop: () => Promise<void> }> {
  return kind === 'sqlite' ? freshSqliteFile() : freshPostgresDatabase();
}

/** describe() once per adapter, each with a fresh database and an open store. */
export function describeEachStore(name: string, body: (ctx: { store: () => Store; url: () => string; kind: DatabaseKind }) => void): void {
  for (const kind of DATABASE_KINDS) {
    const run = kind === 'postgres' && !reachable ? describe.skip : describe;
    run(`${name} [${kind}]`, () => {
      let store: Store | undefined;
      let db: { url: string; drop: () => Promise<void> } | undefined;
      beforeAll(async () => {
        db = await freshDatabase(kind);
        store = await createStore(db.url);
      });
      afterAll(async () => {
        await store?.close();
        await db?.drop();
      });
      body({
        store: () => store!,
        url: () => db!.url,
        kind,
      });
    });
  }
}

/**
 * A fresh database of `kind` migrated only through the migrations named before `firstLeftOut` (say
 * '0007'), for a test that writes rows as an earlier release did and then opens it with today's store.
 * The caller destroys the connection before opening the store, and calls `drop` at the end.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- an earlier schema, outside the app's table types (as migrations see it)
export async function databaseBefore(kind: DatabaseKind, firstLeftOut: string): Promise<{ url: string; drop: () => Promise<void>; raw: Kysely<any> }> {
  const db = await freshDatabase(kind);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as above
  const raw = new Kysely<any>({
    dialect: kind === 'sqlite' ? new SqliteDialect({ database: new Database(db.url) }) : new PostgresDialect({ pool: new pg.Pool({ connectionString: db.url }) }),
  });
  const all = await migrationProvider(kind).getMigrations();
  const before = Object.fromEntries(Object.entries(all).filter(([name]) => name < firstLeftOut));
  const { error } = await new Migrator({ db: raw, provider: { getMigrations: async () => before } }).migrateToLatest();
  if (error) throw error;
  return { ...db, raw };
}
