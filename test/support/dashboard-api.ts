/**
 * A script that talks to a running `cohort serve` as a signed-in member: the session cookie, plus the
 * CSRF token on requests that change state (spec §8). Browser tests use it where a script would be the
 * user (tracking and triggering users, setting up a workspace), and to hand a session to a browser.
 */
import type { BrowserContext } from 'playwright-core';

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
