/**
 * `POST /api/webhooks/preview` (issue 19, the webhook editor's Preview): the request a webhook step
 * would send for one profile — URL, method, headers and body rendered by the sender's own renderer
 * (engine/steps/webhook.ts) — and nothing is sent. Scoped to the caller's workspace: another
 * workspace's user is not found. Header values may be secrets: they are answered to the editor who
 * typed them, never logged.
 */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { WebhookConfigSchema } from '../../core/canvas.ts';
import { EntryDataError, NotFoundError, ValidationError } from '../../core/errors.ts';
import { formatJsonPath } from '../../core/json-path.ts';
import { renderWebhookRequest } from '../../engine/steps/webhook.ts';
import { NO_NUL_PATTERN } from '../../ingest/objects.ts';
import type { ApiDeps } from '../deps.ts';
import { errorResponses } from '../openapi.ts';

const PreviewBody = z.strictObject({
  config: WebhookConfigSchema,
  external_id: z.string().min(1).max(255).regex(new RegExp(NO_NUL_PATTERN), 'external_id must not contain NUL'),
});

const BodyDoc = {
  type: 'object',
  required: ['config', 'external_id'],
  properties: {
    config: {
      type: 'object',
      description: "a webhook step's config (spec §3): url, method, headers, body with {{attribute}} templates",
      properties: {
        url: { type: 'string' },
        method: { type: 'string', enum: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] },
        headers: { type: 'object', additionalProperties: { type: 'string' } },
        body: { description: 'any JSON; strings (keys too) may hold {{attribute}} templates' },
        timeout_ms: { type: 'integer' },
      },
    },
    external_id: { type: 'string', description: 'the profile to render for' },
  },
} as const;

const Answer = {
  type: 'object',
  required: ['url', 'method', 'headers', 'body'],
  properties: {
    url: { type: 'string' },
    method: { type: 'string' },
    headers: { type: 'object', additionalProperties: { type: 'string' }, description: 'every header sent, content-type and user-agent included' },
    body: { type: 'string', nullable: true, description: 'the body exactly as sent (JSON text); null when none is sent (GET, or no body)' },
  },
} as const;

export const webhookPreviewRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  app.post(
    '/api/webhooks/preview',
    {
      config: { role: 'editor' },
      schema: {
        summary: 'Render a webhook step for one profile, as the sender would, without sending it',
        description: 'Nothing is sent. 404 when no user has this external_id in this workspace; 400 when a template passes its caps (template_too_deep, template_too_large).',
        tags: ['canvases'],
        body: BodyDoc,
        response: { 200: Answer, ...errorResponses(400, 401, 403, 404) },
      },
      // zod validates below, with the canvas's own rules for a webhook config.
      validatorCompiler: () => () => true,
    },
    async (req) => {
      const parsed = PreviewBody.safeParse(req.body);
      if (!parsed.success) throw new ValidationError('invalid_request', parsed.error.issues.map((i) => `${formatJsonPath(i.path)}: ${i.message}`).join('; '));
      const { config, external_id } = parsed.data;
      const profile = await deps.store.getProfile(req.workspaceId, external_id);
      if (!profile) throw new NotFoundError('user_not_found', 'no user with this external_id in this workspace');
      try {
        const request = renderWebhookRequest(config, profile, null);
        return { url: request.url, method: request.method, headers: request.headers, body: request.body };
      } catch (error) {
        if (error instanceof EntryDataError) throw new ValidationError(error.code, error.message);
        throw error;
      }
    },
  );
};
