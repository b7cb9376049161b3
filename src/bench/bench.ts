/**
 * `cohort bench` (spec §7): an emulator process and `cohort serve` on a fresh SQLite file (or
 * PostgreSQL: bench-database.ts), N profiles through `POST /api/users/track`, a scheduled canvas that
 * puts all N into an audience_sync step (timed until the emulator holds every user), users triggered
 * at a steady 100/s, and the database's size on disk. Progress goes to stderr; the last four stdout
 * lines are the JSON of the contract, each naming the database and the number of workers.
 */
import { hash } from 'node:crypto';
import { CohortError } from '../core/errors.ts';
import { parseDuration } from '../core/duration.ts';
import type { StatsView } from '../emulator/stats.ts';
import { createStore } from '../store/index.ts';
import { openBenchDatabase, type BenchDatabase } from './bench-database.ts';
import { runCohortOnce, startCohortProcess, type Child } from './processes.ts';

export interface BenchOptions {
  users: number;
  /** Users triggered at 100/s in the latency scenario. */
  latencyUsers: number;
  /** A postgres://… URL; undefined: a fresh SQLite file. */
  database?: string;
  /** Worker processes beside one `--role api` process; undefined: one `--role all` process. */
  workers?: number;
  env: Record<string, string | undefined>;
  progress: (line: string) => void;
  /** Aborting (ctrl-C) stops the processes, removes what the bench created and rejects. */
  signal?: AbortSignal;
}

const ADVERTISER = '7000000000000000001';
const TIKTOK_CEILING = 500_000; // 50 requests a second × 10,000 users

/** User i: email and phone for everyone, an IDFA for a quarter and a GAID for another quarter. */
export function benchUser(i: number): { external_id: string; email: string; phone: string; idfa?: string; gaid?: string } {
  const u: ReturnType<typeof benchUser> = { external_id: `bench-${i}`, email: `user${i}@bench.example`, phone: `+1415${String(2_000_000 + i)}` };
  const tail = String(i).padStart(12, '0');
  if (i % 4 === 1) u.idfa = `6d92078a-8246-4ba4-ae5b-${tail}`;
  if (i % 4 === 3) u.gaid = `38400000-8cf0-11bd-b23e-${tail}`;
  return u;
}

/** A `cohort serve` process the bench started, named by its role (`all`, `api`, `worker-1`, …). */
interface Cohort {
  name: string;
  child: Child;
}

type Line = Record<string, unknown>;

export async function runBench(o: BenchOptions): Promise<Line[]> {
  // SQLite has no cross-process leadership (store/locks.ts: its one process always leads), so every
  // worker process would run its own TikTok sender and together exceed the 50 requests/s budget.
  if (o.workers !== undefined && o.workers > 1 && o.database === undefined) {
    throw new CohortError('bench_workers_sqlite', '--workers above 1 needs PostgreSQL (--database postgres://…): on SQLite every worker process would send to TikTok on its own and together exceed the 50 requests/s budget');
  }
  const db = await openBenchDatabase(o.database, o.env, o.progress);
  const children: Child[] = [];
  let cleaned: Promise<void> | undefined;
  const cleanup = () =>
    (cleaned ??= (async () => {
      for (const c of [...children].reverse()) await c.stop();
      await db.dispose();
    })());
  try {
    const run = benchScenarios(o, db, children);
    if (!o.signal) return await run;
    // ctrl-C: stop waiting on the scenarios; the finally below stops the processes and removes the database.
    const signal = o.signal;
    const interrupted = new Promise<never>((_, reject) => {
      const fail = () => reject(new CohortError('bench_interrupted', 'interrupted'));
      if (signal.aborted) fail();
      else signal.addEventListener('abort', fail, { once: true });
    });
    return await Promise.race([run, interrupted]);
  } finally {
    await cleanup();
  }
}

