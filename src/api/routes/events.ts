/**
 * `GET /api/events/names` (issue 19): the names of the workspace's tracked events, for the canvas
 * editor's suggestions (Entry's event, Exit events). Bounded work: an index walk, one probe per name
 * answered (store listEventNames, migration 0017), never a scan of the events.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ApiDeps } from '../deps.ts';
import { errorResponses } from '../openapi.ts';

/** Names answered at most: a suggestion list, not an export. */
export const MAX_EVENT_NAMES = 500;

const Answer = {
  type: 'object',
  required: ['events'],
  properties: {
    events: { type: 'array', items: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } } },
  },
} as const;

export const eventRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  app.get(
    '/api/events/names',
    {
      config: { role: 'viewer' },
      schema: {
        summary: 'Names of tracked events, for suggestions',
        description: `Distinct names of this workspace's tracked events, in name order, at most ${MAX_EVENT_NAMES}. Bounded work at any number of events: an index on (workspace_id, name) is walked one probe per distinct name answered (a loose index scan), never a scan of the events.`,
        tags: ['users'],
        response: { 200: Answer, ...errorResponses(401, 403) },
      },
    },
    async (req) => ({ events: (await deps.store.listEventNames(req.workspaceId, MAX_EVENT_NAMES)).map((name) => ({ name })) }),
  );
};
