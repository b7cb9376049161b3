/**
 * Crash safety of the journey runtime (issue #3): `kill -9` of `cohort serve` during a 100,000-user
 * scheduled launch, then a restart on the same SQLite file. Every user enters exactly once and every
 * delay still fires.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, expect, it } from 'vitest';
import { hashApiKey, newApiKey } from '../../src/api/auth.ts';
import { createStore } from '../../src/store/index.ts';
import type { ProfilePatch } from '../../src/store/port.ts';
import { cleanEnv, exitOf, startCohort, waitForLine } from '../support/cli.ts';
import { freshSqliteFile } from '../support/databases.ts';

const N = 100_000;
const db = freshSqliteFile();
const children: ChildProcess[] = [];
afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await db.drop();
});

async function serve(): Promise<{ child: ChildProcess; url: string }> {
  // A short lease so the restarted worker takes over the dead one's claims within seconds.
  const child = startCohort(['serve', '--port', '0', '--database', db.url], cleanEnv({ COHORT_WORKER_LEASE: '3s' }));
  children.push(child);
  const [, url] = await waitForLine(child, /cohort listening on (http:\/\/127\.0\.0\.1:\d+)/);
  return { child, url: url! };
}

it('kill -9 during a 100,000-user scheduled launch, then restart: everyone enters exactly once and every delay fires', { timeout: 240_000 }, async () => {
  const key = newApiKey();
  const store = await createStore(db.url);
  await store.createWorkspace({ id: 'ws_crash', name: 'crash' }, Date.now());
  await store.insertApiKey({ id: 'key_crash', workspaceId: 'ws_crash', keyHash: hashApiKey(key) }, Date.now());
  for (let start = 0; start < N; start += 10_000) {
    const patches: ProfilePatch[] = Array.from({ length: 10_000 }, (_, i) => ({ externalId: `u${start + i}`, standard: {}, custom: {} }));
    await store.transaction((tx) => tx.upsertProfiles('ws_crash', patches, Date.now()));
  }
  await store.close();

  const first = await serve();
  const api = (url: string, path: string, body?: unknown) =>
    fetch(`${url}${path}`, { method: body === undefined ? 'GET' : 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) }).then(
      (r) => r.json() as Promise<{ id: string; steps: { id: string; entered: number; proceeded: number; exited: number }[] }>,
    );
  const canvas = await api(first.url, '/api/canvases', {
    name: 'Crash test', entry: { type: 'scheduled', at: null }, first_step: 'wait',
    steps: [{ id: 'wait', type: 'delay', config: { seconds: 5 }, next: 'mark' }, { id: 'mark', type: 'user_update', config: { set: { reached: true } }, next: null }],
  });
  await fetch(`${first.url}/api/canvases/${canvas.id}/launch`, { method: 'POST', headers: { authorization: `Bearer ${key}` } });

  // Kill it hard once the launch is under way but not finished.
  let enteredAtKill: number;
  for (;;) {
    enteredAtKill = (await api(first.url, `/api/canvases/${canvas.id}/analytics`)).steps[0]!.entered;
    if (enteredAtKill >= 10_000) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  first.child.kill('SIGKILL');
  expect((await exitOf(first.child)).signal).toBe('SIGKILL');
  expect(enteredAtKill).toBeLessThan(N);

  const second = await serve();
  let steps: Record<string, { entered: number; proceeded: number; exited: number }> = {};
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    steps = Object.fromEntries((await api(second.url, `/api/canvases/${canvas.id}/analytics`)).steps.map((s) => [s.id, s]));
    if (steps.mark?.exited === N) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  expect(steps.wait).toMatchObject({ entered: N, proceeded: N, exited: 0 });
  expect(steps.mark).toMatchObject({ entered: N, exited: N });
  second.child.kill('SIGTERM');
  expect((await exitOf(second.child)).code).toBe(0);

  // The rows agree with the counts: one entry per user, all through the delay.
  const check = await createStore(db.url);
  try {
    const sample = await check.getProfilesByExternalIds('ws_crash', ['u0', `u${N - 1}`, 'u54321']);
    expect(sample.map((p) => p.custom)).toEqual([{ reached: true }, { reached: true }, { reached: true }]);
    const stats = await check.countEntries('ws_crash', canvas.id);
    expect(stats).toEqual({ entries: N, users: N, exited: N });
  } finally {
    await check.close();
  }
});
