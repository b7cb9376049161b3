import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { runCohort, startCohort } from '../support/cli.ts';
import { ADMIN_POSTGRES_URL, freshPostgresDatabase, POSTGRES_REACHABLE } from '../support/databases.ts';

type Line = Record<string, unknown>;
const lastLines = (stdout: string, n: number) => stdout.trim().split('\n').slice(-n).map((l) => JSON.parse(l) as Line);

it('cohort bench prints the four JSON lines of the contract, with figures the emulator confirms', { timeout: 120_000 }, async () => {
  const r = await runCohort(['bench', '--users', '3000', '--latency-users', '50']);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).toMatch(/\[bench\] /);
  const [ingest, sync, latency, storage] = lastLines(r.stdout, 4);
  expect(Object.keys(ingest!)).toEqual(['scenario', 'database', 'workers', 'users', 'seconds', 'users_per_sec']);
  expect(ingest).toMatchObject({ scenario: 'ingest', database: 'sqlite', workers: 1, users: 3000 });
  expect(Object.keys(sync!)).toEqual([
    'scenario', 'database', 'workers', 'users', 'seconds', 'users_per_sec', 'mapping_requests', 'mean_rows_per_request', 'max_requests_in_any_second', 'rate_limited',
    'peak_rss_mb', 'peak_rss_mb_by_process', 'sha256_baseline_users_per_sec', 'ratio_to_sha256_baseline', 'ratio_to_tiktok_ceiling',
  ]);
  expect(sync).toMatchObject({ scenario: 'sync', database: 'sqlite', workers: 1, users: 3000, rate_limited: 0 });
  expect(sync!.max_requests_in_any_second as number).toBeLessThanOrEqual(50);
  expect(sync!.mean_rows_per_request as number).toBeGreaterThan(0);
  expect(sync!.peak_rss_mb as number).toBeGreaterThan(0);
  expect(sync!.peak_rss_mb_by_process).toEqual({ all: sync!.peak_rss_mb });
  expect(Object.keys(latency!)).toEqual(['scenario', 'database', 'workers', 'rate_per_sec', 'users', 'p50_ms', 'p99_ms']);
  expect(latency).toMatchObject({ scenario: 'latency', database: 'sqlite', workers: 1, rate_per_sec: 100, users: 50 });
  expect(Object.keys(storage!)).toEqual(['scenario', 'database', 'workers', 'bytes', 'bytes_per_user']);
  expect(storage).toMatchObject({ scenario: 'storage', database: 'sqlite', workers: 1 });
  // At least the profiles' identifiers themselves (3,000 × ~70 bytes), and the per-user figure derived from it.
  expect(storage!.bytes as number).toBeGreaterThan(3000 * 70);
  expect(storage!.bytes_per_user).toBe(Math.round((storage!.bytes as number) / 3000));
});

it('cohort bench refuses a bad --users or --workers', async () => {
  const r = await runCohort(['bench', '--users', 'many']);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/whole numbers/);
  const w = await runCohort(['bench', '--users', '10', '--workers', '0']);
  expect(w.code).toBe(1);
  expect(w.stderr).toMatch(/whole numbers/);
});

it('cohort bench refuses several workers on SQLite, where each would send to TikTok on its own', async () => {
  const r = await runCohort(['bench', '--users', '10', '--workers', '2']);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/--workers above 1 needs PostgreSQL/);
  expect(r.stdout).toBe('');
});

