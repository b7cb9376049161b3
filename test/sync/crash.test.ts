/**
 * Crash safety of the sync (issue #4 acceptance), with TikTok (the emulator) in its own process:
 *  - kill -9 of `cohort serve` during a 100,000-user sync, then a restart on the same SQLite file;
 *  - two `--role worker` processes on one PostgreSQL database, one killed mid-run.
 * Entered = Users Synced = N exactly, and the emulator holds all N.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, expect, it } from 'vitest';
import { hashApiKey, newApiKey } from '../../src/api/auth.ts';
import { createStore } from '../../src/store/index.ts';
import type { ProfilePatch } from '../../src/store/port.ts';
import { exitOf } from '../support/cli.ts';
import { freshPostgresDatabase, freshSqliteFile } from '../support/databases.ts';
import { apiOf, connectAndCreateAudience, sleep, startEmulatorProcess, startServe, type Api } from '../support/processes.ts';
import { emulatorAdmin, type EmulatorMembers, type EmulatorStats } from '../support/tiktok.ts';

const children: ChildProcess[] = [];
const drops: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of drops) await d();
});

async function seed(database: string, n: number): Promise<string> {
  const key = newApiKey();
  const store = await createStore(database);
  await store.createWorkspace({ id: 'ws_sync', name: 'sync' }, Date.now());
  await store.insertApiKey({ id: 'key_sync', workspaceId: 'ws_sync', keyHash: hashApiKey(key) }, Date.now());
  for (let start = 0; start < n; start += 10_000) {
    const patches: ProfilePatch[] = Array.from({ length: Math.min(10_000, n - start) }, (_, k) => ({ externalId: `u${start + k}`, standard: { email: `u${start + k}@example.com` }, custom: {} }));
    await store.transaction((tx) => tx.upsertProfiles('ws_sync', patches, Date.now()));
  }
  await store.close();
  return key;
}

async function launchScheduledSync(api: Api, advertiserId: string, audienceId: string): Promise<string> {
  const c = await api('POST', '/api/canvases', {
    name: 'Everyone', entry: { type: 'scheduled', at: null }, first_step: 'sync',
    steps: [{ id: 'sync', type: 'audience_sync', next: null, config: { partner: 'tiktok', advertiser_id: advertiserId, audience_id: audienceId, action: 'add', fields: ['email'] } }],
  });
  const launched = await api('POST', `/api/canvases/${c.body.id}/launch`);
  if (launched.status !== 200) throw new Error(JSON.stringify(launched.body));
  return c.body.id as string;
}

const syncStep = async (api: Api, canvasId: string) => (await api('GET', `/api/canvases/${canvasId}/analytics`)).body.steps[0] as { entered: number; synced: number; pending: number; errored: number };

async function until(api: Api, canvasId: string, done: (s: Awaited<ReturnType<typeof syncStep>>) => boolean, ms: number) {
  const deadline = Date.now() + ms;
  let s = await syncStep(api, canvasId);
  while (!done(s)) {
    if (Date.now() > deadline) throw new Error(`timed out; last: ${JSON.stringify(s)}`);
    await sleep(100);
    s = await syncStep(api, canvasId);
  }
  return s;
}

it('kill -9 during a 100,000-user sync, then restart: Entered = Users Synced = 100,000 and TikTok holds them all', { timeout: 240_000 }, async () => {
  const N = 100_000;
  const db = freshSqliteFile();
  drops.push(db.drop);
  const emulator = await startEmulatorProcess(children);
  // Slow answers keep requests in flight long enough to be killed mid-request.
  await emulatorAdmin(emulator.url, '/faults', { latency_ms: 400 });
  const key = await seed(db.url, N);
  const first = await startServe(children, { database: db.url, emulatorUrl: emulator.url });
  const api1 = apiOf(first.url, key);
  const { advertiserId, audienceId } = await connectAndCreateAudience(api1, emulator.url);
  const canvasId = await launchScheduledSync(api1, advertiserId, audienceId);
  const atKill = await until(api1, canvasId, (s) => s.synced >= 10_000, 120_000);
  first.child.kill('SIGKILL');
  await exitOf(first.child);
  expect(atKill.synced).toBeLessThan(N);

  const second = await startServe(children, { database: db.url, emulatorUrl: emulator.url });
  const api2 = apiOf(second.url, key);
  const final = await until(api2, canvasId, (s) => s.entered === N && s.pending === 0, 180_000);
  expect(final).toMatchObject({ entered: N, synced: N, pending: 0, errored: 0 });
  const held = await emulatorAdmin<EmulatorMembers>(emulator.url, `/audiences/${audienceId}/members?members=false`);
  expect(held.counts.EMAIL_SHA256).toBe(N);
  second.child.kill('SIGTERM');
  await exitOf(second.child);
});

it('two workers on one PostgreSQL database share one budget; killing the sender loses nothing and counts nothing twice', { timeout: 240_000 }, async () => {
  const N = 60_000;
  const db = await freshPostgresDatabase();
  drops.push(db.drop);
  const emulator = await startEmulatorProcess(children);
  await emulatorAdmin(emulator.url, '/faults', { latency_ms: 400 });
  const key = await seed(db.url, N);
  const apiProcess = await startServe(children, { database: db.url, emulatorUrl: emulator.url, role: 'api' });
  const api = apiOf(apiProcess.url, key);
  const { advertiserId, audienceId } = await connectAndCreateAudience(api, emulator.url);
  const workers = [await startServe(children, { database: db.url, emulatorUrl: emulator.url, role: 'worker' }), await startServe(children, { database: db.url, emulatorUrl: emulator.url, role: 'worker' })];
  const canvasId = await launchScheduledSync(api, advertiserId, audienceId);
  await until(api, canvasId, (s) => s.synced >= 10_000, 120_000);
  const leader = workers.find((w) => w.leading());
  expect(leader).toBeDefined();
  expect(workers.filter((w) => w.leading())).toHaveLength(1);
  leader!.child.kill('SIGKILL');
  await exitOf(leader!.child);

  const final = await until(api, canvasId, (s) => s.entered === N && s.pending === 0, 180_000);
  expect(final, JSON.stringify(final)).toMatchObject({ entered: N, synced: N, pending: 0, errored: 0 });
  expect(workers.find((w) => w !== leader)!.leading()).toBe(true);
  const held = await emulatorAdmin<EmulatorMembers>(emulator.url, `/audiences/${audienceId}/members?members=false`);
  expect(held.counts.EMAIL_SHA256).toBe(N);
  const stats = await emulatorAdmin<EmulatorStats>(emulator.url, '/stats');
  expect(stats.max_mapping_requests_in_any_second).toBeLessThanOrEqual(50);
  expect(stats.rate_limited).toBe(0);
  for (const p of [apiProcess, ...workers]) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
});
