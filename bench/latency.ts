/**
 * Issue #4's latency script (not a timed test): users triggered one by one at a steady rate
 * (default 100/s) into an audience_sync step of `cohort serve` (its own process, on a fresh SQLite
 * file) that sends to the TikTok emulator (its own process). For each user: the time from the trigger
 * request to TikTok's acknowledgement, read from Cohort's own rows (entries.entered_at is the
 * trigger's transaction, sync_items.settled_at is written right after TikTok answered OK).
 * Usage: npx tsx bench/latency.ts [--rate 100] [--seconds 30]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';

const { values } = parseArgs({ options: { rate: { type: 'string', default: '100' }, seconds: { type: 'string', default: '30' } } });
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const BIN = fileURLToPath(new URL('../bin/cohort', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'cohort-latency-'));
const database = join(dir, 'cohort.db');
const children: ChildProcess[] = [];
const log = (m: string) => process.stderr.write(`${m}\n`);

function start(args: string[], env: Record<string, string>, pattern: RegExp): Promise<{ child: ChildProcess; match: RegExpMatchArray }> {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = out.match(pattern);
      if (m) resolve({ child, match: m });
    });
    child.on('exit', (code) => reject(new Error(`${args[0]} exited with ${code}`)));
  });
}

try {
  const emulator = (await start(['tiktok-emulator', '--port', '0'], {}, /listening on (http:\/\/127\.0\.0\.1:\d+)/)).match[1]!;
  const created = await new Promise<string>((resolve) => {
    const c = spawn(process.execPath, [BIN, 'workspaces', 'create', 'latency', '--database', database], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.on('exit', () => resolve(out));
  });
  const key = (JSON.parse(created) as { api_key: string }).api_key;
  const env = { TIKTOK_APP_ID: 'cohort-local-app', TIKTOK_APP_SECRET: 'cohort-local-secret', TIKTOK_API_BASE: emulator, TIKTOK_AUTH_URL: `${emulator}/portal/auth`, COHORT_SECRET_KEY: 'latency-bench-secret-key-0123456789abcdef', COHORT_LOG_LEVEL: 'warn' };
  const cohort = (await start(['serve', '--port', '0', '--database', database], { ...env, COHORT_LOG_LEVEL: 'info' }, /cohort listening on (http:\/\/127\.0\.0\.1:\d+)/)).match[1]!;
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${cohort}${path}`, { method, redirect: 'manual', headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
    const text = await res.text();
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  };
  // Connect through the consent page as a person would.
  const authorize = new URL((await api('POST', '/api/partners/tiktok/connect')).authorize_url as string);
  const form = new URLSearchParams({ app_id: 'cohort-local-app', state: authorize.searchParams.get('state')!, redirect_uri: authorize.searchParams.get('redirect_uri')!, decision: 'confirm', advertiser_ids: '7000000000000000001' });
  const consent = await fetch(`${emulator}/portal/auth`, { method: 'POST', body: form, redirect: 'manual' });
  await fetch(consent.headers.get('location')!, { redirect: 'manual' });
  const audienceId = (await api('POST', '/api/partners/tiktok/audiences', { advertiser_id: '7000000000000000001', name: 'Latency' })).audience_id as string;
  const canvas = await api('POST', '/api/canvases', {
    name: 'Latency', first_step: 'sync',
    steps: [{ id: 'sync', type: 'audience_sync', next: null, config: { partner: 'tiktok', advertiser_id: '7000000000000000001', audience_id: audienceId, action: 'add', fields: ['email', 'phone'] } }],
  });
  await api('POST', `/api/canvases/${canvas.id as string}/launch`);

  const total = RATE * SECONDS;
  log(`triggering ${total} users at ${RATE}/s`);
  const t0 = performance.now();
  const inflight: Promise<unknown>[] = [];
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    inflight.push(api('POST', '/api/canvas/trigger/send', { canvas_id: canvas.id, recipients: [{ external_user_id: `l${i}`, attributes: { email: `l${i}@example.com`, phone: `+1415${String(2_000_000 + i)}` } }] }));
    if (i % (RATE * 5) === 0 && i > 0) log(`  ${i}/${total}`);
  }
  await Promise.all(inflight);
  for (let i = 0; i < 100; i++) {
    const steps = (await api('GET', `/api/canvases/${canvas.id as string}/analytics`)).steps as { synced: number }[];
    if (steps[0]!.synced === total) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const db = new Database(database, { readonly: true });
  const rows = db.prepare(`select s.settled_at - e.entered_at as ms from sync_items s join entries e on e.id = s.entry_id where s.outcome = 'synced'`).all() as { ms: number }[];
  db.close();
  const ms = rows.map((r) => r.ms).sort((a, b) => a - b);
  const pct = (p: number) => ms[Math.min(ms.length - 1, Math.ceil((p / 100) * ms.length) - 1)] ?? NaN;
  process.stdout.write(`${JSON.stringify({ scenario: 'latency', rate_per_sec: RATE, users: ms.length, p50_ms: pct(50), p99_ms: pct(99), max_ms: ms.at(-1) })}\n`);
} finally {
  for (const c of children) c.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 500));
  rmSync(dir, { recursive: true, force: true });
}
