/** Dashboard sessions for API tests: sign in through the API, then send requests as that browser would. */
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import type { Clock } from '../../src/core/clock.ts';
import { createMemberService } from '../../src/members/service.ts';
import type { MemberRole } from '../../src/store/member-port.ts';
import type { Store } from '../../src/store/port.ts';

export interface Browser {
  /** The session cookie's value. */
  cookie: string;
  csrf: string;
  /** A request with the cookie; `csrf`: true sends the session's token, a string sends that, false none. */
  send(method: InjectOptions['method'], url: string, body?: unknown, o?: { csrf?: boolean | string }): Promise<LightMyRequestResponse>;
}

export function sessionCookieOf(res: LightMyRequestResponse): string {
  const c = res.cookies.find((x) => x.name === 'cohort_session');
  if (!c) throw new Error(`no session cookie in ${res.statusCode} ${res.body}`);
  return c.value;
}

export function browserOf(app: FastifyInstance, signedIn: LightMyRequestResponse): Browser {
  const cookie = sessionCookieOf(signedIn);
  const csrf = (JSON.parse(signedIn.body) as { csrf_token: string }).csrf_token;
  return {
    cookie,
    csrf,
    send: (method, url, body, o = {}) => {
      const token = o.csrf === undefined || o.csrf === true ? csrf : o.csrf === false ? undefined : o.csrf;
      return app.inject({
        method,
        url,
        cookies: { cohort_session: cookie },
        headers: { ...(token === undefined ? {} : { 'x-csrf-token': token }), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
      });
    },
  };
}

/** A member of `workspaceId` with `role`, signed in through a one-time link (as `cohort members add` makes). */
export async function signedInMember(app: FastifyInstance, store: Store, clock: Clock, workspaceId: string, role: MemberRole, email = `${role}-${Math.random().toString(36).slice(2, 8)}@example.com`): Promise<Browser> {
  const { linkToken } = await createMemberService({ store, clock }).invite(workspaceId, email, role);
  const res = await app.inject({ method: 'POST', url: '/api/session/link', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ token: linkToken }) });
  if (res.statusCode !== 200) throw new Error(`link sign-in failed: ${res.statusCode} ${res.body}`);
  return browserOf(app, res);
}
