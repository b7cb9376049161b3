/**
 * The OpenAPI 3 document (spec §4): served at `GET /api/openapi.json`, browsable at `/api/docs`
 * (both public routes: `config.public`, app.ts). Built by @fastify/swagger from
 * each route's `schema`, so it must be registered before the routes.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

export const OPENAPI_PATH = '/api/openapi.json';
export const DOCS_PREFIX = '/api/docs';

/** `{"error":{"code","message"}}`, the one error shape of the API (errors.ts); `reasons` only on 422. */
export const ErrorBody = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', description: 'stable snake_case code' },
        message: { type: 'string' },
        reasons: { type: 'array', items: { type: 'string' }, description: 'every reason, on 422 only' },
      },
    },
  },
} as const;

const ERROR_DESCRIPTIONS: Readonly<Record<number, string>> = {
  400: 'Bad request: malformed JSON or a body of the wrong shape',
  401: 'No API key or session, or one that is not valid',
  403: 'A session whose role may not do this, or a change by session cookie without its CSRF proof',
  404: 'Not found in this workspace',
  409: 'Conflicts with the resource state',
  413: 'Too many objects, or a body that is too large',
  415: 'Not application/json',
  422: 'Refused, with every reason',
  429: 'Too many failed attempts; try again after Retry-After seconds',
  502: 'TikTok did not answer or failed on its side; try again later',
};

/** Per-status error responses for a route's `schema.response`: `...errorResponses(400, 401)`. */
export function errorResponses(...statuses: number[]): Record<number, typeof ErrorBody & { description: string }> {
  return Object.fromEntries(statuses.map((s) => [s, { ...ErrorBody, description: ERROR_DESCRIPTIONS[s] ?? 'Error' }]));
}

export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Cohort API',
        version: '1',
        description: 'Customer journeys with Audience Sync to TikTok custom audiences. Errors are {"error":{"code","message"}}.',
      },
      components: {
        securitySchemes: {
          apiKey: { type: 'http', scheme: 'bearer', description: 'the workspace API key (cohort workspaces create); acts with full rights' },
          session: { type: 'apiKey', in: 'cookie', name: 'cohort_session', description: 'a dashboard session (POST /api/session); requests that change state also send its CSRF proof (GET /api/session)' },
        },
      },
      security: [{ apiKey: [] }, { session: [] }],
    },
    // Public routes (config.public, app.ts) need no key: say so in the document. Every other route
    // states the least member role a session needs (config.role) as `x-cohort-role`, and a route for
    // sessions only (config.sessionOnly, session-auth.ts) names the session as its only credential.
    transform: ({ schema, url, route }) => ({
      schema:
        route.config?.public === true
          ? { ...schema, security: [] }
          : { ...schema, ...(route.config?.role ? { 'x-cohort-role': route.config.role } : {}), ...(route.config?.sessionOnly === true ? { security: [{ session: [] }] } : {}) },
      url,
    }),
  });
  await app.register(swaggerUi, { routePrefix: DOCS_PREFIX });
  app.get(OPENAPI_PATH, { config: { public: true }, schema: { hide: true } }, async () => app.swagger());
}
