/**
 * `serve`'s built-in emulator (issue 16 finding 8): its consent page redirects only to Cohort's own
 * callback, as it is once the API listens, so an authorize link edited to point elsewhere cannot carry
 * an auth code away; and the start-up log says that every workspace shares its seeded ad accounts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config.ts';
import { systemClock } from './core/clock.ts';
import { createStore } from './store/index.ts';
import type { Store } from './store/port.ts';
import { EMULATOR_SHARED_NOTE, openTikTok, type TikTokRuntime } from './tiktok-runtime.ts';

const APP = 'cohort-local-app';

describe('serve: the built-in TikTok emulator', () => {
  let dir: string;
  let store: Store;
  let runtime: TikTokRuntime;
  const logs: string[] = [];
  // Before listen, serve knows only its configured port; once listening, its real address.
  let listening = 'http://127.0.0.1:8080';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cohort-runtime-'));
    const config = loadConfig({}, { databaseUrl: join(dir, 'cohort.db'), emulatorPort: 0 });
    store = await createStore(config.databaseUrl);
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logs.push(chunk.toString('utf8'));
        done();
      },
    });
    runtime = await openTikTok(config, { store, clock: systemClock(), logger: pino(sink), runsApi: true, publicUrl: () => listening });
    listening = 'http://127.0.0.1:43117';
  });
  afterAll(async () => {
    await runtime?.close();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const consentPage = (redirectUri: string) => fetch(`${runtime.emulatorUrl}/portal/auth?${new URLSearchParams({ app_id: APP, state: 's', redirect_uri: redirectUri })}`);
  const confirm = (redirectUri: string) =>
    fetch(`${runtime.emulatorUrl}/portal/auth`, {
      method: 'POST',
      body: new URLSearchParams({ app_id: APP, state: 's', redirect_uri: redirectUri, advertiser_ids: '7000000000000000001', decision: 'confirm' }),
      redirect: 'manual',
    });

  it("accepts Cohort's own callback, as the authorize_url names it once the API listens", async () => {
    const { authorize_url } = await runtime.connections.startConnect('ws_runtime', 'api_key');
    const redirectUri = new URL(authorize_url).searchParams.get('redirect_uri')!;
    expect(redirectUri).toBe(`${listening}/oauth/tiktok/callback`);
    expect((await fetch(authorize_url)).status).toBe(200);
    const res = await confirm(redirectUri);
    expect(res.status).toBe(302);
    expect(new URL(res.headers.get('location')!).origin).toBe(listening);
  });

  it.each([
    ['another site', 'https://attacker.example/oauth/tiktok/callback'],
    ['another path of Cohort', `http://127.0.0.1:43117/partners/tiktok`],
    ['the address before listen', 'http://127.0.0.1:8080/oauth/tiktok/callback'],
  ])('refuses %s as redirect_uri: no page to confirm, no auth code sent', async (_what, redirectUri) => {
    const page = await consentPage(redirectUri);
    expect(page.status).toBe(400);
    expect(await page.text()).toContain('does not match the redirect URL registered');
    const res = await confirm(redirectUri);
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
  });

  it('says in its start-up log line that every workspace shares its seeded ad accounts', () => {
    const line = logs.map((l) => JSON.parse(l) as { level: number; msg: string }).find((l) => l.msg.includes('using the built-in TikTok emulator'));
    expect(line?.level).toBe(40);
    expect(line?.msg).toContain('(no data reaches TikTok)');
    expect(line?.msg).toContain(EMULATOR_SHARED_NOTE);
    expect(EMULATOR_SHARED_NOTE).toMatch(/every workspace .* same seeded ad accounts/);
  });
});
