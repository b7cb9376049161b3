/**
 * The soak run of issue #16 (not part of `npm test`): `npm run soak -- --minutes 20`.
 *
 * Two workspaces under steady load for N minutes against `cohort serve` and a TikTok emulator
 * process: users tracked and triggered every second, an event-entry canvas, webhooks to a slow
 * receiver (1 s, for a quarter of A's users) and to a failing one (every B user), emulator faults (5% transient errors throughout, every token revoked at 25%
 * and reconnected 30 s later, one audience deleted at 50%), and one `kill -9` of serve at 70%
 * followed by a restart on the same database. Then the load stops, the faults clear, and the run
 * waits until every user has left every canvas. The last stdout line is JSON: users entered and
 * their outcomes, the emulator's members against the expected ones, serve's memory minute by
 * minute, and the sync latency.
 *
 * Options: --minutes N (20), --rate N (users a second per workspace, 20), --database URL (a fresh
 * SQLite file), --keep (leave the database folder).
 */
import { hash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runCohortOnce, startCohortProcess, type Child } from '../src/bench/processes.ts';
import { createStore } from '../src/store/index.ts';

const { values } = parseArgs({ options: { minutes: { type: 'string', default: '20' }, rate: { type: 'string', default: '20' }, database: { type: 'string' }, keep: { type: 'boolean', default: false } } });
const MINUTES = Number(values.minutes);
const RATE = Number(values.rate);
if (!(MINUTES > 0) || !(RATE > 0)) throw new Error('--minutes and --rate take positive numbers');
const RUN_MS = MINUTES * 60_000;
const ADVERTISER = '7000000000000000001';
/** The slow receiver's answer time; a quarter of A's users go through it (≈ 5 calls/s at the default rate, within the per-workspace cap of 8 in flight). */
const SLOW_MS = 1_000;
/** When the load started (set after the setup): every minute in the output counts from here. */
let started = Date.now();
const elapsedMin = () => (Date.now() - started) / 60_000;
const log = (msg: string) => process.stderr.write(`[soak ${elapsedMin().toFixed(2)} min] ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sha = (s: string) => hash('sha256', s, 'hex');

// ── the webhook receivers: one slow, one failing ────────────────────────────────────────────────
interface Receiver {
  server: Server;
  url: string;
  hits: number;
}
async function receiver(answer: (res: import('node:http').ServerResponse) => void): Promise<Receiver> {
  const r: Receiver = { server: createServer(), url: '', hits: 0 };
  r.server.on('request', (req, res) => {
    req.resume();
    req.on('end', () => {
      r.hits++;
      answer(res);
    });
  });
  await new Promise<void>((ok) => r.server.listen(0, '127.0.0.1', ok));
  r.url = `http://127.0.0.1:${(r.server.address() as AddressInfo).port}/hook`;
  return r;
}

// ── the users ───────────────────────────────────────────────────────────────────────────────────
interface SoakUser {
  external_id: string;
  email?: string;
  phone: string;
  idfa?: string;
}
/** User i of a workspace: 90% with an email, everyone with a phone, a third with an IDFA. */
function user(ws: string, i: number): SoakUser {
  const u: SoakUser = { external_id: `${ws}-${i}`, phone: `+1415${String(3_000_000 + i)}` };
  if (i % 10 !== 0) u.email = `${ws}.user${i}@soak.example`;
  if (i % 3 === 0) u.idfa = `6d92078a-8246-4ba4-ae5b-${String(i).padStart(12, '0')}`;
  return u;
}

// ── HTTP to cohort, retried while serve is down ─────────────────────────────────────────────────
let cohortUrl = '';
class Down extends Error {}
async function api(key: string, method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  let res: Response;
  try {
    res = await fetch(`${cohortUrl}${path}`, { method, redirect: 'manual', headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(30_000) });
  } catch (error) {
    throw new Down(error instanceof Error ? error.message : String(error));
  }
  const text = await res.text();
  if (res.status >= 500) throw new Down(`${method} ${path}: HTTP ${res.status}`);
  if (res.status >= 400) throw new Error(`${method} ${path}: HTTP ${res.status} ${text.slice(0, 300)}`);
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}
/** Requests wait in order while serve is down (kill -9), and go once it is back: nothing is dropped. */
const backlog: { key: string; method: string; path: string; body: unknown }[] = [];
async function flush(): Promise<void> {
  while (backlog.length > 0) {
    const r = backlog[0]!;
    try {
      await api(r.key, r.method, r.path, r.body);
    } catch (error) {
      if (error instanceof Down) return;
      throw error;
    }
    backlog.shift();
  }
}

