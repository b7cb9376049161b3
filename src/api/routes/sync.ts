/**
 * `POST /api/canvases/{id}/steps/{step}/retry-errored` (spec §4): an audience_sync step's errored
 * users go back to their queue with a fresh retry window (docs/retries.md). Every reason is retried,
 * `audience_not_found` included: an audience deleted for good errors them again at the first send,
 * and one restored (or a step pointed at a new audience in a later version) lets them through.
 */
import type { FastifyPluginAsync } from 'fastify';
import { minuteOf } from '../../core/clock.ts';
import { NotFoundError, ValidationError } from '../../core/errors.ts';
import type { ApiDeps } from '../deps.ts';
import { errorResponses } from '../openapi.ts';

const Params = {
  type: 'object',
  required: ['id', 'step'],
  properties: { id: { type: 'string', description: 'cv_…' }, step: { type: 'string', description: 'the id of an audience_sync step' } },
} as const;

const Answer = {
  type: 'object',
  required: ['canvas_id', 'step_id', 'requeued'],
  properties: {
    canvas_id: { type: 'string' },
    step_id: { type: 'string' },
    requeued: { type: 'integer', minimum: 0, description: 'errored users now pending again (0 when there were none)' },
  },
} as const;

export const syncRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  // The POST carries no body, and many clients still label one JSON: accept it empty here, as the
  // canvas lifecycle routes do (routes/canvases.ts); anything else goes to Fastify's own parser.
  const json = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => (body === '' ? done(null, undefined) : json(req, String(body), done)));

  app.post<{ Params: { id: string; step: string } }>(
    '/api/canvases/:id/steps/:step/retry-errored',
    {
      config: { role: 'editor' },
      schema: {
        summary: "Re-queue an audience_sync step's errored users with a fresh retry window",
        tags: ['canvases'],
        params: Params,
        response: { 200: Answer, ...errorResponses(400, 401, 404) },
      },
    },
    async (req) => {
      const canvas = await deps.journeys.canvases.getCanvasSnapshot(req.workspaceId, req.params.id);
      if (!canvas) throw new NotFoundError('not_found', `no canvas ${req.params.id}`);
      const step = canvas.definition.steps.find((s) => s.id === req.params.step);
      if (!step) throw new NotFoundError('not_found', `canvas ${canvas.id} has no step ${req.params.step}`);
      if (step.type !== 'audience_sync') throw new ValidationError('not_audience_sync', `step ${step.id} is a ${step.type} step; only audience_sync steps have errored users to retry`);
      const now = deps.clock.now();
      // The counts move errored → pending in the transaction that requeues, reason by reason.
      const requeued = await deps.store.transaction(async (tx) => {
        const byReason = await tx.requeueErroredSyncItems(req.workspaceId, canvas.id, step.id, now);
        const total = byReason.reduce((n, r) => n + r.count, 0);
        const at = { workspaceId: req.workspaceId, canvasId: canvas.id, stepId: step.id, minute: minuteOf(now) };
        await tx.addStepCounts([...byReason.map((r) => ({ ...at, metric: 'errored', reason: r.reason, count: -r.count })), { ...at, metric: 'pending', count: total }]);
        return total;
      });
      if (requeued > 0) deps.journeys.wakeSync?.();
      return { canvas_id: canvas.id, step_id: step.id, requeued };
    },
  );
};
