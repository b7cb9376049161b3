/**
 * Cohort and the TikTok emulator as separate processes, as an operator runs them: for tests that
 * kill -9 Cohort while TikTok (the emulator) keeps its state.
 */
import type { ChildProcess } from 'node:child_process';
import { cleanEnv, startCohort, waitForLine } from './cli.ts';
import { consent, SEED } from './tiktok.ts';

export interface Running {
  child: ChildProcess;
  url: string;
}

export async function startEmulatorProcess(children: ChildProcess[]): Promise<Running> {
  const child = startCohort(['tiktok-emulator', '--port', '0']);
  children.push(child);
  const [, url] = await waitForLine(child, /listening on (http:\/\/127\.0\.0\.1:\d+)/);
  return { child, url: url! };
}

/** `cohort serve` against an external TikTok (the emulator process), with a short lease so a restart takes over fast. */
export async function startServe(children: ChildProcess[], p: { database: string; emulatorUrl: string; role?: 'all' | 'api' | 'worker'; env?: Record<string, string> }): Promise<Running & { leading: () => boolean }> {
  const env = cleanEnv({
    TIKTOK_APP_ID: SEED.appId,
    TIKTOK_APP_SECRET: SEED.appSecret,
    TIKTOK_API_BASE: p.emulatorUrl,
    TIKTOK_AUTH_URL: `${p.emulatorUrl}/portal/auth`,
    COHORT_SECRET_KEY: 'a-test-secret-key-that-is-long-enough-0123456789',
    COHORT_WORKER_LEASE: '3s',
    ...p.env,
  });
  const child = startCohort(['serve', '--port', '0', '--database', p.database, '--role', p.role ?? 'all'], env);
  children.push(child);
  const [, url] = await waitForLine(child, /cohort listening on (http:\/\/127\.0\.0\.1:\d+)|"msg":"cohort started"/);
  let leading = false;
  child.stdout!.on('data', (chunk: Buffer | string) => {
    const text = chunk.toString();
    if (text.includes('this process now sends to TikTok')) leading = true;
    if (text.includes('this process stopped sending to TikTok')) leading = false;
  });
  return { child, url: url ?? '', leading: () => leading };
}

export type Api = (method: string, path: string, body?: unknown) => Promise<{ status: number; body: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON answers, asserted field by field

export function apiOf(url: string, key: string): Api {
  return async (method, path, body) => {
    const res = await fetch(`${url}${path}`, { method, redirect: 'manual', headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
}

/** Connects the workspace to TikTok through the consent page and creates an audience. */
export async function connectAndCreateAudience(api: Api, emulatorUrl: string): Promise<{ advertiserId: string; audienceId: string }> {
  const { body } = await api('POST', '/api/partners/tiktok/connect');
  const authorize = new URL(body.authorize_url as string);
  const back = await consent(emulatorUrl, { state: authorize.searchParams.get('state')!, redirectUri: authorize.searchParams.get('redirect_uri')! });
  const callback = await fetch(back, { redirect: 'manual' });
  if (callback.status !== 302) throw new Error(`callback answered ${callback.status}`);
  const advertiserId = SEED.advertisers[0];
  await api('PUT', '/api/partners/tiktok/advertisers', { advertiser_ids: [advertiserId] });
  const created = await api('POST', '/api/partners/tiktok/audiences', { advertiser_id: advertiserId, name: 'Crash test' });
  if (created.status !== 201) throw new Error(`audience create answered ${created.status}: ${JSON.stringify(created.body)}`);
  return { advertiserId, audienceId: created.body.audience_id as string };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