// ── TikTok, as a person connects it ─────────────────────────────────────────────────────────────
let emulatorUrl = '';
async function emulator(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${emulatorUrl}/_emulator${path}`, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  if (!res.ok) throw new Error(`emulator ${path}: HTTP ${res.status}`);
  return (await res.json()) as Record<string, unknown>;
}
async function connect(key: string): Promise<void> {
  const authorize = new URL((await api(key, 'POST', '/api/partners/tiktok/connect')).authorize_url as string);
  const form = new URLSearchParams({ app_id: 'cohort-local-app', state: authorize.searchParams.get('state')!, redirect_uri: authorize.searchParams.get('redirect_uri')!, decision: 'confirm', advertiser_ids: ADVERTISER });
  const consent = await fetch(`${emulatorUrl}/portal/auth`, { method: 'POST', body: form, redirect: 'manual' });
  const back = await fetch(consent.headers.get('location')!, { redirect: 'manual' });
  if (back.status !== 302 || !/connected=1/.test(back.headers.get('location') ?? '')) throw new Error(`connect: the callback answered ${back.status} ${back.headers.get('location')}`);
  await api(key, 'PUT', '/api/partners/tiktok/advertisers', { advertiser_ids: [ADVERTISER] });
}
const audience = async (key: string, name: string) => (await api(key, 'POST', '/api/partners/tiktok/audiences', { advertiser_id: ADVERTISER, name })).audience_id as string;
const syncStep = (id: string, audienceId: string, fields: string[], next: string | null) => ({ id, type: 'audience_sync', next, config: { partner: 'tiktok', advertiser_id: ADVERTISER, audience_id: audienceId, action: 'add', fields } });
async function canvas(key: string, body: Record<string, unknown>): Promise<string> {
  const id = (await api(key, 'POST', '/api/canvases', body)).id as string;
  await api(key, 'POST', `/api/canvases/${id}/launch`);
  return id;
}

// ── serve's memory, sampled every 5 s ───────────────────────────────────────────────────────────
interface ServeRun {
  child: Child;
  startedMin: number;
  samples: { min: number; rssMb: number }[];
  peakMb: number;
}
function rssMb(pid: number | undefined): { rss: number; hwm: number } | null {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    return { rss: Math.round(Number(/VmRSS:\s+(\d+)/.exec(s)![1]) / 1024), hwm: Math.round(Number(/VmHWM:\s+(\d+)/.exec(s)![1]) / 1024) };
  } catch {
    return null;
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cohort-soak-'));
  const database = values.database ?? join(dir, 'cohort.db');
  const children: Child[] = [];
  const slow = await receiver((res) => setTimeout(() => res.end('ok'), SLOW_MS));
  const failing = await receiver((res) => {
    res.statusCode = 500;
    res.end('no');
  });
  const runs: ServeRun[] = [];
  try {
    const baseEnv = { ...process.env, COHORT_LOG_LEVEL: 'warn' };
    const emu = startCohortProcess(['tiktok-emulator', '--port', '0'], baseEnv);
    children.push(emu);
    emulatorUrl = (await emu.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/))[1]!;
    const created = async (name: string) => JSON.parse(await runCohortOnce(['workspaces', 'create', name, '--database', database], baseEnv)) as { api_key: string; workspace_id: string };
    const [wsA, wsB] = [await created('Soak A'), await created('Soak B')];
    const env = {
      ...baseEnv,
      TIKTOK_APP_ID: 'cohort-local-app',
      TIKTOK_APP_SECRET: 'cohort-local-secret',
      TIKTOK_API_BASE: emulatorUrl,
      TIKTOK_AUTH_URL: `${emulatorUrl}/portal/auth`,
      COHORT_LOG_LEVEL: 'info',
      COHORT_SECRET_KEY: 'cohort-soak-secret-key-0123456789abcdef',
      // The receivers live on this machine; spec §9 refuses loopback unless it is allowed.
      COHORT_WEBHOOK_ALLOW_HOSTS: '127.0.0.1',
    };
    const startServe = async (): Promise<void> => {
      const child = startCohortProcess(['serve', '--port', '0', '--database', database], env);
      children.push(child);
      cohortUrl = (await child.waitFor(/cohort listening on (http:\/\/127\.0\.0\.1:\d+)/))[1]!;
      runs.push({ child, startedMin: elapsedMin(), samples: [], peakMb: 0 });
    };
    await startServe();
    const sampler = setInterval(() => {
      const run = runs.at(-1)!;
      const m = rssMb(run.child.process.pid);
      if (!m) return;
      run.samples.push({ min: elapsedMin(), rssMb: m.rss });
      run.peakMb = Math.max(run.peakMb, m.hwm);
    }, 5_000);

    await connect(wsA.api_key);
    await connect(wsB.api_key);
    const audA = await audience(wsA.api_key, 'Soak A');
    const audDoomed = await audience(wsA.api_key, 'Soak A doomed');
    const audB = await audience(wsB.api_key, 'Soak B');
    const canvasA = await canvas(wsA.api_key, { name: 'Soak A: sync', entry: { type: 'api' }, first_step: 'sync', steps: [syncStep('sync', audA, ['email', 'phone'], null)] });
    const canvasDoomed = await canvas(wsA.api_key, {
      name: 'Soak A: a slow webhook, then an audience that will be deleted', entry: { type: 'api' }, first_step: 'hook',
      steps: [{ id: 'hook', type: 'webhook', next: 'sync', config: { url: slow.url, method: 'POST', body: { user: '{{external_id}}' } } }, syncStep('sync', audDoomed, ['email'], null)],
    });
    const canvasB = await canvas(wsB.api_key, {
      name: 'Soak B: sync, a failing webhook, an update', entry: { type: 'api' }, first_step: 'sync',
      steps: [
        syncStep('sync', audB, ['email', 'phone', 'idfa'], 'hook'),
        { id: 'hook', type: 'webhook', next: 'mark', config: { url: failing.url, method: 'POST', body: { user: '{{external_id}}', email: '{{email}}' } } },
        { id: 'mark', type: 'user_update', next: null, config: { set: { soaked: true } } },
      ],
    });
    const canvasEvent = await canvas(wsB.api_key, { name: 'Soak B: purchasers', entry: { type: 'event', event: 'purchase' }, first_step: 'sync', steps: [syncStep('sync', audB, ['email'], null)] });
    await emulator('POST', '/faults', { error_rate: 0.05 });
    log(`serve on ${cohortUrl}, emulator on ${emulatorUrl}, database ${database}; ${RATE} users/s per workspace for ${MINUTES} min`);
    started = Date.now();
    for (const run of runs) {
      run.startedMin = 0;
      run.samples.length = 0;
    }

    // What TikTok should hold at the end, and who entered where.
    const expected = new Map<string, Set<string>>([[audA, new Set()], [audB, new Set()]]);
    const entered = new Map<string, number>([[canvasA, 0], [canvasDoomed, 0], [canvasB, 0], [canvasEvent, 0]]);
    const faults = { revoked_at_min: NaN, reconnected_at_min: NaN, audience_deleted_at_min: NaN, killed_at_min: NaN, restarted_at_min: NaN };
    let next = 0;
    let revoked = false;
    let reconnected = false;
    let deleted = false;
    let killed = false;
    let loggedMinute = 0;
    while (Date.now() - started < RUN_MS) {
      const tick = Date.now();
      const t = (tick - started) / RUN_MS;
      const a: SoakUser[] = [];
      const b: SoakUser[] = [];
      for (let i = 0; i < RATE; i++, next++) {
        a.push(user('a', next));
        b.push(user('b', next));
      }
      for (const u of a) for (const v of [u.email, u.phone]) if (v) expected.get(audA)!.add(sha(v));
      for (const u of b) for (const v of [u.email, u.phone, u.idfa]) if (v) expected.get(audB)!.add(sha(v));
      const recipients = (us: SoakUser[]) => us.map(({ external_id, ...attributes }) => ({ external_user_id: external_id, attributes }));
      backlog.push({ key: wsA.api_key, method: 'POST', path: '/api/canvas/trigger/send', body: { canvas_id: canvasA, recipients: recipients(a) } });
      backlog.push({ key: wsA.api_key, method: 'POST', path: '/api/canvas/trigger/send', body: { canvas_id: canvasDoomed, recipients: recipients(a.filter((_, i) => i % 4 === 0)) } });
      backlog.push({ key: wsB.api_key, method: 'POST', path: '/api/canvas/trigger/send', body: { canvas_id: canvasB, recipients: recipients(b) } });
      // A fifth of B's users buy something: the event enters them into the purchasers' canvas.
      const buyers = b.filter((_, i) => i % 5 === 0);
      backlog.push({ key: wsB.api_key, method: 'POST', path: '/api/users/track', body: { events: buyers.map((u) => ({ external_id: u.external_id, name: 'purchase', time: new Date().toISOString() })) } });
      entered.set(canvasA, entered.get(canvasA)! + a.length);
      entered.set(canvasDoomed, entered.get(canvasDoomed)! + a.filter((_, i) => i % 4 === 0).length);
      entered.set(canvasB, entered.get(canvasB)! + b.length);
      entered.set(canvasEvent, entered.get(canvasEvent)! + buyers.length);
      await flush();

      if (!revoked && t >= 0.25) {
        revoked = true;
        faults.revoked_at_min = elapsedMin();
        await emulator('POST', '/tokens/revoke', { all: true });
        log('every TikTok token revoked');
      }
      if (revoked && !reconnected && elapsedMin() >= faults.revoked_at_min + 0.5 && backlog.length === 0) {
        reconnected = true;
        await connect(wsA.api_key);
        await connect(wsB.api_key);
        faults.reconnected_at_min = elapsedMin();
        log('both workspaces reconnected');
      }
      if (!deleted && t >= 0.5) {
        deleted = true;
        await emulator('POST', `/audiences/${audDoomed}/delete`);
        faults.audience_deleted_at_min = elapsedMin();
        log('audience deleted on TikTok');
      }
      if (!killed && t >= 0.7) {
        killed = true;
        const run = runs.at(-1)!;
        run.child.process.kill('SIGKILL');
        await new Promise((r) => run.child.process.once('exit', r));
        faults.killed_at_min = elapsedMin();
        log('serve killed with SIGKILL; restarting in 3 s');
        await sleep(3_000);
        await startServe();
        faults.restarted_at_min = elapsedMin();
        log(`serve restarted on ${cohortUrl}`);
      }
      if (Math.floor((Date.now() - started) / 60_000) > loggedMinute) {
        loggedMinute = Math.floor((Date.now() - started) / 60_000);
        const run = runs.at(-1)!;
        log(`${next} users a workspace so far; serve RSS ${run.samples.at(-1)?.rssMb ?? '?'} MB; backlog ${backlog.length}`);
      }
      await sleep(Math.max(0, 1_000 - (Date.now() - tick)));
    }

    // The load stops; faults clear; every user must reach an outcome and leave.
    await emulator('POST', '/faults', {});
    const flushDeadline = Date.now() + 5 * 60_000;
    while (backlog.length > 0) {
      if (Date.now() > flushDeadline) throw new Error(`serve did not take ${backlog.length} requests within 5 minutes of the load stopping`);
      await flush();
      await sleep(500);
    }
    log('load stopped; waiting for every user to leave every canvas');
    const keyOf = (id: string) => (id === canvasA || id === canvasDoomed ? wsA.api_key : wsB.api_key);
    type Step = { id: string; type: string; entered: number; exited: number; failed?: number; synced?: number; not_synced?: number; pending?: number; errored?: number; errors?: { reason: string; count: number }[] };
    const steps = async () => Promise.all([...entered.keys()].map(async (id) => ({ id, steps: (await api(keyOf(id), 'GET', `/api/canvases/${id}/analytics`)).steps as Step[] })));
    const drainDeadline = Date.now() + 10 * 60_000;
    let last = await steps();
    const settled = (all: typeof last) => all.every((c) => c.steps.every((s) => (s.pending ?? 0) === 0) && c.steps.reduce((n, s) => n + s.exited + (s.failed ?? 0), 0) === c.steps[0]!.entered);
    while (!settled(last) && Date.now() < drainDeadline) {
      await sleep(2_000);
      last = await steps();
    }
    clearInterval(sampler);

    // The emulator's members against what was expected.
    const members = async (aud: string) => {
      const m = (await emulator('GET', `/audiences/${aud}/members`)) as { members: Record<string, string[]> };
      return new Set(Object.values(m.members).flat());
    };
    let missing = 0;
    let extra = 0;
    let expectedCount = 0;
    for (const [aud, want] of expected) {
      const held = await members(aud);
      expectedCount += want.size;
      for (const h of want) if (!held.has(h)) missing++;
      for (const h of held) if (!want.has(h)) extra++;
    }
    const sum = (k: keyof Step) => last.flatMap((c) => c.steps.filter((s) => s.type === 'audience_sync')).reduce((n, s) => n + Number(s[k] ?? 0), 0);
    const enteredByAnalytics = last.reduce((n, c) => n + c.steps[0]!.entered, 0);
    const errors = last.flatMap((c) => c.steps.flatMap((s) => s.errors ?? []));

    // Latency: entry into the sync step to TikTok's acknowledgement, read from the database.
    for (const c of children.splice(0).reverse()) await c.stop();
    const store = await createStore(database);
    const lags = (await Promise.all([[wsA, canvasA], [wsB, canvasB], [wsB, canvasEvent]].map(([ws, id]) => store.ackLatencies((ws as typeof wsA).workspace_id, id as string)))).flat().sort((x, y) => x - y);
    await store.close();
    const pct = (p: number) => lags[Math.min(lags.length - 1, Math.ceil((p / 100) * lags.length) - 1)] ?? null;
    const minuteMedians = (run: ServeRun) => {
      const by = new Map<number, number[]>();
      for (const s of run.samples) by.set(Math.floor(s.min), [...(by.get(Math.floor(s.min)) ?? []), s.rssMb]);
      return [...by].map(([min, v]) => ({ minute: min, rss_mb: v.sort((x, y) => x - y)[Math.floor(v.length / 2)]! }));
    };
    const first = minuteMedians(runs[0]!);
    const at5 = first.find((m) => m.minute === 5)?.rss_mb ?? null;
    const lastOfFirst = first.at(-2)?.rss_mb ?? null; // the last whole minute before the kill
    const result = {
      scenario: 'soak',
      minutes: MINUTES,
      workspaces: 2,
      // Offered and achieved: the load loop waits for each request, so a slow serve lowers the rate.
      users_per_sec_offered: RATE * 2,
      users_per_sec_achieved: Math.round((next * 2) / (RUN_MS / 1000)),
      users_entered: enteredByAnalytics,
      users_entered_expected: [...entered.values()].reduce((n, v) => n + v, 0),
      synced: sum('synced'),
      not_synced: sum('not_synced'),
      errored: sum('errored'),
      pending: sum('pending'),
      errored_reasons: Object.fromEntries(errors.map((e) => [e.reason, e.count])),
      every_user_left: settled(last),
      emulator_members_expected: expectedCount,
      emulator_members_missing: missing,
      emulator_members_extra: extra,
      webhook_calls: { slow: slow.hits, failing: failing.hits },
      faults,
      serve_runs: runs.map((r) => ({ started_min: Math.round(r.startedMin * 100) / 100, peak_rss_mb: r.peakMb, rss_mb_by_minute: minuteMedians(r) })),
      peak_rss_mb: Math.max(...runs.map((r) => r.peakMb)),
      final_rss_mb: runs.at(-1)!.samples.at(-1)?.rssMb ?? null,
      rss_mb_at_5_min: at5,
      rss_growth_after_5_min_mb: at5 !== null && lastOfFirst !== null ? lastOfFirst - at5 : null,
      sync_latency_p50_ms: pct(50),
      sync_latency_p99_ms: pct(99),
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
    if (result.pending !== 0 || missing !== 0 || extra !== 0 || result.users_entered !== result.users_entered_expected || !result.every_user_left) process.exitCode = 1;
  } finally {
    for (const c of children.reverse()) await c.stop();
    slow.server.close();
    failing.server.close();
    if (!values.keep && !values.database) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
