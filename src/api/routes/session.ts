/**
 * The session API (spec §8): first-run setup, sign-in by password or one-time link, the current
 * session, sign-out. Setup, sign-in and the link are public routes (there is no session yet); a
 * cross-site form cannot reach them, since they accept only application/json (a browser sends that
 * cross-origin only after a CORS preflight, which Cohort never grants).
 */
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { ValidationError } from '../../core/errors.ts';
import { SESSION_ABSOLUTE_MS, type MemberService, type SignedIn } from '../../members/service.ts';
import type { SessionRecord } from '../../store/member-port.ts';
import type { ApiDeps } from '../deps.ts';
import { ForbiddenError, TooManyRequestsError, UnauthorizedError } from '../errors.ts';
import { errorResponses } from '../openapi.ts';
import { SESSION_COOKIE } from '../session-auth.ts';

const tags = ['session'];
const SessionAnswer = {
  type: 'object',
  required: ['member', 'workspace', 'csrf_token'],
  properties: {
    member: { type: 'object', required: ['email', 'role'], properties: { email: { type: 'string' }, role: { type: 'string', enum: ['admin', 'editor', 'viewer'] } } },
    workspace: { type: 'object', required: ['id', 'name'], properties: { id: { type: 'string' }, name: { type: 'string' } } },
    csrf_token: { type: 'string', description: 'send it as x-csrf-token on every request that changes state' },
  },
} as const;
const Email = { type: 'string', minLength: 3, maxLength: 254, pattern: '^[^@\\s]+@[^@\\s]+$' } as const;
const Password = { type: 'string', maxLength: 1024, description: 'at least 8 characters' } as const;

export const sessionRoutes: FastifyPluginAsync<ApiDeps & { members: MemberService }> = async (app, { members, secureCookies, store }) => {
  const view = (s: SessionRecord) => ({ member: { email: s.member.email, role: s.member.role }, workspace: { id: s.workspace.id, name: s.workspace.name }, csrf_token: s.csrfToken });
  const signedIn = (reply: FastifyReply, s: SignedIn) => {
    reply.setCookie(SESSION_COOKIE, s.token, { path: '/', httpOnly: true, sameSite: 'lax', secure: secureCookies === true, maxAge: Math.floor(SESSION_ABSOLUTE_MS / 1000) });
    return view(s.session);
  };

  app.get(
    '/api/setup',
    {
      // The dashboard asks this before anything else, to show first-run setup or sign-in; it reveals
      // only whether any member exists, which POST /api/setup answers anyway.
      config: { public: true },
      schema: { summary: 'Whether first-run setup is still open (no member exists yet)', tags, response: { 200: { type: 'object', required: ['needed'], properties: { needed: { type: 'boolean' } } } } },
    },
    async () => ({ needed: (await store.countMembers()) === 0 }),
  );

  app.post<{ Body: { workspace_name: string; email: string; password: string } }>(
    '/api/setup',
    {
      config: { public: true },
      schema: {
        summary: 'First run: create the first admin (and the first workspace, if none exists) and sign in',
        description: 'Works only while no member exists at all (409 setup_done after). When workspaces were made on the command line before any member, the admin joins the oldest of them and workspace_name is not used.',
        tags,
        body: { type: 'object', required: ['workspace_name', 'email', 'password'], properties: { workspace_name: { type: 'string', minLength: 1, maxLength: 200 }, email: Email, password: Password } },
        response: { 201: SessionAnswer, ...errorResponses(400, 409, 415) },
      },
    },
    async (req, reply) => {
      const name = req.body.workspace_name.trim();
      if (name === '' || /\p{Cc}/u.test(name)) throw new ValidationError('invalid_request', 'workspace_name must be 1 to 200 characters without control characters');
      return reply.code(201).send(signedIn(reply, await members.setup({ workspaceName: name, email: req.body.email, password: req.body.password })));
    },
  );

  app.post<{ Body: { email: string; password: string } }>(
    '/api/session',
    {
      config: { public: true },
      schema: {
        summary: 'Sign in: sets the session cookie (HttpOnly, SameSite=Lax)',
        description: 'At most 5 failed attempts per 15 minutes per email and per client address (429 with Retry-After after). Sessions end after 12 hours without a request or 7 days after sign-in.',
        tags,
        body: { type: 'object', required: ['email', 'password'], properties: { email: { type: 'string', maxLength: 254 }, password: { type: 'string', maxLength: 4096 } } },
        response: { 200: SessionAnswer, ...errorResponses(400, 401, 415, 429) },
      },
    },
    async (req, reply) => {
      const outcome = await members.signIn({ email: req.body.email, password: req.body.password, clientAddress: req.ip });
      if ('refused' in outcome) {
        if (outcome.refused === 'rate_limited') throw new TooManyRequestsError('rate_limited', 'too many failed sign-in attempts; try again later', Math.ceil(outcome.retryAfterMs / 1000));
        throw new UnauthorizedError('invalid_credentials', 'the email or the password is not right');
      }
      return signedIn(reply, outcome);
    },
  );

  app.post<{ Body: { token: string } }>(
    '/api/session/link',
    {
      config: { public: true },
      schema: {
        summary: 'Sign in with a one-time link (cohort members add): works once, for 24 hours',
        tags,
        body: { type: 'object', required: ['token'], properties: { token: { type: 'string', minLength: 1, maxLength: 128 } } },
        response: { 200: SessionAnswer, ...errorResponses(400, 401, 415) },
      },
    },
    async (req, reply) => {
      const outcome = await members.signInWithLink(req.body.token);
      if (!outcome) throw new UnauthorizedError('invalid_link', 'this sign-in link is not valid, was used already, or has expired; ask for a new one');
      return signedIn(reply, outcome);
    },
  );

  app.get(
    '/api/session',
    { config: { role: 'viewer' }, schema: { summary: 'The signed-in member, its workspace and the CSRF token', tags, response: { 200: SessionAnswer, ...errorResponses(401) } } },
    async (req) => {
      if (!req.session) throw new UnauthorizedError('no_session', 'an API key has no session; sign in with POST /api/session');
      return view(req.session);
    },
  );

  app.put<{ Body: { password: string; current_password?: string } }>(
    '/api/session/password',
    {
      config: { role: 'viewer' },
      schema: {
        summary: "Set the signed-in member's password (a member invited by link has none until then)",
        description: 'At least 8 characters. A member who has a password must send it as current_password.',
        tags,
        body: { type: 'object', required: ['password'], properties: { password: Password, current_password: { type: 'string', maxLength: 4096 } } },
        response: { 204: { type: 'null', description: 'Set' }, ...errorResponses(400, 401, 403, 415) },
      },
    },
    async (req, reply) => {
      if (!req.session) throw new UnauthorizedError('no_session', 'an API key has no member whose password could be set');
      const ok = await members.setPassword(req.workspaceId, req.session.memberId, req.body.password, req.body.current_password);
      if (!ok) throw new ForbiddenError('invalid_credentials', 'current_password is missing or not right');
      return reply.code(204).send();
    },
  );

  app.delete(
    '/api/session',
    { config: { role: 'viewer' }, schema: { summary: 'Sign out: ends this session and clears its cookie', tags, response: { 204: { type: 'null', description: 'Signed out' }, ...errorResponses(401, 403) } } },
    async (req, reply) => {
      if (!req.session) throw new UnauthorizedError('no_session', 'an API key has no session to end');
      const token = req.cookies[SESSION_COOKIE];
      if (token) await members.signOut(token);
      reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'lax', secure: secureCookies === true });
      return reply.code(204).send();
    },
  );
};
