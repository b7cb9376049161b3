/**
 * The HTTP API (spec §4) as a Fastify app. Routes live in routes/, one plugin per resource, each
 * receiving its dependencies as options. Everything under /api/ needs a workspace API key.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { ValidationError } from '../core/errors.ts';
import { authenticate } from './auth.ts';
import type { ApiDeps } from './deps.ts';
import { installErrorHandler } from './errors.ts';
import { jsonBodyParser } from './json-body.ts';
import { registerOpenApi } from './openapi.ts';
import { canvasRoutes } from './routes/canvases.ts';
import { journeyRoutes } from './routes/journeys.ts';
import { partnerRoutes } from './routes/partners.ts';
import { usersRoutes } from './routes/users.ts';

/** 10,000 Braze-shaped objects of a few hundred bytes each fit well inside this. */
const BODY_LIMIT = 32 * 1024 * 1024;

export interface BuildApiOptions {
  deps: ApiDeps;
  /** pino logger options, or false (tests). */
  logger?: boolean | object;
}

export async function buildApi({ deps, logger = false }: BuildApiOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: logger === false ? false : { level: 'info', redact: { paths: ['req.headers.authorization', 'req.headers["access-token"]'], censor: '[redacted]' }, ...(typeof logger === 'object' ? logger : {}) },
    bodyLimit: BODY_LIMIT,
    // maxParamLength: an external_id is up to 255 characters, and percent-encoded up to 12 bytes each.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 4_096 },
  });
  installErrorHandler(app);
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, jsonBodyParser({ allowEmpty: false }));
  app.decorateRequest('workspaceId', '');

  app.addHook('onRequest', async (req) => {
    const path = req.url.split('?')[0] ?? '';
    // No id or name may hold NUL (PostgreSQL text cannot store it): a 400, never a database error.
    if (/%00/.test(req.url)) throw new ValidationError('invalid_request', 'the URL must not contain NUL (%00)');
    if (path.startsWith('/api/') && path !== '/api/openapi.json' && !path.startsWith('/api/docs')) {
      req.workspaceId = await authenticate(req, deps.store);
    }
  });

  await registerOpenApi(app); // before the routes, so that it sees them
  app.get('/healthz', async () => ({ status: 'ok' }));
  const metrics = deps.metrics;
  if (metrics) {
    app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => reply.header('content-type', metrics.contentType).send(await metrics.text()));
  }

  // Routes: one plugin per resource (style guide §10), each receiving ApiDeps as its options.
  await app.register(usersRoutes, deps);
  await app.register(canvasRoutes, deps);
  await app.register(journeyRoutes, deps);
  if (deps.tiktok) await app.register(partnerRoutes, { ...deps, tiktok: deps.tiktok });
  return app;
}
