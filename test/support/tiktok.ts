/** Test helpers that act as a person and as TikTok's admin would, over real HTTP. */
import { expect } from 'vitest';

export const SEED = {
  appId: 'cohort-local-app',
  appSecret: 'cohort-local-secret',
  advertisers: ['7000000000000000001', '7000000000000000002'],
} as const;

/** Walks the consent page like a person: opens it, ticks the given advertisers, presses Confirm. */
export async function consent(
  emulatorUrl: string,
  p: { state: string; redirectUri: string; advertiserIds?: readonly string[]; appId?: string; decision?: 'confirm' | 'cancel' },
): Promise<URL> {
  const page = new URL('/portal/auth', emulatorUrl);
  page.searchParams.set('app_id', p.appId ?? SEED.appId);
  page.searchParams.set('state', p.state);
  page.searchParams.set('redirect_uri', p.redirectUri);
  const html = await (await fetch(page)).text();
  expect(html).toContain('name="advertiser_ids"');
  const form = new URLSearchParams({ app_id: p.appId ?? SEED.appId, state: p.state, redirect_uri: p.redirectUri, decision: p.decision ?? 'confirm' });
  for (const id of p.advertiserIds ?? SEED.advertisers) form.append('advertiser_ids', id);
  const res = await fetch(new URL('/portal/auth', emulatorUrl), { method: 'POST', body: form, redirect: 'manual' });
  expect(res.status).toBe(302);
  return new URL(res.headers.get('location') ?? '');
}

export async function emulatorAdmin<T = unknown>(emulatorUrl: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(new URL(`/_emulator${path}`, emulatorUrl), {
    method: body === undefined ? 'GET' : 'POST',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`emulator admin ${path}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

/** `GET /_emulator/stats`, as the emulator defines it. */
export type { StatsView as EmulatorStats } from '../../src/emulator/stats.ts';

export interface EmulatorMembers {
  audience_id: string;
  members: Record<string, string[]>;
  counts: Record<string, number>;
}
