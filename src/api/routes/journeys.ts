/**
 * Entering users through the API and reading a canvas's numbers:
 * `POST /api/canvas/trigger/send` and `GET /api/canvases/{id}/analytics` (spec §4).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { NotFoundError, ValidationError } from '../../core/errors.ts';
import { formatJsonPath } from '../../core/json-path.ts';
import { buildAnalytics } from '../../engine/analytics.ts';
import { triggerSend, type Recipient } from '../../engine/trigger.ts';
import type { Json, ProfilePatch } from '../../store/port.ts';
import type { ApiDeps } from '../deps.ts';
import { TooLargeError } from '../errors.ts';
import { jsonValue, parseAttributesObject } from '../../ingest/objects.ts';

const MAX_RECIPIENTS = 10_000;

// PostgreSQL text cannot hold NUL: refuse it up front as bad input rather than fail in the database.
const noNul = (s: string) => !s.includes('\u0000');
const TriggerBody = z.object({
  canvas_id: z.string().min(1).max(255).refine(noNul, 'must not contain NUL'),
  recipients: z.array(
    z.object({
      external_user_id: z.string().min(1).max(255).refine(noNul, 'must not contain NUL'),
      attributes: z.record(z.string(), z.unknown()).optional(),
      // Bounded like a custom attribute: a context 100,000 deep overflowed JSON.stringify when the entry was written (500).
      context: z.record(z.string(), jsonValue).optional(),
    }),
  ),
});

export async function journeyRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  app.post(
    '/api/canvas/trigger/send',
    { config: { role: 'editor' }, schema: { tags: ['canvases'], summary: 'Enter users into an API-triggered canvas', response: { 201: { type: 'object', properties: { dispatch_id: { type: 'string' }, message: { type: 'string' }, notice: { type: 'string' } } } } } },
    async (req, reply) => {
      const body = req.body as { recipients?: unknown } | null;
      if (body && Array.isArray(body.recipients) && body.recipients.length > MAX_RECIPIENTS) {
        throw new TooLargeError('too_many_objects', `at most ${MAX_RECIPIENTS} recipients per request, got ${body.recipients.length}`);
      }
      const parsed = TriggerBody.safeParse(body);
      if (!parsed.success) throw new ValidationError('invalid_request', parsed.error.issues.slice(0, 20).map((i) => `${formatJsonPath(i.path)}: ${i.message}`).join('; '));
      const canvas = await deps.journeys.canvases.getCanvasSnapshot(req.workspaceId, parsed.data.canvas_id);
      if (!canvas) throw new NotFoundError('not_found', `no canvas ${parsed.data.canvas_id}`);
      const recipients: Recipient[] = [];
      const problems: string[] = [];
      parsed.data.recipients.forEach((r, i) => {
        let attributes: ProfilePatch | null = null;
        if (r.attributes) {
          const patch = parseAttributesObject({ ...r.attributes, external_id: r.external_user_id });
          if (!patch.ok) problems.push(`recipients.${i}.attributes: ${patch.message}`);
          else attributes = patch.value;
        }
        recipients.push({ externalId: r.external_user_id, attributes, context: (r.context as Record<string, Json> | undefined) ?? null });
      });
      if (problems.length > 0) throw new ValidationError('invalid_request', problems.slice(0, 20).join('; '));
      const result = await triggerSend(deps.store, canvas, recipients, deps.clock.now());
      if (result.entered > 0) deps.journeys.wake();
      return reply.code(201).send({ dispatch_id: result.dispatchId, message: 'success', ...(result.notice ? { notice: result.notice } : {}) });
    },
  );

  app.get<{ Params: { id: string } }>('/api/canvases/:id/analytics', { config: { role: 'viewer' }, schema: { tags: ['canvases'], summary: "A canvas's per-step numbers and per-minute series" } }, async (req) => {
    const canvas = await deps.journeys.canvases.getCanvasSnapshot(req.workspaceId, req.params.id);
    if (!canvas) throw new NotFoundError('not_found', `no canvas ${req.params.id}`);
    return buildAnalytics(canvas.id, canvas.status, canvas.definition, await deps.store.stepCounts(req.workspaceId, canvas.id));
  });
}
