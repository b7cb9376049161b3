/**
 * Issue #3's launch script (not a timed test): N profiles on a fresh SQLite file, a scheduled canvas
 * launched into an audience_sync step, and the worker run in-process until every user has entered
 * and passed the step. Prints the time to enter everyone, the time to pass the sync step, and the
 * peak RSS. Usage: npx tsx bench/launch-scheduled.ts [--users 1000000] [--database path|postgres://…]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildApi } from '../src/api/app.ts';
import { hashApiKey, newApiKey } from '../src/api/auth.ts';
import { systemClock } from '../src/core/clock.ts';
import { storeCanvasReader } from '../src/engine/canvas-reader.ts';
import { engineHooks } from '../src/engine/events.ts';
import { createWorker } from '../src/engine/worker.ts';
import { threadHasher } from '../src/partners/tiktok/hash-pool.ts';
import { createStore } from '../src/store/index.ts';
import type { ProfilePatch } from '../src/store/port.ts';

const { values } = parseArgs({ options: { users: { type: 'string', default: '1000000' }, database: { type: 'string' }, runners: { type: 'string', default: '1' } } });
const N = Number(values.users);
const dir = values.database ? null : mkdtempSync(join(tmpdir(), 'cohort-launch-'));
const databaseUrl = values.database ?? join(dir!, 'cohort.db');
const ADVERTISER = '7000000000000000001';

const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);
const peakRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);
const log = (msg: string) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${msg} (rss ${mb(process.memoryUsage().rss)} MB)\n`);

const store = await createStore(databaseUrl);
const clock = systemClock();
const canvases = storeCanvasReader(store);
const hasher = threadHasher(); // as `cohort serve` does (src/main.ts)
const workers = Array.from({ length: Number(values.runners) }, () => createWorker({ store, canvases, clock, hasher }));
const worker = { start: () => workers.forEach((w) => w.start()), stop: () => Promise.all(workers.map((w) => w.stop())), wake: () => workers.forEach((w) => w.wake()) };
const app = await buildApi({
  deps: { store, clock, engine: engineHooks(), journeys: { canvases, wake: () => worker.wake() }, tiktokLaunchContext: async () => ({ status: 'connected', advertiserIds: [ADVERTISER] }) },
});
const key = newApiKey();
await store.createWorkspace({ id: 'ws_bench', name: 'bench' }, clock.now());
await store.insertApiKey({ id: 'key_bench', workspaceId: 'ws_bench', keyHash: hashApiKey(key) }, clock.now());

log(`loading ${N} profiles into ${store.dialect}`);
const loadStart = performance.now();
for (let start = 0; start < N; start += 10_000) {
  const patches: ProfilePatch[] = [];
  for (let i = start; i < Math.min(N, start + 10_000); i++) {
    patches.push({ externalId: `user-${i}`, standard: { email: `user${i}@example.com`, phone: `+1415${String(2000000 + i).padStart(7, '0')}`, ...(i % 2 ? { idfa: `6d92078a-8246-4ba4-ae5b-${String(i).padStart(12, '0')}` } : {}) }, custom: {} });
  }
  await store.transaction((tx) => tx.upsertProfiles('ws_bench', patches, clock.now()));
}
log(`loaded in ${((performance.now() - loadStart) / 1000).toFixed(1)} s`);

const inject = async (method: 'POST' | 'GET', url: string, body?: unknown) => {
  const res = await app.inject({ method, url, headers: { authorization: `Bearer ${key}` }, ...(body ? { payload: body as object } : {}) });
  return res.json() as { id: string; steps: { id: string; entered: number; exited: number; pending?: number; not_synced?: number }[] };
};
const canvas = await inject('POST', '/api/canvases', {
  name: 'Everyone to TikTok',
  entry: { type: 'scheduled', at: null },
  first_step: 'sync',
  steps: [{ id: 'sync', type: 'audience_sync', next: null, config: { partner: 'tiktok', advertiser_id: ADVERTISER, audience_id: '7100000000000000001', action: 'add', fields: ['email', 'phone', 'idfa', 'gaid'] } }],
});
const t0 = performance.now();
await inject('POST', `/api/canvases/${canvas.id}/launch`);
worker.start();
let enteredAt = 0;
for (;;) {
  await new Promise((r) => setTimeout(r, 500));
  const sync = (await inject('GET', `/api/canvases/${canvas.id}/analytics`)).steps[0]!;
  if (!enteredAt && sync.entered === N) enteredAt = performance.now();
  log(`entered ${sync.entered}/${N}, through the sync step ${sync.exited}/${N}`);
  // The sync step is the last one: a user has passed it (with a pending or not-synced item) once exited.
  if (sync.exited === N) break;
}
const done = performance.now();
await worker.stop();
await hasher.close();
await app.close();
await store.close();
if (dir) rmSync(dir, { recursive: true, force: true });
const result = {
  scenario: 'scheduled_launch',
  users: N,
  database: store.dialect,
  enter_seconds: Number(((enteredAt - t0) / 1000).toFixed(1)),
  through_sync_step_seconds: Number(((done - t0) / 1000).toFixed(1)),
  users_per_sec: Math.round(N / ((done - t0) / 1000)),
  peak_rss_mb: peakRssMb(),
};
process.stdout.write(`${JSON.stringify(result)}\n`);
