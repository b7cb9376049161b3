/**
 * The newcomer's path through the public API only (issue #4 acceptance), against `cohort serve` as a
 * user runs it: SQLite, no TikTok credentials, so the built-in emulator. Connect through the consent
 * page, create an audience, launch an api-triggered canvas, track and trigger 20,000 users with a mix
 * of identifiers (and some with none), and check the emulator holds exactly the expected hashes, the
 * numbers are exact, the budget was never exceeded — then a remove canvas takes users out.
 */
import { createHash } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { afterAll, expect, it } from 'vitest';
import { cleanEnv, exitOf, runCohort, startCohort, waitForLine } from '../support/cli.ts';
import { freshSqliteFile } from '../support/databases.ts';
import { consent, emulatorAdmin, type EmulatorMembers, type EmulatorStats } from '../support/tiktok.ts';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const N = 20_000;
const db = freshSqliteFile();
const children: ChildProcess[] = [];
afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await db.drop();
});

/** User i: every 10th has nothing usable; the rest a mix of email, phone, idfa and gaid. */
function user(i: number): Record<string, string> {
  if (i % 10 === 0) return { first_name: `No ids ${i}` };
  const u: Record<string, string> = {};
  if (i % 2 === 1) u.email = `user${i}@example.com`;
  if (i % 3 === 1) u.phone = `+1415${String(1_000_000 + i)}`;
  if (i % 5 === 2) u.idfa = `6d92078a-8246-4ba4-ae5b-${String(i).padStart(12, '0')}`;
  if (i % 7 === 3) u.gaid = `38400000-8cf0-11bd-b23e-${String(i).padStart(12, '0')}`;
  if (Object.keys(u).length === 0) u.email = `user${i}@example.com`;
  return u;
}