describe.skipIf(!POSTGRES_REACHABLE)('cohort bench on PostgreSQL', () => {
  const server = new URL(ADMIN_POSTGRES_URL);
  server.pathname = '/';
  const query = async <T extends pg.QueryResultRow>(url: string, text: string, values: unknown[] = []): Promise<T[]> => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      return (await c.query<T>(text, values)).rows;
    } finally {
      await c.end();
    }
  };
  const tablesIn = async (url: string) => (await query<{ n: number }>(url, "SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'"))[0]!.n;

  it('with --workers 2 runs an API and two worker processes on a fresh database, within the budget, and drops that database', { timeout: 120_000 }, async () => {
    const r = await runCohort(['bench', '--users', '3000', '--latency-users', '30', '--database', server.toString(), '--workers', '2']);
    expect(r.code, r.stderr).toBe(0);
    const lines = lastLines(r.stdout, 4);
    expect(lines.map((l) => l.scenario)).toEqual(['ingest', 'sync', 'latency', 'storage']);
    for (const line of lines) expect(line).toMatchObject({ database: 'postgres', workers: 2 });
    const [, sync, latency, storage] = lines;
    expect(sync).toMatchObject({ users: 3000, rate_limited: 0 });
    expect(sync!.max_requests_in_any_second as number).toBeLessThanOrEqual(50);
    const byProcess = sync!.peak_rss_mb_by_process as Record<string, number>;
    expect(Object.keys(byProcess)).toEqual(['api', 'worker-1', 'worker-2']);
    for (const mb of Object.values(byProcess)) expect(mb).toBeGreaterThan(0);
    expect(sync!.peak_rss_mb).toBe(Math.max(...Object.values(byProcess)));
    expect(latency).toMatchObject({ users: 30 });
    expect(storage!.bytes as number).toBeGreaterThan(3000 * 70);
    // The database it created is gone afterwards.
    const name = /created the fresh database "(cohort_bench_[0-9a-f]+)"/.exec(r.stderr)?.[1];
    expect(name, r.stderr).toBeDefined();
    expect(await query(server.toString().replace(/\/$/, '/postgres'), 'SELECT 1 FROM pg_database WHERE datname = $1', [name])).toEqual([]);
  });

  it('on ctrl-C stops its processes, drops the database it created and exits 130', { timeout: 60_000 }, async () => {
    const child = startCohort(['bench', '--users', '1000000', '--database', server.toString()]);
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    child.stdout!.resume();
    const name = await new Promise<string>((resolve) => {
      child.stderr!.setEncoding('utf8').on('data', (s: string) => {
        stderr += s;
        const m = /created the fresh database "(cohort_bench_[0-9a-f]+)"/.exec(stderr);
        if (m && stderr.includes('starting the TikTok emulator')) resolve(m[1]!);
      });
    });
    // Let the emulator and cohort serve start and the ingest begin.
    await new Promise((r) => setTimeout(r, 4_000));
    child.kill('SIGINT');
    expect(await exited, stderr).toBe(130);
    expect(stderr).toMatch(/interrupted/);
    expect(stderr).toContain(`dropped the database "${name}"`);
    expect(await query(server.toString().replace(/\/$/, '/postgres'), 'SELECT 1 FROM pg_database WHERE datname = $1', [name])).toEqual([]);
  });

  it('uses an empty database it is given and leaves it empty; refuses one that holds data and leaves the data', { timeout: 120_000 }, async () => {
    const db = await freshPostgresDatabase();
    try {
      const r = await runCohort(['bench', '--users', '500', '--latency-users', '10', '--database', db.url]);
      expect(r.code, r.stderr).toBe(0);
      expect(lastLines(r.stdout, 4).map((l) => [l.scenario, l.database, l.workers])).toEqual([
        ['ingest', 'postgres', 1], ['sync', 'postgres', 1], ['latency', 'postgres', 1], ['storage', 'postgres', 1],
      ]);
      expect(r.stderr).toMatch(/dropping the \d+ relations the bench created/);
      expect(await tablesIn(db.url)).toBe(0);

      await query(db.url, 'CREATE TABLE customers (id int)');
      await query(db.url, 'INSERT INTO customers VALUES (1)');
      const refused = await runCohort(['bench', '--users', '500', '--database', db.url]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/is not empty .*customers/);
      expect(refused.stdout).toBe('');
      expect(await query(db.url, 'SELECT id FROM customers')).toEqual([{ id: 1 }]);
      expect(await tablesIn(db.url)).toBe(1);
    } finally {
      await db.drop();
    }
  });
});
