/**
 * The workspace's API keys (spec §8 "API keys"; issue 19): list with last use, create with a name (the
 * key is answered this once: only its hash is stored), revoke (the row goes, and the next request with
 * the key is a 401: auth.ts looks every key up). Admins signed in to the dashboard only: an API key is
 * refused (config.sessionOnly), so that a leaked key cannot mint more keys or revoke the others.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { NotFoundError, ValidationError } from '../../core/errors.ts';
import type { ApiKey } from '../../store/port.ts';
import { hashApiKey, newApiKey } from '../auth.ts';
import type { ApiDeps } from '../deps.ts';
import { errorResponses } from '../openapi.ts';

const tags = ['api keys'];
const NAME_MAX = 100;
/** C0 and C1 control characters, or half a surrogate pair: not for a name people read. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNFIT = /[\u0000-\u001f\u007f-\u009f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

const KeyProperties = {
  id: { type: 'string' },
  name: { type: 'string' },
  created_at: { type: 'string', format: 'date-time' },
  last_used_at: { type: 'string', format: 'date-time', nullable: true, description: 'when a request last used the key, to the minute (written at most once a minute); null if never' },
} as const;
const KeyAnswer = { type: 'object', required: ['id', 'name', 'created_at', 'last_used_at'], properties: KeyProperties } as const;
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const toJson = (k: ApiKey) => ({ id: k.id, name: k.name, created_at: iso(k.createdAt), last_used_at: iso(k.lastUsedAt) });

export const apiKeyRoutes: FastifyPluginAsync<ApiDeps> = async (app, { store, clock }) => {
  const config = { role: 'admin', sessionOnly: true } as const;

  app.get(
    '/api/api-keys',
    {
      config,
      schema: {
        summary: "The workspace's API keys, newest first (never the key itself)",
        description: 'For admins signed in to the dashboard; an API key gets 403.',
        tags,
        response: { 200: { type: 'object', required: ['api_keys'], properties: { api_keys: { type: 'array', items: KeyAnswer } } }, ...errorResponses(401, 403) },
      },
    },
    async (req) => ({ api_keys: (await store.listApiKeys(req.workspaceId)).map(toJson) }),
  );

  app.post<{ Body: { name: string } }>(
    '/api/api-keys',
    {
      config,
      schema: {
        summary: 'Create an API key: the answer carries the key, the only time it is shown',
        description: 'For admins signed in to the dashboard; an API key gets 403. Cohort stores only the SHA-256 of the key.',
        tags,
        body: { type: 'object', required: ['name'], properties: { name: { type: 'string', minLength: 1, maxLength: NAME_MAX, description: `1 to ${NAME_MAX} characters without control characters` } } },
        response: {
          201: {
            type: 'object',
            required: ['id', 'name', 'created_at', 'last_used_at', 'api_key'],
            properties: { ...KeyProperties, api_key: { type: 'string', description: 'send it as "Authorization: Bearer <key>"; shown only in this answer' } },
          },
          ...errorResponses(400, 401, 403, 415),
        },
      },
    },
    async (req, reply) => {
      const name = req.body.name.trim();
      if (name === '' || UNFIT.test(name)) throw new ValidationError('invalid_request', `name must be 1 to ${NAME_MAX} characters without control characters`);
      const key = newApiKey();
      const id = `key_${randomBytes(8).toString('hex')}`;
      const now = clock.now();
      await store.insertApiKey({ id, workspaceId: req.workspaceId, keyHash: hashApiKey(key), name }, now);
      return reply.code(201).send({ ...toJson({ id, workspaceId: req.workspaceId, name, createdAt: now, lastUsedAt: null }), api_key: key });
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/api/api-keys/:id',
    {
      config,
      schema: {
        summary: 'Revoke an API key: the next request with it gets 401',
        description: 'For admins signed in to the dashboard; an API key gets 403.',
        tags,
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 64 } } },
        response: { 204: { type: 'null', description: 'Revoked' }, ...errorResponses(401, 403, 404) },
      },
    },
    async (req, reply) => {
      if (!(await store.deleteApiKey(req.workspaceId, req.params.id))) throw new NotFoundError('not_found', `no API key ${req.params.id}`);
      return reply.code(204).send();
    },
  );
};