it('newcomer path: connect, audience, launch, 20,000 users, exact hashes and numbers, then remove', { timeout: 240_000 }, async () => {
  const { stdout } = await runCohort(['workspaces', 'create', 'Newcomer', '--database', db.url]);
  const { api_key: key } = JSON.parse(stdout) as { api_key: string };
  const child = startCohort(['serve', '--port', '0', '--database', db.url], cleanEnv({ TIKTOK_EMULATOR_PORT: '0' }));
  children.push(child);
  const [, emulatorUrl] = await waitForLine(child, /built-in TikTok emulator at (http:\/\/127\.0\.0\.1:\d+)/);
  const [, url] = await waitForLine(child, /cohort listening on (http:\/\/127\.0\.0\.1:\d+)/);
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${url}${path}`, { method, headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body), redirect: 'manual' });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };

  // Connect: our authorize_url → the consent page (a person ticks both ad accounts) → our callback.
  const { body: connect } = await api('POST', '/api/partners/tiktok/connect');
  const authorize = new URL(connect.authorize_url as string);
  expect(authorize.origin).toBe(emulatorUrl);
  const back = await consent(emulatorUrl!, { state: authorize.searchParams.get('state')!, redirectUri: authorize.searchParams.get('redirect_uri')! });
  const callback = await fetch(back, { redirect: 'manual' });
  expect(callback.status).toBe(302);
  const partner = await api('GET', '/api/partners/tiktok');
  expect(partner.body.status).toBe('connected');
  const advertiserId = partner.body.advertisers[0].advertiser_id as string;
  expect((await api('PUT', '/api/partners/tiktok/advertisers', { advertiser_ids: [advertiserId] })).status).toBe(200);
  const { body: audience } = await api('POST', '/api/partners/tiktok/audiences', { advertiser_id: advertiserId, name: 'Newcomers' });
  const audienceId = audience.audience_id as string;

  const canvas = async (action: 'add' | 'remove') => {
    const c = await api('POST', '/api/canvases', {
      name: `Sync ${action}`, entry: { type: 'api' }, first_step: 'sync',
      steps: [{ id: 'sync', type: 'audience_sync', next: null, config: { partner: 'tiktok', advertiser_id: advertiserId, audience_id: audienceId, action, fields: ['email', 'phone', 'idfa', 'gaid'] } }],
    });
    const launched = await api('POST', `/api/canvases/${c.body.id}/launch`);
    expect(launched.status, JSON.stringify(launched.body)).toBe(200);
    return c.body.id as string;
  };
  const addCanvas = await canvas('add');
  for (let start = 0; start < N; start += 10_000) {
    const ids = Array.from({ length: 10_000 }, (_, k) => start + k);
    expect((await api('POST', '/api/users/track', { attributes: ids.map((i) => ({ external_id: `u${i}`, ...user(i) })) })).status).toBe(200);
    expect((await api('POST', '/api/canvas/trigger/send', { canvas_id: addCanvas, recipients: ids.map((i) => ({ external_user_id: `u${i}` })) })).status).toBe(201);
  }
  const settled = async (canvasId: string, entered: number) => {
    for (let i = 0; i < 600; i++) {
      const step = (await api('GET', `/api/canvases/${canvasId}/analytics`)).body.steps[0];
      if (step.entered === entered && step.pending === 0) return step;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error('the sync did not settle');
  };
  const usable = Array.from({ length: N }, (_, i) => i).filter((i) => i % 10 !== 0);
  expect(await settled(addCanvas, N)).toMatchObject({ entered: N, synced: usable.length, not_synced: N - usable.length, pending: 0, errored: 0 });

  const expected = (ids: number[]) => ({
    EMAIL_SHA256: new Set(ids.filter((i) => user(i).email).map((i) => sha(user(i).email!))),
    PHONE_SHA256: new Set(ids.filter((i) => user(i).phone).map((i) => sha(user(i).phone!))),
    IDFA_SHA256: new Set(ids.filter((i) => user(i).idfa).map((i) => sha(user(i).idfa!))),
    AAID_SHA256: new Set(ids.filter((i) => user(i).gaid).map((i) => sha(user(i).gaid!))),
  });
  const held = async () => {
    const m = await emulatorAdmin<EmulatorMembers>(emulatorUrl!, `/audiences/${audienceId}/members`);
    return Object.fromEntries(['EMAIL_SHA256', 'PHONE_SHA256', 'IDFA_SHA256', 'AAID_SHA256'].map((s) => [s, new Set(m.members[s] ?? [])]));
  };
  expect(await held()).toEqual(expected(usable));
  const stats = await emulatorAdmin<EmulatorStats>(emulatorUrl!, '/stats');
  expect(stats.max_mapping_requests_in_any_second).toBeLessThanOrEqual(50);
  expect(stats.rate_limited).toBe(0);

  // Prometheus: requests by outcome, rows sent, the lag histogram and the pending total.
  const metrics = await (await fetch(`${url}/metrics`)).text();
  expect(metrics).toMatch(new RegExp(`^cohort_sync_rows_sent_total ${usable.length}$`, 'm'));
  expect(metrics).toMatch(/^cohort_sync_requests_total\{outcome="ok"\} \d+$/m);
  expect(metrics).toMatch(new RegExp(`^cohort_sync_ack_lag_seconds_count ${usable.length}$`, 'm'));
  expect(metrics).toMatch(/^# TYPE cohort_sync_pending_items gauge$/m);
  // Without COHORT_METRICS_TOKEN no series names a workspace or an audience (spec §9).
  expect(metrics).not.toMatch(/workspace_id|audience_id/);
  expect(metrics).toMatch(/^# TYPE cohort_sync_rate_limit_waits_total counter$/m);

  // A second canvas removes the first 5,000 users.
  const removeCanvas = await canvas('remove');
  const removed = Array.from({ length: 5_000 }, (_, i) => i);
  expect((await api('POST', '/api/canvas/trigger/send', { canvas_id: removeCanvas, recipients: removed.map((i) => ({ external_user_id: `u${i}` })) })).status).toBe(201);
  await settled(removeCanvas, 5_000);
  expect(await held()).toEqual(expected(usable.filter((i) => i >= 5_000)));

  child.kill('SIGTERM');
  expect((await exitOf(child)).code).toBe(0);
});
