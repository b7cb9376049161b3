/**
 * The HTTP API (spec §4) as a Fastify app. Routes live in routes/, one plugin per resource, each
 * receiving its dependencies as options. Everything under /api/ needs a workspace API key.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { authenticate } from './auth.ts';
import type { ApiDeps } from './deps.ts';
import { installErrorHandler } from './errors.ts';

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
    routerOptions: { ignoreTrailingSlash: true },
  });
  installErrorHandler(app);
  app.decorateRequest('workspaceId', '');

  app.addHook('onRequest', async (req) => {
    const path = req.url.split('?')[0] ?? '';
    if (path.startsWith('/api/') && path !== '/api/openapi.json' && !path.startsWith('/api/docs')) {
      req.workspaceId = await authenticate(req, deps.store);
    }
  });

  app.get('/healthz', async () => ({ status: 'ok' }));
  return app;
}
