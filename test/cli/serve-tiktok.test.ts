/**
 * `cohort serve` without TikTok credentials (spec §5; issue #4 item 2): it runs the built-in emulator
 * in-process, says so loudly, and connecting works end to end against it.
 */
import type { ChildProcess } from 'node:child_process';
import { statSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, exitOf, runCohort, startCohort, waitForLine } from '../support/cli.ts';
import { freshSqliteFile } from '../support/databases.ts';
import { consent, SEED } from '../support/tiktok.ts';

const EMULATOR_LINE = /"level":40,[^\n]*"msg":"TikTok: no TIKTOK_APP_ID\/TIKTOK_APP_SECRET — using the built-in TikTok emulator at (http:\/\/127\.0\.0\.1:\d+) \(no data reaches TikTok\); every workspace of this Cohort connects to the same seeded ad accounts and audiences there"/;
const LISTENING = /cohort listening on (http:\/\/127\.0\.0\.1:\d+)/;

describe('cli: cohort serve without TikTok credentials', () => {
  let db: { url: string; drop: () => Promise<void> };
  let key: string;
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    db = freshSqliteFile();
    const created = await runCohort(['workspaces', 'create', 'Emulated', '--database', db.url]);
    key = (JSON.parse(created.stdout) as { api_key: string }).api_key;
  });
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await db.drop();
  });

  async function serve(): Promise<{ child: ChildProcess; url: string; emulatorUrl: string }> {
    const child = startCohort(['serve', '--port', '0', '--database', db.url], cleanEnv({ TIKTOK_EMULATOR_PORT: '0' }));
    children.push(child);
    const [warned, listening] = await Promise.all([waitForLine(child, EMULATOR_LINE), waitForLine(child, LISTENING)]);
    return { child, url: listening[1]!, emulatorUrl: warned[1]! };
  }
  const api = (url: string, method: string, path: string, body?: unknown) =>
    fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  it('warns, reports emulator: true, and connects end to end against the in-process emulator', async () => {
    const { child, url, emulatorUrl } = await serve();
    expect(emulatorUrl).not.toMatch(/:0$/);

    expect(await (await api(url, 'GET', '/api/partners/tiktok')).json()).toEqual({ status: 'disconnected', advertisers: [], status_reason: null, emulator: true });
    // The dashboard's TikTok page shows the emulator badge from this `emulator: true` (test/web/partner-emulator.test.ts).

    const { authorize_url } = (await (await api(url, 'POST', '/api/partners/tiktok/connect')).json()) as { authorize_url: string };
    const authorize = new URL(authorize_url);
    expect(`${authorize.origin}${authorize.pathname}`).toBe(`${emulatorUrl}/portal/auth`);
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${url}/oauth/tiktok/callback`);
    const back = await consent(emulatorUrl, { state: authorize.searchParams.get('state')!, redirectUri: authorize.searchParams.get('redirect_uri')! });
    expect(back.origin).toBe(url);
    const landed = await fetch(back, { redirect: 'manual' });
    expect(landed.status).toBe(302);
    expect(landed.headers.get('location')).toBe('/partners/tiktok?connected=1');

    const connected = (await (await api(url, 'GET', '/api/partners/tiktok')).json()) as { status: string; advertisers: { advertiser_id: string }[] };
    expect(connected.status).toBe('connected');
    expect(connected.advertisers.map((a) => a.advertiser_id)).toEqual([...SEED.advertisers]);
    const [advertiser] = SEED.advertisers;
    const created = await api(url, 'POST', '/api/partners/tiktok/audiences', { advertiser_id: advertiser, name: 'Served' });
    expect(created.status).toBe(201);
    const { audiences } = (await (await api(url, 'GET', `/api/partners/tiktok/audiences?advertiser_id=${advertiser}`)).json()) as { audiences: { name: string }[] };
    expect(audiences.map((a) => a.name)).toEqual(['Served']);

    // The token key was generated into the data folder, readable by its owner only.
    const keyFile = join(dirname(db.url), 'secret.key');
    if (process.platform !== 'win32') expect(statSync(keyFile).mode & 0o777).toBe(0o600);

    child.kill('SIGTERM');
    expect(await exitOf(child)).toEqual({ code: 0, signal: null });
    // The emulator stopped with it.
    await expect(fetch(`${emulatorUrl}/_emulator/stats`)).rejects.toThrow();
  });

  it('falls back to a free port when TIKTOK_EMULATOR_PORT is taken; a worker-only process points at TIKTOK_EMULATOR_PORT', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as AddressInfo).port;
    try {
      const child = startCohort(['serve', '--port', '0', '--role', 'api', '--database', db.url], cleanEnv({ TIKTOK_EMULATOR_PORT: String(taken) }));
      children.push(child);
      const [fallback, warned] = await Promise.all([
        waitForLine(child, new RegExp(`TikTok emulator: port ${taken} is taken; using \\d+ instead`)),
        waitForLine(child, EMULATOR_LINE),
        waitForLine(child, LISTENING),
      ]);
      expect(fallback[0]).toBeDefined();
      expect(warned[1]).not.toBe(`http://127.0.0.1:${taken}`);
      child.kill('SIGTERM');
      expect(await exitOf(child)).toEqual({ code: 0, signal: null });

      const worker = startCohort(['serve', '--role', 'worker', '--database', db.url], cleanEnv({ TIKTOK_EMULATOR_PORT: String(taken) }));
      children.push(worker);
      const [[line]] = await Promise.all([
        waitForLine(worker, /"level":40,[^\n]*sending to the TikTok emulator at (http:\/\/127\.0\.0\.1:\d+), run by the API process/),
        waitForLine(worker, /"msg":"cohort started"/),
      ]);
      expect(line).toContain(`http://127.0.0.1:${taken}`);
      worker.kill('SIGTERM');
      expect(await exitOf(worker)).toEqual({ code: 0, signal: null });
    } finally {
      blocker.close();
    }
  });

  it('on a restart, the key file is reused: the stored token decrypts, and the fresh emulator (which forgot it) makes it invalid_token', async () => {
    const { child, url } = await serve();
    expect(((await (await api(url, 'GET', '/api/partners/tiktok')).json()) as { status: string }).status).toBe('connected');
    const listed = await api(url, 'GET', `/api/partners/tiktok/audiences?advertiser_id=${SEED.advertisers[0]}`);
    expect(listed.status).toBe(409);
    const body = (await listed.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('tiktok_token_invalid');
    expect(body.error.message).toContain('token_revoked'); // not secret_key_changed: the same key decrypted it
    child.kill('SIGTERM');
    expect(await exitOf(child)).toEqual({ code: 0, signal: null });
  });
});
