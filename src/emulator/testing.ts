/**
 * Helpers for the emulator's own tests (`*.test.ts` beside this file): drive it over real HTTP the way
 * a client would. Not used by the emulator itself.
 */
import { createHash } from 'node:crypto';
import type { RunningEmulator } from './index.ts';

export const US = '7000000000000000001';
export const EU = '7000000000000000002';
export const APP_ID = 'cohort-local-app';
export const SECRET = 'cohort-local-secret';
export const API = '/open_api/v1.3';
export const REDIRECT = 'http://localhost:3000/oauth/tiktok/callback';

export interface EnvelopeJson {
  code: number;
  message: string;
  request_id: string;
  // Tests read whichever fields the route returns; a structural type per route would only restate it.
  data: Record<string, unknown> & { list?: Record<string, unknown>[] };
}

export const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');
export const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

/** Submits the consent form; answers the raw 302/400 response (redirects are not followed). */
export function submitConsent(
  emu: RunningEmulator,
  fields: { advertiserIds?: string[]; decision?: string; state?: string; redirectUri?: string; appId?: string },
): Promise<Response> {
  const form = new URLSearchParams({ app_id: fields.appId ?? APP_ID, redirect_uri: fields.redirectUri ?? REDIRECT });
  if (fields.state !== undefined) form.set('state', fields.state);
  for (const id of fields.advertiserIds ?? []) form.append('advertiser_ids', id);
  form.set('decision', fields.decision ?? 'confirm');
  return fetch(`${emu.url}/portal/auth`, { method: 'POST', body: form, redirect: 'manual' });
}

/** The auth_code of a confirmed consent. */
export async function authCode(emu: RunningEmulator, advertiserIds: string[] = [US, EU]): Promise<string> {
  const res = await submitConsent(emu, { advertiserIds, state: 's' });
  const code = new URL(res.headers.get('location')!).searchParams.get('auth_code');
  if (!code) throw new Error(`consent did not redirect with an auth_code (HTTP ${res.status})`);
  return code;
}

export async function post(emu: RunningEmulator, path: string, body: unknown, token?: string): Promise<EnvelopeJson> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== undefined) headers['Access-Token'] = token;
  const res = await fetch(`${emu.url}${API}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
  if (res.status !== 200) throw new Error(`POST ${path}: HTTP ${res.status}`);
  return (await res.json()) as EnvelopeJson;
}

/** GET with query parameters; arrays are JSON-encoded as TikTok expects. */
export async function get(
  emu: RunningEmulator,
  path: string,
  query: Record<string, string | number | string[]>,
  token?: string,
): Promise<EnvelopeJson> {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) qs.set(k, Array.isArray(v) ? JSON.stringify(v) : String(v));
  const res = await fetch(`${emu.url}${API}${path}?${qs}`, token === undefined ? {} : { headers: { 'Access-Token': token } });
  if (res.status !== 200) throw new Error(`GET ${path}: HTTP ${res.status}`);
  return (await res.json()) as EnvelopeJson;
}

/** Consent + exchange: a live access token for the given advertisers. */
export async function connect(emu: RunningEmulator, advertiserIds: string[] = [US, EU]): Promise<string> {
  const code = await authCode(emu, advertiserIds);
  const res = await post(emu, '/oauth2/access_token/', { app_id: APP_ID, secret: SECRET, auth_code: code });
  if (res.code !== 0) throw new Error(`exchange failed: ${res.code} ${res.message}`);
  return res.data.access_token as string;
}

export async function createAudience(emu: RunningEmulator, token: string, name = 'VIP', advertiserId = US): Promise<string> {
  const res = await post(emu, '/segment/audience/', { advertiser_id: advertiserId, custom_audience_name: name, action: 'create' }, token);
  if (res.code !== 0) throw new Error(`create failed: ${res.code} ${res.message}`);
  return res.data.audience_id as string;
}

export interface AdminAnswer {
  status: number;
  // Admin answers are plain JSON of several shapes; tests assert on the fields they care about.
  json: Record<string, unknown>;
}

export async function adminGet(emu: RunningEmulator, path: string): Promise<AdminAnswer> {
  const res = await fetch(`${emu.url}/_emulator${path}`);
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

export async function adminPost(emu: RunningEmulator, path: string, body?: unknown): Promise<AdminAnswer> {
  const init: RequestInit =
    body === undefined
      ? { method: 'POST' }
      : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
  const res = await fetch(`${emu.url}/_emulator${path}`, init);
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** A mapping body for one audience: `n` users with an email hash each, derived from `seed`. */
export function emailMapping(audienceId: string, n: number, action = 'add', seed = 'user'): Record<string, unknown> {
  return {
    advertiser_ids: [US],
    action,
    id_schema: ['EMAIL_SHA256'],
    batch_data: Array.from({ length: n }, (_, i) => [{ id: sha256(`${seed}${i}@example.com`), audience_ids: [audienceId] }]),
  };
}
