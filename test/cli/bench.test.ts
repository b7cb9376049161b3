import { expect, it } from 'vitest';
import { runCohort } from '../support/cli.ts';

it('cohort bench prints the three JSON lines of the contract, with figures the emulator confirms', { timeout: 120_000 }, async () => {
  const r = await runCohort(['bench', '--users', '3000', '--latency-users', '50']);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).toMatch(/\[bench\] /);
  const [ingest, sync, latency] = r.stdout.trim().split('\n').slice(-3).map((l) => JSON.parse(l) as Record<string, number | string>);
  expect(Object.keys(ingest!)).toEqual(['scenario', 'users', 'seconds', 'users_per_sec']);
  expect(ingest).toMatchObject({ scenario: 'ingest', users: 3000 });
  expect(Object.keys(sync!)).toEqual([
    'scenario', 'users', 'seconds', 'users_per_sec', 'mapping_requests', 'mean_rows_per_request', 'max_requests_in_any_second', 'rate_limited',
    'peak_rss_mb', 'sha256_baseline_users_per_sec', 'ratio_to_sha256_baseline', 'ratio_to_tiktok_ceiling',
  ]);
  expect(sync).toMatchObject({ scenario: 'sync', users: 3000, rate_limited: 0 });
  expect(sync!.max_requests_in_any_second as number).toBeLessThanOrEqual(50);
  expect(sync!.mean_rows_per_request as number).toBeGreaterThan(0);
  expect(sync!.peak_rss_mb as number).toBeGreaterThan(0);
  expect(Object.keys(latency!)).toEqual(['scenario', 'rate_per_sec', 'users', 'p50_ms', 'p99_ms']);
  expect(latency).toMatchObject({ scenario: 'latency', rate_per_sec: 100, users: 50 });
});

it('cohort bench refuses a bad --users', async () => {
  const r = await runCohort(['bench', '--users', 'many']);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/whole numbers/);
});
