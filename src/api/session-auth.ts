/**
 * Who a request acts as (issue 17; spec §8): a workspace API key (`Authorization: Bearer`, full rights,
 * no CSRF proof: a script sends it deliberately, a browser never adds it on its own) or a dashboard
 * session cookie. A cookie is sent by the browser on its own, so a cookie-authenticated request that
 * changes state must also carry the session's CSRF token in `x-csrf-token` (which another site cannot
 * read), and the session's member role must reach the route's `config.role`. A route that declares no
 * role refuses every session (default deny); API keys are unaffected, except on a route that says
 * `config.sessionOnly` (the API-key routes: a leaked key must not be able to mint more keys).
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { MemberService } from '../members/service.ts';
import type { MemberRole, SessionRecord } from '../store/member-port.ts';
import type { ApiKeyAuth } from './auth.ts';
import { ForbiddenError, UnauthorizedError } from './errors.ts';

export const SESSION_COOKIE = 'cohort_session';
export const CSRF_HEADER = 'x-csrf-token';
const RANK: Readonly<Record<MemberRole, number>> = { viewer: 0, editor: 1, admin: 2 };
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The least member role a dashboard session needs here. Absent: sessions are refused (API keys are not). */
    role?: MemberRole;
    /** Only dashboard sessions (reaching `role`) may call it: an API key gets 403. */
    sessionOnly?: boolean;
  }
}

export interface Caller {
  workspaceId: string;
  /** The session, when the request came with the cookie rather than an API key. */
  session: SessionRecord | null;
  /** The API key's id, when the request came with one (canvas versions record who saved them). */
  apiKeyId: string | null;
}

export async function authenticateCaller(req: FastifyRequest, apiKeys: ApiKeyAuth, members: MemberService): Promise<Caller> {
  // An Authorization header decides alone: a bad key is a 401 even if a cookie came along.
  const token = req.headers.authorization === undefined ? req.cookies[SESSION_COOKIE] : undefined;
  if (!token) {
    const { workspaceId, keyId } = await apiKeys.authenticate(req); // without a cookie either: the usual "send the key" 401
    if (req.routeOptions.config.sessionOnly === true) throw new ForbiddenError('session_required', 'API keys cannot call this route; an admin signed in to the dashboard can');
    return { workspaceId, session: null, apiKeyId: keyId };
  }
  const session = token.length <= 128 ? await members.resolve(token) : null;
  if (!session) throw new UnauthorizedError('unauthorized', 'the session is not valid or has expired: sign in again');
  if (!SAFE_METHODS.has(req.method)) checkCsrf(req.headers[CSRF_HEADER], session.csrfToken);
  const needed = req.routeOptions.config.role;
  if (needed === undefined || RANK[session.member.role] < RANK[needed]) {
    throw new ForbiddenError('forbidden', needed === undefined ? 'this route is not open to dashboard sessions; use an API key' : `this needs the ${needed} role or higher; you are ${session.member.role}`);
  }
  return { workspaceId: session.workspaceId, session, apiKeyId: null };
}

function checkCsrf(presented: string | string[] | undefined, expected: string): void {
  if (presented === undefined || presented === '') throw new ForbiddenError('csrf_required', `a request by session cookie that changes state must send the ${CSRF_HEADER} header (csrf_token of GET /api/session)`);
  const a = Buffer.from(typeof presented === 'string' ? presented : '');
  const b = Buffer.from(expected);
  if (a.length !== b.length || !timingSafeEqual(a, b)) throw new ForbiddenError('csrf_invalid', `the ${CSRF_HEADER} header does not match this session`);
}
