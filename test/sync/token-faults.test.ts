/**
 * A revoked token, end to end against `cohort serve` with the built-in emulator (issue #4): the
 * connection turns invalid_token, launches are refused, items park and, after a short
 * COHORT_SYNC_RETRY_WINDOW, become errored with a reason naming the token; after a reconnect new
 * entries sync again.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, expect, it } from 'vitest';
import { cleanEnv, exitOf, runCohort, startCohort, waitForLine } from '../support/cli.ts';
import { freshSqliteFile } from '../support/databases.ts';
import { apiOf, connectAndCreateAudience, sleep, type Api } from '../support/processes.ts';
import { emulatorAdmin } from '../support/tiktok.ts';

const db = freshSqliteFile();
const children: ChildProcess[] = [];
afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await db.drop();
});

it('revoked token → invalid_token, launch refused, items errored naming the token; a reconnect syncs new entries', { timeout: 120_000 }, async () => {
  const { stdout } = await runCohort(['workspaces', 'create', 'Faults', '--database', db.url]);
  const { api_key: key } = JSON.parse(stdout) as { api_key: string };
  const child = startCohort(['serve', '--port', '0', '--database', db.url], cleanEnv({ TIKTOK_EMULATOR_PORT: '0', COHORT_SYNC_RETRY_WINDOW: '3s' }));
  children.push(child);
  const [, emulatorUrl] = await waitForLine(child, /built-in TikTok emulator at (http:\/\/127\.0\.0\.1:\d+)/);
  const [, url] = await waitForLine(child, /cohort listening on (http:\/\/127\.0\.0\.1:\d+)/);
  const api: Api = apiOf(url!, key);
  const { advertiserId, audienceId } = await connectAndCreateAudience(api, emulatorUrl!);
  const canvasBody = (name: string) => ({
    name, first_step: 'sync',
    steps: [{ id: 'sync', type: 'audience_sync', next: null, config: { partner: 'tiktok', advertiser_id: advertiserId, audience_id: audienceId, action: 'add', fields: ['email'] } }],
  });
  const first = (await api('POST', '/api/canvases', canvasBody('Before'))).body.id as string;
  expect((await api('POST', `/api/canvases/${first}/launch`)).status).toBe(200);
  const draft = (await api('POST', '/api/canvases', canvasBody('Blocked'))).body.id as string;

  await emulatorAdmin(emulatorUrl!, '/tokens/revoke', { all: true });
  const recipients = Array.from({ length: 20 }, (_, i) => ({ external_user_id: `t${i}`, attributes: { email: `t${i}@example.com` } }));
  expect((await api('POST', '/api/canvas/trigger/send', { canvas_id: first, recipients })).status).toBe(201);

  // The sender meets 40105: the connection says so, and launches are refused with the reason.
  let status = '';
  for (let i = 0; i < 100 && status !== 'invalid_token'; i++, await sleep(100)) status = (await api('GET', '/api/partners/tiktok')).body.status;
  expect(status).toBe('invalid_token');
  const refused = await api('POST', `/api/canvases/${draft}/launch`);
  expect(refused.status).toBe(422);
  expect(JSON.stringify(refused.body)).toMatch(/token is invalid/);

  // After the 3-second window the parked items are errored, with the token as the reason.
  let step: { pending: number; errored: number; errors: { reason: string; count: number }[] } = { pending: 1, errored: 0, errors: [] };
  for (let i = 0; i < 100 && step.pending > 0; i++, await sleep(200)) step = (await api('GET', `/api/canvases/${first}/analytics`)).body.steps[0];
  expect(step).toMatchObject({ pending: 0, errored: 20, errors: [{ reason: 'invalid_token', count: 20 }] });

  // The admin reconnects; new entries sync.
  await connectAndCreateAudience(api, emulatorUrl!);
  expect((await api('GET', '/api/partners/tiktok')).body.status).toBe('connected');
  expect((await api('POST', '/api/canvas/trigger/send', { canvas_id: first, recipients: [{ external_user_id: 'after', attributes: { email: 'after@example.com' } }] })).status).toBe(201);
  for (let i = 0; i < 100 && (step as { synced?: number }).synced !== 1; i++, await sleep(100)) step = (await api('GET', `/api/canvases/${first}/analytics`)).body.steps[0];
  expect(step).toMatchObject({ entered: 21, synced: 1, errored: 20, pending: 0 });
  expect((await api('POST', `/api/canvases/${draft}/launch`)).status).toBe(200);
  child.kill('SIGTERM');
  expect((await exitOf(child)).code).toBe(0);
});
