/**
 * The HTTP API (spec §4) as a Fastify app. Routes live in routes/, one plugin per resource, each
 * receiving its dependencies as options.
 *
 * Authentication is a property of the route (spec §9, style guide §14): every route needs a workspace
 * API key unless its definition says `config: { public: true }`, and the hook reads what the router
 * matched (after decoding), never the URL text — `/%61pi/canvases` is the canvases route, so it needs
 * the key the canvases route needs. A dashboard session cookie is the other credential; its CSRF
 * proof and the route's `config.role` are checked in session-auth.ts.
 */
import cookie from '@fastify/cookie';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { ValidationError } from '../core/errors.ts';
import { createMemberService } from '../members/service.ts';
import { createApiKeyAuth } from './auth.ts';
import type { ApiDeps } from './deps.ts';
import { installErrorHandler } from './errors.ts';
import { jsonBodyParser } from './json-body.ts';
import { DOCS_PREFIX, registerOpenApi } from './openapi.ts';
import { apiKeyRoutes } from './routes/api-keys.ts';
import { attributeRoutes } from './routes/attributes.ts';
import { healthRoutes } from './routes/health.ts';
import { canvasRoutes } from './routes/canvases.ts';
import { eventRoutes } from './routes/events.ts';
import { journeyRoutes } from './routes/journeys.ts';
import { partnerRoutes } from './routes/partners.ts';
import { memberRoutes } from './routes/members.ts';
import { sessionRoutes } from './routes/session.ts';
import { authenticateCaller } from './session-auth.ts';
import { syncRoutes } from './routes/sync.ts';
import { usersRoutes } from './routes/users.ts';
import { webAppRoutes } from './routes/web-app.ts';
import { webhookPreviewRoutes } from './routes/webhook-preview.ts';

/** 10,000 Braze-shaped objects of a few hundred bytes each fit well inside this. */
const BODY_LIMIT = 32 * 1024 * 1024;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Reachable without credentials. Absent means private: authentication is the default. */
    public?: boolean;
  }
}

const WORKSPACE = Symbol('workspaceId');
type WithWorkspace = FastifyRequest & { [WORKSPACE]?: string };

export interface BuildApiOptions {
  deps: ApiDeps;
  /** pino logger options, or false (tests). */
  logger?: boolean | object;
  /** The built dashboard (`web/dist`); null (the default, as in tests) serves pages that say it is not built. */
  webDir?: string | null;
}

export async function buildApi({ deps, logger = false, webDir = null }: BuildApiOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: logger === false ? false : { level: 'info', redact: { paths: ['req.headers.authorization', 'req.headers["access-token"]'], censor: '[redacted]' }, serializers: { req: requestForLog }, ...(typeof logger === 'object' ? logger : {}) },
    bodyLimit: BODY_LIMIT,
    // maxParamLength: an external_id is up to 255 characters, and percent-encoded up to 12 bytes each.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 4_096 },
  });
  installErrorHandler(app);
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, jsonBodyParser({ allowEmpty: false }));
  // The workspace exists only once the hook has authenticated the request; a route that reads it
  // otherwise is a bug that must fail loudly, not run with an empty workspace id.
  app.decorateRequest('workspaceId', {
    getter(this: WithWorkspace) {
      const id = this[WORKSPACE];
      if (id === undefined) throw new Error('workspaceId read on a request that was not authenticated');
      return id;
    },
    setter(this: WithWorkspace, id: string) {
      this[WORKSPACE] = id;
    },
  });

  // The docs' routes are registered by @fastify/swagger-ui: mark them public where they are defined.
  app.addHook('onRoute', (route) => {
    if (route.url === DOCS_PREFIX || route.url.startsWith(`${DOCS_PREFIX}/`)) route.config = { ...route.config, public: true };
  });

  // Sessions (session-auth.ts): cookies are parsed before the auth hook below reads them.
  await app.register(cookie);
  app.decorateRequest('session', null);
  app.decorateRequest('apiKeyId', null);
  const members = createMemberService({ store: deps.store, clock: deps.clock });
  const apiKeys = createApiKeyAuth({ store: deps.store, clock: deps.clock });

  app.addHook('onRequest', async (req) => {
    // No id or name may hold NUL (PostgreSQL text cannot store it): a 400, never a database error.
    if (/%00/.test(req.url)) throw new ValidationError('invalid_request', 'the URL must not contain NUL (%00)');
    // Decided on the route the router matched. No route (404) runs nothing and reads nothing.
    if (req.routeOptions.config.public === true || req.is404) return;
    const caller = await authenticateCaller(req, apiKeys, members);
    req.workspaceId = caller.workspaceId;
    req.session = caller.session;
    req.apiKeyId = caller.apiKeyId;
  });

  await registerOpenApi(app); // before the routes, so that it sees them
  await app.register(healthRoutes, deps);
  await app.register(sessionRoutes, { ...deps, members });
  await app.register(memberRoutes, { ...deps, members });
  await app.register(apiKeyRoutes, deps);
  // Routes: one plugin per resource (style guide §10), each receiving ApiDeps as its options.
  await app.register(usersRoutes, deps);
  await app.register(attributeRoutes, deps);
  await app.register(canvasRoutes, deps);
  await app.register(journeyRoutes, deps);
  await app.register(syncRoutes, deps);
  await app.register(eventRoutes, deps);
  await app.register(webhookPreviewRoutes, deps);
  if (deps.tiktok) await app.register(partnerRoutes, { ...deps, tiktok: deps.tiktok });
  // The dashboard and its assets (public: they hold no workspace data; web-app.ts).
  await app.register(webAppRoutes, { webDir, emulator: deps.tiktok?.emulator ?? false });
  return app;
}

/**
 * A request as the log shows it: the route pattern, never the URL, whose path and query can carry
 * external ids, OAuth codes and states (spec §9: ids, emails and phones never appear in logs).
 */
function requestForLog(req: FastifyRequest): Record<string, unknown> {
  return { method: req.method, route: req.routeOptions?.url ?? '(no route)', remoteAddress: req.ip };
}
