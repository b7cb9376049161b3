/**
 * An OAuth state bound to the browser that started the connect (spec §9 OAuth; issue 16 finding 8).
 * Whoever holds a state can finish a connect, so a state that leaks (a shared link, a log, a referrer)
 * would let someone link the workspace to *their* TikTok account from *their* browser, and Cohort would
 * then send the workspace's users to their ad account. `connect` therefore also sets a cookie holding a
 * random nonce, and the state row keeps the nonce's SHA-256:
 * - a connect started from a dashboard session needs that cookie back at the callback;
 * - a connect started with an API key (a script, which keeps no cookies) is authorised by the
 *   single-use, 10-minute state alone, as before;
 * - a callback presenting a cookie that does not match is refused either way.
 * The cookie's name is derived from the state, so two connects in one browser do not overwrite each
 * other's cookie; it is HttpOnly, SameSite=Lax (TikTok's redirect back is a top-level GET from another
 * site, which Lax lets through), sent only to the callback's path, and Secure when Cohort is served
 * over https.
 */
import { createHash, randomBytes } from 'node:crypto';

export const OAUTH_COOKIE_PATH = '/oauth/tiktok';
const COOKIE_PREFIX = 'cohort_oauth_';

/** What the API sets on `connect`'s answer (with @fastify/cookie's option names). */
export interface BrowserCookie {
  name: string;
  value: string;
  options: { path: string; maxAge: number; httpOnly: true; sameSite: 'lax'; secure: boolean };
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** The cookie that carries `state`'s nonce (a label keeps the name apart from the stored state hash). */
export const oauthCookieName = (state: string): string => `${COOKIE_PREFIX}${sha256(`cohort/oauth-cookie\u0000${state}`).slice(0, 24)}`;

/** A fresh nonce for `state`: the cookie to set, and the hash to store with the state. */
export function newBrowserCookie(state: string, p: { secure: boolean; ttlMs: number }): { cookie: BrowserCookie; hash: string } {
  const value = randomBytes(32).toString('base64url');
  return {
    cookie: { name: oauthCookieName(state), value, options: { path: OAUTH_COOKIE_PATH, maxAge: Math.floor(p.ttlMs / 1000), httpOnly: true, sameSite: 'lax', secure: p.secure } },
    hash: sha256(value),
  };
}

/** The hash of the nonce this request presents for `state`, or null when it presents none. */
export function presentedBrowserHash(state: string, cookies: Readonly<Record<string, string | undefined>>): string | null {
  const value = cookies[oauthCookieName(state)];
  return value === undefined || value === '' ? null : sha256(value);
}
