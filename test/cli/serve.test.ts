import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, exitOf, REPO_ROOT, runCohort, startCohort, waitForLine } from '../support/cli.ts';
import { freshSqliteFile } from '../support/databases.ts';
import { startReceiver } from '../support/receivers.ts';

/** The dashboard's build (`npm run build:web`; `npm ci` runs it). CI must have it; a local clone may not. */
const BUILT_INDEX = join(REPO_ROOT, 'web', 'dist', 'index.html');
const dashboardBuilt = existsSync(BUILT_INDEX);

describe('cli: cohort serve', () => {
  let db: { url: string; drop: () => Promise<void> };
  const children: ChildProcess[] = [];
  beforeAll(() => {
    db = freshSqliteFile();
  });
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await db.drop();
  });

  it('serves on the port it logs (--port 0), answers /healthz and the API, and exits 0 on SIGTERM', async () => {
    const created = await runCohort(['workspaces', 'create', 'Serve', '--database', db.url]);
    const { api_key: key } = JSON.parse(created.stdout) as { api_key: string };

    const child = startCohort(['serve', '--port', '0', '--database', db.url]);
    children.push(child);
    const [, url] = await waitForLine(child, /cohort listening on (http:\/\/127\.0\.0\.1:\d+)/);
    expect(url).not.toMatch(/:0$/);

    const health = await fetch(`${url}/healthz`);
    expect([health.status, await health.json()]).toEqual([200, { status: 'ok' }]);
    const tracked = await fetch(`${url}/api/users/track`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ attributes: [{ external_id: 'served', email: 'served@example.com' }] }),
    });
    expect(await tracked.json()).toEqual({ message: 'success', attributes_processed: 1, events_processed: 0 });
    expect((await fetch(`${url}/api/users/served`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
    expect((await fetch(`${url}/api/openapi.json`)).status).toBe(200);

    child.kill('SIGTERM');
    expect(await exitOf(child)).toEqual({ code: 0, signal: null });
  });

  it('sends a webhook step\'s call from its webhook sender, moves the user on, and stops it in order on SIGTERM', async () => {
    const created = await runCohort(['workspaces', 'create', 'Hooks', '--database', db.url]);
    const { api_key: key } = JSON.parse(created.stdout) as { api_key: string };
    const rx = await startReceiver();
    try {
      // The allow list opens the local receiver once webhook targets are guarded (spec §9); harmless before.
      const child = startCohort(['serve', '--port', '0', '--database', db.url], cleanEnv({ COHORT_WEBHOOK_ALLOW_HOSTS: '127.0.0.1' }));
      children.push(child);
      // The start line lists the components, the webhook sender among them.
      const [, url] = await waitForLine(child, /"webhook-sender".*cohort listening on (http:\/\/127\.0\.0\.1:\d+)/);
      const api = async (method: string, path: string, body?: unknown) => {
        const res = await fetch(`${url}${path}`, { method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
        return (await res.json()) as { id: string; steps: { id: string; entered: number; proceeded: number; exited: number }[] };
      };
      const canvas = await api('POST', '/api/canvases', {
        name: 'Hook', first_step: 'hook',
        steps: [{ id: 'hook', type: 'webhook', next: 'mark', config: { url: `${rx.url}/served/{{external_id}}` } }, { id: 'mark', type: 'user_update', config: { set: { called: true } }, next: null }],
      });
      await api('POST', `/api/canvases/${canvas.id}/launch`);
      await api('POST', '/api/canvas/trigger/send', { canvas_id: canvas.id, recipients: [{ external_user_id: 'hooked' }] });
      let steps = (await api('GET', `/api/canvases/${canvas.id}/analytics`)).steps;
      for (let i = 0; i < 200 && steps[1]!.exited < 1; i++) {
        await new Promise((r) => setTimeout(r, 25));
        steps = (await api('GET', `/api/canvases/${canvas.id}/analytics`)).steps;
      }
      expect(rx.seen.map((r) => r.path)).toEqual(['/served/hooked']);
      expect(steps).toMatchObject([{ id: 'hook', entered: 1, proceeded: 1 }, { id: 'mark', entered: 1, exited: 1 }]);
      child.kill('SIGTERM');
      expect(await exitOf(child)).toEqual({ code: 0, signal: null });
    } finally {
      await rx.close();
    }
  });

  it.skipIf(!dashboardBuilt && !process.env.CI)(
    dashboardBuilt || process.env.CI ? 'serves the built dashboard at / and its assets, from web/dist found beside the code' : 'serves the built dashboard (skipped: web/dist/index.html is missing; run npm run build:web)',
    async () => {
      expect(existsSync(BUILT_INDEX), `${BUILT_INDEX} is missing: run npm run build:web (npm ci runs it)`).toBe(true);
      const child = startCohort(['serve', '--port', '0', '--database', db.url]);
      children.push(child);
      const [, url] = await waitForLine(child, /cohort listening on (http:\/\/127\.0\.0\.1:\d+)/);
      const home = await fetch(`${url}/`);
      expect(home.status).toBe(200);
      expect(home.headers.get('content-security-policy')).toContain("script-src 'self'");
      const html = await home.text();
      expect(html).toContain('<div id="root">');
      // The script the index names is served too: the dashboard can start, not only its shell.
      const script = html.match(/<script[^>]+src="(\/assets\/[^"]+\.js)"/)?.[1];
      expect(script, 'the index names a script under /assets/').toBeDefined();
      const js = await fetch(`${url}${script}`);
      expect([js.status, js.headers.get('content-type')]).toEqual([200, expect.stringMatching(/javascript/)]);
      child.kill('SIGTERM');
      expect(await exitOf(child)).toEqual({ code: 0, signal: null });
    },
  );

  it('runs without an API in role worker and exits 0 on SIGINT', async () => {
    const child = startCohort(['serve', '--role', 'worker', '--database', db.url], cleanEnv({ COHORT_PORT: '1' }));
    children.push(child);
    const [line] = await waitForLine(child, /"msg":"cohort started"/);
    expect(line).toBeDefined();
    child.kill('SIGINT');
    expect(await exitOf(child)).toEqual({ code: 0, signal: null });
  });

  it('refuses an unknown role and bad settings before starting', async () => {
    const role = await runCohort(['serve', '--role', 'everything', '--database', db.url]);
    expect(role.code).toBe(1);
    expect(role.stderr).toContain('Allowed choices are all, api, worker');
    const port = await runCohort(['serve', '--port', 'eighty', '--database', db.url]);
    expect(port.code).toBe(78);
    expect(port.stderr).toContain('COHORT_PORT (given as a flag)');
  });

  it('says in one line that the port is taken, and exits 1', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as AddressInfo;
    try {
      const res = await runCohort(['serve', '--port', String(port), '--database', db.url]);
      expect(res.code).toBe(1);
      expect(res.stderr).toContain(`cohort: cannot listen on 127.0.0.1:${port}: it is in use (another cohort serve?); choose another port with --port or COHORT_PORT`);
      expect(res.stderr).not.toMatch(/\n\s+at /); // no stack trace
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it('cohort serve --help describes the command', async () => {
    const res = await runCohort(['serve', '--help']);
    expect(res.code).toBe(0);
    for (const option of ['--port', '--database', '--role']) expect(res.stdout).toContain(option);
  });
});
