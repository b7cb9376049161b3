/**
 * Members of the workspace (spec §8, the members page): list, invite (a one-time sign-in link, 24 h),
 * change a member's role, remove. Admins only; the last admin is never removed or demoted. The link is answered as a path with the token in its fragment; the dashboard
 * shows it on its own origin.
 */
import type { FastifyPluginAsync } from 'fastify';
import { ConflictError, NotFoundError } from '../../core/errors.ts';
import { ROLES, SIGN_IN_LINK_TTL_MS, type MemberService } from '../../members/service.ts';
import type { Member, MemberRole } from '../../store/member-port.ts';
import type { ApiDeps } from '../deps.ts';
import { errorResponses } from '../openapi.ts';

/** Where the dashboard takes a one-time link (cohort members add prints the same path). */
export const SIGN_IN_LINK_PATH = '/signin/link';
const tags = ['members'];
const MemberAnswer = {
  type: 'object',
  required: ['id', 'email', 'role', 'has_password', 'created_at'],
  properties: { id: { type: 'string' }, email: { type: 'string' }, role: { type: 'string', enum: [...ROLES] }, has_password: { type: 'boolean' }, created_at: { type: 'string', format: 'date-time' } },
} as const;
const toJson = (m: Member) => ({ id: m.id, email: m.email, role: m.role, has_password: m.passwordHash !== null, created_at: new Date(m.createdAt).toISOString() });

export const memberRoutes: FastifyPluginAsync<ApiDeps & { members: MemberService }> = async (app, { store, clock, members }) => {
  app.get(
    '/api/members',
    { config: { role: 'admin' }, schema: { summary: "The workspace's members", tags, response: { 200: { type: 'object', required: ['members'], properties: { members: { type: 'array', items: MemberAnswer } } }, ...errorResponses(401, 403) } } },
    async (req) => ({ members: (await store.listMembers(req.workspaceId)).map(toJson) }),
  );

  app.post<{ Body: { email: string; role: MemberRole } }>(
    '/api/members',
    {
      config: { role: 'admin' },
      schema: {
        summary: 'Invite a member: adds it (an existing member keeps its role) and answers a one-time sign-in link (24 hours)',
        tags,
        body: { type: 'object', required: ['email', 'role'], properties: { email: { type: 'string', minLength: 3, maxLength: 254, pattern: '^[^@\\s]+@[^@\\s]+$' }, role: { type: 'string', enum: [...ROLES] } } },
        response: {
          201: { type: 'object', required: ['member', 'created', 'sign_in_path', 'expires_at'], properties: { member: MemberAnswer, created: { type: 'boolean' }, sign_in_path: { type: 'string', description: `${SIGN_IN_LINK_PATH}#<one-time code>, on this Cohort's origin; works once` }, expires_at: { type: 'string', format: 'date-time' } } },
          ...errorResponses(400, 401, 403, 415),
        },
      },
    },
    async (req, reply) => {
      const { member, created, linkToken } = await members.invite(req.workspaceId, req.body.email, req.body.role);
      return reply.code(201).send({ member: toJson(member), created, sign_in_path: `${SIGN_IN_LINK_PATH}#${linkToken}`, expires_at: new Date(clock.now() + SIGN_IN_LINK_TTL_MS).toISOString() });
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/api/members/:id',
    {
      config: { role: 'admin' },
      schema: {
        summary: 'Remove a member: ends its sessions and its unused links',
        tags,
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 64 } } },
        response: { 204: { type: 'null', description: 'Removed' }, ...errorResponses(401, 403, 404, 409) },
      },
    },
    async (req, reply) => {
      const done = await store.transaction((tx) => tx.removeMember(req.workspaceId, req.params.id));
      if (!done.ok) refuse(done.reason, req.params.id, 'removed');
      return reply.code(204).send();
    },
  );

  app.patch<{ Params: { id: string }; Body: { role: MemberRole } }>(
    '/api/members/:id',
    {
      config: { role: 'admin' },
      schema: {
        summary: "Change a member's role; the last admin cannot be demoted",
        tags,
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 64 } } },
        body: { type: 'object', required: ['role'], additionalProperties: false, properties: { role: { type: 'string', enum: [...ROLES] } } },
        response: { 200: MemberAnswer, ...errorResponses(400, 401, 403, 404, 409, 415) },
      },
    },
    async (req) => {
      const done = await store.transaction((tx) => tx.changeMemberRole(req.workspaceId, req.params.id, req.body.role));
      if (!done.ok) refuse(done.reason, req.params.id, 'demoted');
      return toJson(done.member);
    },
  );
};

/** A refused member change, in words. */
function refuse(reason: 'not_found' | 'last_admin', id: string, what: 'removed' | 'demoted'): never {
  if (reason === 'not_found') throw new NotFoundError('not_found', `no member ${id}`);
  throw new ConflictError('last_admin', `the last admin cannot be ${what} (the workspace would have no admin left); make another member admin first`);
}
