/**
 * Liveness, readiness and Prometheus (spec §4, §9). Public routes: a load balancer and a scraper hold
 * no workspace key. /metrics names no workspace or audience unless the scraper sends
 * COHORT_METRICS_TOKEN as a bearer token.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import type { ApiDeps } from '../deps.ts';

const Readiness = {
  type: 'object',
  required: ['status', 'checks'],
  properties: {
    status: { type: 'string', enum: ['ready', 'not_ready'] },
    checks: { type: 'object', additionalProperties: { type: 'string' }, description: "each check by name: 'ok' or what is wrong (database, migrations, and the workers this process runs)" },
  },
} as const;

export const healthRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  app.get(
    '/healthz',
    { config: { public: true }, schema: { tags: ['health'], summary: 'Liveness: the process answers', response: { 200: { type: 'object', properties: { status: { type: 'string', enum: ['ok'] } } } } } },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/readyz',
    {
      config: { public: true },
      schema: { tags: ['health'], summary: 'Readiness: database reachable, migrations applied, workers running (503 otherwise)', response: { 200: Readiness, 503: Readiness } },
    },
    async (_req, reply) => {
      const checks = { ...(await deps.store.readiness()), ...(deps.readiness?.() ?? {}) };
      const ready = Object.values(checks).every((v) => v === 'ok');
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks });
    },
  );

  const metrics = deps.metrics;
  if (metrics) {
    app.get('/metrics', { config: { public: true }, schema: { hide: true } }, async (req, reply) => {
      const withTenantIds = metrics.token !== undefined && bearerMatches(req.headers.authorization, metrics.token);
      return reply.header('content-type', metrics.contentType).send(await metrics.text(withTenantIds));
    });
  }
};

/** Constant-time comparison of `Authorization: Bearer <token>` (hashes first, so lengths never leak). */
function bearerMatches(header: string | undefined, token: string): boolean {
  const given = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] : undefined;
  if (given === undefined) return false;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(token));
}
