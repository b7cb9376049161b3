/**
 * A script that talks to a running `cohort serve` as a signed-in member: the session cookie, plus the
 * CSRF token on requests that change state (spec §8). Browser tests use it where a script would be the
 * user (tracking and triggering users, setting up a workspace), and to hand a session to a browser.
 */
import type { BrowserContext } from 'playwright-core';
import { consent } from './tiktok.ts';

export interface SessionApi {
  url: string;
  /** The `cohort_session` cookie's value. */
  cookie: string;
  csrf: string;
  workspaceId: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers, asserted field by field
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
}

const cookieOf = (res: Response): string => {
  const match = /(?:^|,\s*)cohort_session=([^;]+)/.exec(res.headers.get('set-cookie') ?? '');
  if (!match) throw new Error(`no session cookie in the ${res.status} answer`);
  return match[1]!;
};

/** The API as the member whose session cookie this is. */
export async function sessionApi(url: string, cookie: string): Promise<SessionApi> {
  const res = await fetch(`${url}/api/session`, { headers: { cookie: `cohort_session=${cookie}` } });
  if (res.status !== 200) throw new Error(`GET /api/session answered ${res.status}`);
  const session = (await res.json()) as { csrf_token: string; workspace: { id: string } };
  return {
    url,
    cookie,
    csrf: session.csrf_token,
    workspaceId: session.workspace.id,
    async call(method, path, body) {
      const headers: Record<string, string> = { cookie: `cohort_session=${cookie}`, 'x-csrf-token': session.csrf_token };
      if (body !== undefined) headers['content-type'] = 'application/json';
      const answer = await fetch(`${url}${path}`, { method, headers, redirect: 'manual', body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await answer.text();
      return { status: answer.status, body: text ? JSON.parse(text) : null };
    },
  };
}

/** First-run setup through the API (for tests whose subject is another page): the new admin's API. */
export async function setupAdmin(url: string, o: { workspace?: string; email?: string; password?: string } = {}): Promise<SessionApi> {
  const res = await fetch(`${url}/api/setup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ workspace_name: o.workspace ?? 'Acme', email: o.email ?? 'admin@example.com', password: o.password ?? 'correct horse battery' }),
  });
  if (res.status !== 201) throw new Error(`POST /api/setup answered ${res.status}: ${await res.text()}`);
  return sessionApi(url, cookieOf(res));
}

/** Signs a browser context in as that member (the cookie the server set, for the server's origin). */
export async function signInContext(context: BrowserContext, api: SessionApi): Promise<void> {
  await context.addCookies([{ name: 'cohort_session', value: api.cookie, url: api.url, httpOnly: true, sameSite: 'Lax' }]);
}

/**
 * Connects the member's workspace to TikTok as the partner page does, by script: connect sets a cookie
 * binding the OAuth state to this "browser", the emulator's consent page answers, the callback gets
 * that cookie; then the given ad accounts are picked.
 */
export async function connectTikTok(admin: SessionApi, emulatorUrl: string, advertiserIds: string[]): Promise<void> {
  const res = await fetch(`${admin.url}/api/partners/tiktok/connect`, { method: 'POST', headers: { cookie: `cohort_session=${admin.cookie}`, 'x-csrf-token': admin.csrf } });
  if (res.status !== 200) throw new Error(`connect answered ${res.status}`);
  const binding = /(cohort_oauth_[^=]+=[^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1];
  if (!binding) throw new Error('connect set no OAuth binding cookie');
  const authorize = new URL(((await res.json()) as { authorize_url: string }).authorize_url);
  const back = await consent(emulatorUrl, { state: authorize.searchParams.get('state')!, redirectUri: authorize.searchParams.get('redirect_uri')! });
  const callback = await fetch(back, { redirect: 'manual', headers: { cookie: binding } });
  if (callback.status !== 302 || !callback.headers.get('location')?.includes('connected=1')) throw new Error(`the callback answered ${callback.status} to ${callback.headers.get('location')}`);
  const picked = await admin.call('PUT', '/api/partners/tiktok/advertisers', { advertiser_ids: advertiserIds });
  if (picked.status !== 200) throw new Error(`picking ad accounts answered ${picked.status}`);
}
