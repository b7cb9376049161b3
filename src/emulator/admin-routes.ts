/**
 * `/_emulator/…`: the admin API for tests and demos (spec §6). Plain JSON, not TikTok's envelope, with
 * real HTTP statuses (400 bad input, 404 unknown audience), because callers are our own tests. Its
 * routes live in a scope of their own whose guard (admin-guard.ts) refuses what a web page sends; the
 * guard runs on the route as matched, so no spelling of the path gets around it.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { adminGuard } from './admin-guard.ts';
import type { EmulatorContext } from './context.ts';
import { parseFaults } from './faults.ts';
import { ID_SCHEMAS, type IdSchema } from './mapping.ts';
import type { Audience } from './state.ts';

/** Always listed, even when empty, so callers can read e.g. `members.EMAIL_SHA256.length` without a guard. */
const ALWAYS_SHOWN: readonly IdSchema[] = ['EMAIL_SHA256', 'PHONE_SHA256', 'IDFA_SHA256', 'AAID_SHA256'];

function membersView(a: Audience, withMembers: boolean): Record<string, unknown> {
  const members: Record<string, string[]> = {};
  const counts: Record<string, number> = {};
  for (const schema of ID_SCHEMAS) {
    const set = a.members.get(schema);
    if (!ALWAYS_SHOWN.includes(schema) && !set?.size) continue; // MD5 schemas only when used
    counts[schema] = set?.size ?? 0;
    if (withMembers) members[schema] = set ? [...set] : [];
  }
  return withMembers
    ? { audience_id: a.audienceId, deleted: a.deleted, members, counts }
    : { audience_id: a.audienceId, deleted: a.deleted, counts };
}

const badRequest = (reply: FastifyReply, error: string): FastifyReply => reply.code(400).send({ error });
const notFound = (reply: FastifyReply, id: string): FastifyReply =>
  reply.code(404).send({ error: `audience ${id} does not exist` });

/** A plugin: register it with `app.register(adminRoutes(ctx, ownOrigins))`. */
export function adminRoutes(ctx: EmulatorContext, own: () => ReadonlySet<string>): (app: FastifyInstance) => Promise<void> {
  return async (app) => {
    app.addHook('onRequest', adminGuard(own));
    registerAdminRoutes(app, ctx);
  };
}

function registerAdminRoutes(app: FastifyInstance, ctx: EmulatorContext): void {
  const { state, stats, faults, limiter } = ctx;

  app.get('/_emulator/stats', () => stats.view());

  app.get<{ Params: { id: string }; Querystring: { members?: string } }>(
    '/_emulator/audiences/:id/members',
    (req, reply) => {
      const audience = state.audiences.get(req.params.id);
      if (!audience) return notFound(reply, req.params.id);
      // members=false: counts only, for audiences too large to ship as JSON (the 1,000,000-user benchmark).
      return membersView(audience, req.query.members !== 'false');
    },
  );

  app.post<{ Params: { id: string } }>('/_emulator/audiences/:id/delete', (req, reply) => {
    const audience = state.audiences.get(req.params.id);
    if (!audience) return notFound(reply, req.params.id);
    audience.deleted = true;
    return { audience_id: audience.audienceId, deleted: true };
  });

  app.post('/_emulator/tokens/revoke', (req, reply) => {
    const body = req.body as { access_token?: unknown; all?: unknown } | undefined;
    if (body?.all === true) {
      let revoked = 0;
      for (const token of state.tokens.values()) {
        if (!token.revoked) revoked += 1;
        token.revoked = true;
      }
      return { revoked };
    }
    if (typeof body?.access_token !== 'string') return badRequest(reply, 'expected {"access_token": "…"} or {"all": true}');
    const token = state.tokens.get(body.access_token);
    if (!token) return reply.code(404).send({ error: 'unknown access_token' });
    const revoked = token.revoked ? 0 : 1;
    token.revoked = true;
    return { revoked };
  });

  app.get('/_emulator/faults', () => faults.snapshot());

  app.post('/_emulator/faults', (req, reply) => {
    const parsed = parseFaults(req.body ?? {});
    if (typeof parsed === 'string') return badRequest(reply, parsed);
    faults.set(parsed);
    return faults.snapshot();
  });

  app.post('/_emulator/reset', () => {
    state.reset();
    stats.reset();
    faults.set({});
    limiter.clear();
    return { reset: true };
  });
}
