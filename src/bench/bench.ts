/**
 * `cohort bench` (spec §7): an emulator process and `cohort serve` on a fresh SQLite file, N profiles
 * through `POST /api/users/track`, a scheduled canvas that puts all N into an audience_sync step
 * (timed until the emulator holds every user), and users triggered at a steady 100/s. Progress goes
 * to stderr; the last three stdout lines are the JSON of the contract.
 */
import { hash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StatsView } from '../emulator/stats.ts';
import { createStore } from '../store/index.ts';
import { runCohortOnce, startCohortProcess, type Child } from './processes.ts';

export interface BenchOptions {
  users: number;
  /** Users triggered at 100/s in the latency scenario. */
  latencyUsers: number;
  env: Record<string, string | undefined>;
  progress: (line: string) => void;
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

export async function runBench(o: BenchOptions): Promise<Record<string, unknown>[]> {
  const dir = mkdtempSync(join(tmpdir(), 'cohort-bench-'));
  const database = join(dir, 'cohort.db');
  const children: Child[] = [];
  const baseEnv = { ...o.env, COHORT_LOG_LEVEL: 'warn' };
  try {
    o.progress(`starting the TikTok emulator and cohort serve on ${database}`);
    const emulator = startCohortProcess(['tiktok-emulator', '--port', '0'], baseEnv);
    children.push(emulator);
    const emulatorUrl = (await emulator.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/))[1]!;
    const { api_key: key, workspace_id: workspaceId } = JSON.parse(await runCohortOnce(['workspaces', 'create', 'bench', '--database', database], baseEnv)) as { api_key: string; workspace_id: string };
    const env = { ...baseEnv, COHORT_LOG_LEVEL: 'info', TIKTOK_APP_ID: 'cohort-local-app', TIKTOK_APP_SECRET: 'cohort-local-secret', TIKTOK_API_BASE: emulatorUrl, TIKTOK_AUTH_URL: `${emulatorUrl}/portal/auth`, COHORT_SECRET_KEY: 'cohort-bench-secret-key-0123456789abcdef' };
    const cohort = startCohortProcess(['serve', '--port', '0', '--database', database], env);
    children.push(cohort);
    const url = (await cohort.waitFor(/cohort listening on (http:\/\/127\.0\.0\.1:\d+)/))[1]!;
    const api = apiClient(url, key);
    const audienceId = await connect(api, emulatorUrl);

    const ingest = await ingestUsers(api, o);
    const sync = await syncEveryone(api, emulatorUrl, audienceId, cohort, o);
    const latency = await latencyAt100(api, database, workspaceId, audienceId, o);
    return [ingest, sync, latency];
  } finally {
    for (const c of children.reverse()) await c.stop();
    rmSync(dir, { recursive: true, force: true });
  }
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

async function ingestUsers(api: Api, o: BenchOptions): Promise<Record<string, unknown>> {
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
  return { scenario: 'ingest', users: o.users, seconds: round(seconds), users_per_sec: Math.round(o.users / seconds) };
}


async function syncEveryone(api: Api, emulatorUrl: string, audienceId: string, cohort: Child, o: BenchOptions): Promise<Record<string, unknown>> {
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
  return {
    scenario: 'sync',
    users: o.users,
    seconds: round(seconds),
    users_per_sec: Math.round(usersPerSec),
    mapping_requests: requests,
    mean_rows_per_request: Math.round((s.mapping_rows - statsBefore.mapping_rows) / Math.max(1, accepted)),
    max_requests_in_any_second: s.max_mapping_requests_in_any_second,
    rate_limited: s.rate_limited - statsBefore.rate_limited,
    peak_rss_mb: cohort.peakRssMb(),
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

async function latencyAt100(api: Api, database: string, workspaceId: string, audienceId: string, o: BenchOptions): Promise<Record<string, unknown>> {
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
    return { scenario: 'latency', rate_per_sec: rate, users: lags.length, p50_ms: pct(50), p99_ms: pct(99) };
  } finally {
    await store.close();
  }
}

const round = (x: number) => Math.round(x * 100) / 100;