async function benchScenarios(o: BenchOptions, db: BenchDatabase, children: Child[]): Promise<Line[]> {
  const workers = o.workers ?? 1;
  const tag = (scenario: string, rest: Line): Line => ({ scenario, database: db.kind, workers, ...rest });
  const baseEnv = { ...o.env, COHORT_LOG_LEVEL: 'warn' };
  const layout = o.workers === undefined ? 'one cohort serve (--role all)' : `cohort serve --role api and ${workers} × --role worker`;
  o.progress(`starting the TikTok emulator and ${layout} on ${db.label}`);
  const emulator = startCohortProcess(['tiktok-emulator', '--port', '0'], baseEnv);
  children.push(emulator);
  const emulatorUrl = (await emulator.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/))[1]!;
  const { api_key: key, workspace_id: workspaceId } = JSON.parse(await runCohortOnce(['workspaces', 'create', 'bench', '--database', db.url], baseEnv)) as { api_key: string; workspace_id: string };
  const env = { ...baseEnv, COHORT_LOG_LEVEL: 'info', TIKTOK_APP_ID: 'cohort-local-app', TIKTOK_APP_SECRET: 'cohort-local-secret', TIKTOK_API_BASE: emulatorUrl, TIKTOK_AUTH_URL: `${emulatorUrl}/portal/auth`, COHORT_SECRET_KEY: 'cohort-bench-secret-key-0123456789abcdef' };
  const serve = (role: string) => startCohortProcess(['serve', '--port', '0', '--database', db.url, '--role', role], env);
  const cohorts: Cohort[] = o.workers === undefined ? [{ name: 'all', child: serve('all') }] : [{ name: 'api', child: serve('api') }];
  children.push(cohorts[0]!.child);
  const url = (await cohorts[0]!.child.waitFor(/cohort listening on (http:\/\/127\.0\.0\.1:\d+)/))[1]!;
  for (let i = 1; o.workers !== undefined && i <= o.workers; i++) {
    const child = serve('worker');
    children.push(child);
    cohorts.push({ name: `worker-${i}`, child });
  }
  // A worker process has no API; its log says when it runs.
  await Promise.all(cohorts.slice(1).map((c) => c.child.waitFor(/"msg":"cohort started"/)));
  const api = apiClient(url, key);
  const audienceId = await connect(api, emulatorUrl);

  const ingest = await ingestUsers(api, o);
  const sync = await syncEveryone(api, emulatorUrl, audienceId, cohorts, o);
  const latency = await latencyAt100(api, db.url, workspaceId, audienceId, o);
  const storage = await storageOnDisk(db, o, cohorts);
  return [tag('ingest', ingest), tag('sync', sync), tag('latency', latency), tag('storage', storage)];
}

/**
 * Bytes on disk once the size stops changing for 2 s (at most 30 s): the worker's retention pass and
 * SQLite's WAL checkpoints get their chance, as the contract asks ("once retention has run").
 */
async function storageOnDisk(db: BenchDatabase, o: BenchOptions, cohorts: Cohort[]): Promise<Line> {
  // COHORT_RETENTION=0 measures the smallest footprint: wait for the pruner's next pass (it runs every
  // minute in the process that leads pruning) to take what the sync and latency scenarios left.
  const retention = o.env.COHORT_RETENTION?.trim();
  if (retention === '0' || (retention !== undefined && parseDuration(retention) === 0)) {
    o.progress('storage: COHORT_RETENTION=0, waiting for the next retention pass (at most 90 s)');
    const pruners = cohorts.filter((c) => c.name !== 'api');
    await Promise.any(pruners.map((c) => c.child.waitForNext(/"msg":"retention pruned"/, 90_000)));
  }
  o.progress('storage: waiting until the database size stops changing (2 s, at most 30 s)');
  const started = performance.now();
  let bytes = await db.bytes();
  let stableSince = performance.now();
  while (performance.now() - stableSince < 2_000 && performance.now() - started < 30_000) {
    await new Promise((r) => setTimeout(r, 250));
    const now = await db.bytes();
    if (now !== bytes) {
      bytes = now;
      stableSince = performance.now();
    }
  }
  if (db.parts) o.progress(`storage: ${db.parts()}`);
  return { bytes, bytes_per_user: Math.round(bytes / o.users) };
}

type Api = (method: string, path: string, body?: unknown) => Promise<Record<string, unknown>>;

function apiClient(url: string, key: string): Api {
  return async (method, path, body) => {
    const res = await fetch(`${url}${path}`, { method, redirect: 'manual', headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    if (res.status >= 400) throw new Error(`${method} ${path}: HTTP ${res.status} ${text.slice(0, 300)}`);
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  };
}

/** The consent page walked as a person would, then a Partner audience. */
async function connect(api: Api, emulatorUrl: string): Promise<string> {
  const authorize = new URL((await api('POST', '/api/partners/tiktok/connect')).authorize_url as string);
  const form = new URLSearchParams({ app_id: 'cohort-local-app', state: authorize.searchParams.get('state')!, redirect_uri: authorize.searchParams.get('redirect_uri')!, decision: 'confirm', advertiser_ids: ADVERTISER });
  const consent = await fetch(`${emulatorUrl}/portal/auth`, { method: 'POST', body: form, redirect: 'manual' });
  await fetch(consent.headers.get('location')!, { redirect: 'manual' });
  await api('PUT', '/api/partners/tiktok/advertisers', { advertiser_ids: [ADVERTISER] });
  return (await api('POST', '/api/partners/tiktok/audiences', { advertiser_id: ADVERTISER, name: 'Bench' })).audience_id as string;
}

async function ingestUsers(api: Api, o: BenchOptions): Promise<Line> {
  const batch = 10_000;
  const started = performance.now();
  let next = 0;
  let done = 0;
  // Two requests in flight: one is parsed while the other is written.
  const lane = async () => {
    while (next < o.users) {
      const start = next;
      next = Math.min(o.users, next + batch);
      const attributes = [];
      for (let i = start; i < next; i++) attributes.push(benchUser(i));
      await api('POST', '/api/users/track', { attributes });
      done += attributes.length;
      if (done % 100_000 < batch) o.progress(`ingest ${done}/${o.users} (${Math.round(done / ((performance.now() - started) / 1000))} users/s)`);
    }
  };
  await Promise.all([lane(), lane()]);
  const seconds = (performance.now() - started) / 1000;
  return { users: o.users, seconds: round(seconds), users_per_sec: Math.round(o.users / seconds) };
}


async function syncEveryone(api: Api, emulatorUrl: string, audienceId: string, cohorts: readonly Cohort[], o: BenchOptions): Promise<Line> {
  const canvas = await api('POST', '/api/canvases', {
    name: 'Bench: everyone to TikTok', entry: { type: 'scheduled', at: null }, first_step: 'sync',
    steps: [{ id: 'sync', type: 'audience_sync', next: null, config: { partner: 'tiktok', advertiser_id: ADVERTISER, audience_id: audienceId, action: 'add', fields: ['email', 'phone', 'idfa', 'gaid'] } }],
  });
  const statsBefore = (await (await fetch(`${emulatorUrl}/_emulator/stats`)).json()) as StatsView;
  const started = performance.now();
  await api('POST', `/api/canvases/${canvas.id as string}/launch`);
  let held = 0;
  while (held < o.users) {
    await new Promise((r) => setTimeout(r, 100));
    const members = (await (await fetch(`${emulatorUrl}/_emulator/audiences/${audienceId}/members?members=false`)).json()) as { counts: Record<string, number> };
    const now = members.counts.EMAIL_SHA256 ?? 0;
    if (Math.floor(now / 100_000) > Math.floor(held / 100_000)) o.progress(`sync ${now}/${o.users} in TikTok (${Math.round(now / ((performance.now() - started) / 1000))} users/s)`);
    held = now;
  }
  const seconds = (performance.now() - started) / 1000;
  // Honest figures: the emulator really stored every user (every bench user has an email).
  if (held !== o.users) throw new Error(`the emulator holds ${held} users, expected ${o.users}`);
  const s = (await (await fetch(`${emulatorUrl}/_emulator/stats`)).json()) as StatsView;
  const requests = s.mapping_requests - statsBefore.mapping_requests;
  const accepted = requests - (s.rate_limited - statsBefore.rate_limited);
  const baseline = sha256Baseline(o.users);
  const usersPerSec = o.users / seconds;
  const rssByProcess = Object.fromEntries(cohorts.map((c) => [c.name, c.child.peakRssMb()]));
  return {
    users: o.users,
    seconds: round(seconds),
    users_per_sec: Math.round(usersPerSec),
    mapping_requests: requests,
    mean_rows_per_request: Math.round((s.mapping_rows - statsBefore.mapping_rows) / Math.max(1, accepted)),
    max_requests_in_any_second: s.max_mapping_requests_in_any_second,
    rate_limited: s.rate_limited - statsBefore.rate_limited,
    peak_rss_mb: Math.max(...Object.values(rssByProcess)),
    peak_rss_mb_by_process: rssByProcess,
    sha256_baseline_users_per_sec: Math.round(baseline),
    ratio_to_sha256_baseline: round(usersPerSec / baseline),
    ratio_to_tiktok_ceiling: round(usersPerSec / TIKTOK_CEILING),
  };
}

/** One thread hashing the same users' identifiers (email, phone, and the mobile id when there is one). */
function sha256Baseline(n: number): number {
  const started = performance.now();
  let sink = 0;
  for (let i = 0; i < n; i++) {
    const u = benchUser(i);
    sink += hash('sha256', u.email, 'hex').length + hash('sha256', u.phone, 'hex').length;
    const mobile = u.idfa ?? u.gaid;
    if (mobile) sink += hash('sha256', mobile, 'hex').length;
  }
  if (sink === 0) throw new Error('unreachable');
  return n / ((performance.now() - started) / 1000);
}

async function latencyAt100(api: Api, database: string, workspaceId: string, audienceId: string, o: BenchOptions): Promise<Line> {
  const rate = 100;
  const canvas = await api('POST', '/api/canvases', {
    name: 'Bench: latency', entry: { type: 'api' }, first_step: 'sync',
    steps: [{ id: 'sync', type: 'audience_sync', next: null, config: { partner: 'tiktok', advertiser_id: ADVERTISER, audience_id: audienceId, action: 'add', fields: ['email', 'phone'] } }],
  });
  await api('POST', `/api/canvases/${canvas.id as string}/launch`);
  o.progress(`latency: ${o.latencyUsers} users at ${rate}/s`);
  const started = performance.now();
  const sent: Promise<unknown>[] = [];
  for (let i = 0; i < o.latencyUsers; i++) {
    const wait = started + (i * 1000) / rate - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const u = benchUser(o.users + i);
    sent.push(api('POST', '/api/canvas/trigger/send', { canvas_id: canvas.id, recipients: [{ external_user_id: u.external_id, attributes: { email: u.email, phone: u.phone } }] }));
  }
  await Promise.all(sent);
  const store = await createStore(database);
  try {
    let lags: number[] = [];
    for (let i = 0; i < 100 && lags.length < o.latencyUsers; i++) {
      await new Promise((r) => setTimeout(r, 200));
      lags = await store.ackLatencies(workspaceId, canvas.id as string);
    }
    lags.sort((a, b) => a - b);
    const pct = (p: number) => lags[Math.min(lags.length - 1, Math.ceil((p / 100) * lags.length) - 1)] ?? null;
    return { rate_per_sec: rate, users: lags.length, p50_ms: pct(50), p99_ms: pct(99) };
  } finally {
    await store.close();
  }
}

const round = (x: number) => Math.round(x * 100) / 100;
