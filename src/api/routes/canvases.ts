/**
 * Canvases (spec §4): `GET/POST /api/canvases`, `GET/PUT/DELETE /api/canvases/{id}` and the
 * lifecycle `POST /api/canvases/{id}/launch|stop|archive`. Answers are the canvas JSON of spec §3
 * with `id`, `status`, `version` and ISO times added. The lifecycle rules live in
 * engine/canvas-service.ts; the workspace comes from the API key, never from the body.
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { STEP_TYPES, type CanvasStatus } from '../../core/canvas.ts';
import { CANVAS_CAP_MESSAGES, CANVAS_CAPS } from '../../core/canvas-caps.ts';
import { ValidationError } from '../../core/errors.ts';
import { FILTER_OPS } from '../../core/filter.ts';
import { createCanvasService } from '../../engine/canvas-service.ts';
import { launchWarnings } from '../../engine/launch-warnings.ts';
import type { CanvasRecord } from '../../store/port.ts';
import type { ApiDeps } from '../deps.ts';
import { jsonBodyParser } from '../json-body.ts';
import { errorResponses } from '../openapi.ts';
import { decodeCursor, encodeCursor, MAX_CURSOR_LENGTH } from '../page-cursor.ts';

const STATUSES: readonly CanvasStatus[] = ['draft', 'active', 'stopped', 'archived'];

const nullableString = { type: 'string', nullable: true } as const;
const openObject = { type: 'object', additionalProperties: true } as const;
const { maxNameLength, maxStepIdLength, maxEventNameLength, maxSteps, maxFilterDepth, maxJsonDepth, maxBytes } = CANVAS_CAPS;
/** No C0/C1 control character (spec §9); the same rule as core/canvas.ts, for the document. */
const NO_CONTROL = '^[^\\u0000-\\u001f\\u007f-\\u009f]*$';
const StepId = { type: 'string', minLength: 1, maxLength: maxStepIdLength, pattern: NO_CONTROL } as const;
const NextStep = { ...StepId, nullable: true } as const;
const EventName = { type: 'string', minLength: 1, maxLength: maxEventNameLength } as const;
const Filter = {
  ...openObject,
  description: `{"all":[filter…]}, {"any":[filter…]} or {"attribute","op","value"}; op is one of ${FILTER_OPS.join(', ')}. Filters nest at most ${maxFilterDepth} deep (a lone condition is 1), and a condition's value at most ${maxJsonDepth} arrays and objects deep.`,
} as const;

/**
 * The canvas JSON for the document and the answers' serializer. Objects stay open
 * (additionalProperties) so that the serializer never drops a field the canvas schema
 * (core/canvas.ts) adds; the body itself is checked by that schema, in the handler.
 */
const CanvasProperties = {
  name: { type: 'string', minLength: 1, maxLength: maxNameLength, pattern: NO_CONTROL, description: `at most ${maxNameLength} characters, no control characters` },
  entry: {
    ...openObject,
    required: ['type'],
    description: '{"type":"api"}, {"type":"event","event":name} or {"type":"scheduled","at":ISO-8601 or null (= at launch)}',
    properties: { type: { type: 'string', enum: ['api', 'event', 'scheduled'] }, event: EventName, at: { ...nullableString, format: 'date-time' } },
  },
  audience: { ...Filter, nullable: true, description: `null: every profile of the workspace. ${Filter.description}` },
  reentry: { ...openObject, properties: { allowed: { type: 'boolean' }, after_seconds: { type: 'integer', minimum: 0 } } },
  exit: { ...openObject, properties: { events: { type: 'array', items: EventName } } },
  first_step: NextStep,
  steps: {
    type: 'array',
    maxItems: maxSteps,
    items: {
      ...openObject,
      required: ['id', 'type'],
      properties: {
        id: StepId,
        type: { type: 'string', enum: [...STEP_TYPES] },
        next: { ...NextStep, description: 'the next step; null: the user exits after this one (every type but decision_split)' },
        yes: { ...NextStep, description: 'decision_split: where a matching user goes' },
        no: { ...NextStep, description: 'decision_split: where the others go' },
        config: {
          ...openObject,
          description: `per type: audience_sync {partner, advertiser_id, audience_id, action, fields}; delay {seconds}; decision_split {filter}; webhook {url, method, headers, body}; user_update {set}. A webhook's body and headers and each user_update value nest at most ${maxJsonDepth} arrays and objects deep.`,
        },
      },
    },
  },
} as const;

const CanvasBody = {
  ...openObject,
  required: ['name'],
  properties: CanvasProperties,
  description:
    `The canvas JSON (spec §3). A draft may be incomplete; launch checks completeness. Caps (spec §9), each refused with a 400 that names it: ` +
    `at most ${maxBytes.toLocaleString('en-US')} bytes (1 MB) of JSON, ${maxSteps.toLocaleString('en-US')} steps, filters ${maxFilterDepth} deep, other JSON values ${maxJsonDepth} deep, ` +
    `a name of ${maxNameLength} characters and step ids of ${maxStepIdLength}, without control characters; no string or key may hold NUL (U+0000).`,
} as const;

/** POST and PUT: a body over 1 MB is refused while it arrives, with a 400 that names the cap (api/errors.ts). */
const canvasBodyCap = { bodyLimit: maxBytes, config: { bodyTooLarge: { code: 'canvas_too_large', message: CANVAS_CAP_MESSAGES.tooLarge } } } as const;

const ListQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    status: { type: 'string', enum: [...STATUSES] },
    limit: { type: 'integer', minimum: 1, maximum: 500, default: 50, description: 'canvases per page, 1 to 500 (default 50)' },
    cursor: { type: 'string', minLength: 1, maxLength: MAX_CURSOR_LENGTH, description: "the page before's next_cursor; absent for the first page" },
  },
} as const;

const CanvasAnswer = {
  ...openObject,
  required: ['id', 'name', 'status', 'version', 'created_at', 'updated_at'],
  properties: {
    id: { type: 'string' },
    status: { type: 'string', enum: [...STATUSES] },
    version: { type: 'integer', description: 'the latest version; users keep the version they entered with' },
    ...CanvasProperties,
    created_at: { type: 'string', format: 'date-time' },
    updated_at: { type: 'string', format: 'date-time' },
    launched_at: { type: 'string', format: 'date-time', nullable: true, description: 'the first launch' },
  },
} as const;

/** The launch answer: the canvas, plus what may not work as written (spec §9: "launch warns"). */
const LaunchAnswer = {
  ...CanvasAnswer,
  required: [...CanvasAnswer.required, 'warnings'],
  properties: {
    ...CanvasAnswer.properties,
    warnings: {
      type: 'array',
      description: 'Problems that do not stop the launch. `webhook_blocked`: the step\'s webhook URL is an address Cohort never calls (loopback, private, link-local, …; COHORT_WEBHOOK_ALLOW_HOSTS opens chosen ones): its deliveries will fail with that reason.',
      items: {
        type: 'object',
        required: ['step_id', 'code', 'message'],
        properties: { step_id: { type: 'string' }, code: { type: 'string', enum: ['webhook_blocked'] }, message: { type: 'string' } },
      },
    },
  },
} as const;

const VersionsAnswer = {
  type: 'object',
  required: ['versions'],
  properties: {
    versions: {
      type: 'array',
      items: {
        type: 'object',
        required: ['version', 'saved_at', 'saved_by', 'users_in'],
        properties: {
          version: { type: 'integer' },
          saved_at: { type: 'string', format: 'date-time' },
          saved_by: { ...nullableString, description: 'the member\'s email, or "API key <name>"; null: unknown (saved before this was recorded)' },
          users_in: { type: 'integer', description: 'users in the canvas right now on this version' },
        },
      },
    },
  },
} as const;

const ProblemsAnswer = {
  type: 'object',
  required: ['shape', 'reasons'],
  properties: {
    shape: { type: 'array', items: { type: 'string' }, description: 'why PUT would refuse this body (its 400), as `path: message`; empty: it is a canvas (then `reasons` is checked)' },
    reasons: { type: 'array', items: { type: 'string' }, description: 'what launch would answer in its 422; empty (with an empty `shape`): it would launch' },
  },
} as const;

const IdParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', description: 'cv_…' } } } as const;

/** The body schemas document; parseCanvas checks, so that a 400 lists every problem (ajv would stop at one, and coerce). */
const documentOnly = () => () => true;

const tags = ['canvases'];

export const canvasRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  const canvases = createCanvasService(deps);

  // The lifecycle POSTs carry no body, and many clients still label one JSON: accept it empty here
  // (this plugin's scope only); anything else is parsed as everywhere, prototype-key checks and all (api/json-body.ts).
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, jsonBodyParser({ allowEmpty: true }));

  app.get<{ Querystring: { status?: CanvasStatus; limit: number; cursor?: string } }>(
    '/api/canvases',
    {
      config: { role: 'viewer' },
      schema: {
        summary: "The workspace's canvases, newest first, a page at a time",
        description:
          'Ordered by creation time, newest first, then by id (descending) among canvases created in the same millisecond: a stable order. ' +
          'Pass next_cursor back as cursor for the next page; null means there is none. Canvases created meanwhile do not shift the pages: none is skipped or repeated.',
        tags,
        querystring: ListQuery,
        response: {
          200: {
            type: 'object',
            required: ['canvases', 'next_cursor'],
            properties: { canvases: { type: 'array', items: CanvasAnswer }, next_cursor: { ...nullableString, description: 'the cursor of the next page; null after the last canvas' } },
          },
          ...errorResponses(400, 401),
        },
      },
    },
    async (req) => {
      const { status, limit, cursor } = req.query;
      // Fastify's ajv coerces `1e999` and `Infinity` to Infinity and lets it through integer, minimum and maximum.
      if (!Number.isSafeInteger(limit)) throw new ValidationError('invalid_request', 'querystring/limit must be an integer from 1 to 500');
      const page = await canvases.listPage(req.workspaceId, { limit, ...(status ? { status } : {}), ...(cursor === undefined ? {} : { after: decodeCursor(cursor) }) });
      return { canvases: page.canvases.map(toCanvasJson), next_cursor: page.next === null ? null : encodeCursor(page.next) };
    },
  );

  app.post(
    '/api/canvases',
    { schema: { summary: 'Create a draft canvas', tags, body: CanvasBody, response: { 201: CanvasAnswer, ...errorResponses(400, 401, 415) } }, validatorCompiler: documentOnly, ...canvasBodyCap, config: { ...canvasBodyCap.config, role: 'editor' } },
    async (req, reply) => reply.code(201).send(toCanvasJson(await canvases.create(req.workspaceId, req.body, await savedBy(req)))),
  );

  app.get<{ Params: { id: string } }>(
    '/api/canvases/:id',
    { config: { role: 'viewer' }, schema: { summary: 'A canvas, with its latest version', tags, params: IdParams, response: { 200: CanvasAnswer, ...errorResponses(401, 404) } } },
    async (req) => toCanvasJson(await canvases.get(req.workspaceId, req.params.id)),
  );

  app.put<{ Params: { id: string } }>(
    '/api/canvases/:id',
    {
      schema: {
        summary: 'Edit a canvas: a draft in place; an active or stopped one as a new version (users inside keep theirs)',
        tags,
        params: IdParams,
        body: CanvasBody,
        response: { 200: CanvasAnswer, ...errorResponses(400, 401, 404, 409, 415, 422) },
      },
      validatorCompiler: documentOnly,
      ...canvasBodyCap,
      config: { ...canvasBodyCap.config, role: 'editor' },
    },
    async (req) => toCanvasJson(await canvases.update(req.workspaceId, req.params.id, req.body, await savedBy(req))),
  );

  app.get<{ Params: { id: string } }>(
    '/api/canvases/:id/versions',
    { config: { role: 'viewer' }, schema: { summary: "A canvas's versions, newest first: when and by whom each was saved, and how many users are in the canvas on it", tags, params: IdParams, response: { 200: VersionsAnswer, ...errorResponses(401, 404) } } },
    async (req) => {
      const versions = await canvases.versions(req.workspaceId, req.params.id);
      return { versions: versions.map((v) => ({ version: v.version, saved_at: new Date(v.savedAt).toISOString(), saved_by: v.savedBy, users_in: v.usersIn })) };
    },
  );

  app.post<{ Params: { id: string } }>(
    '/api/canvases/:id/problems',
    {
      schema: {
        summary: 'Why this canvas body would not save (shape) or not launch (reasons), without saving or launching it (the editor checks as you edit)',
        tags,
        params: IdParams,
        body: CanvasBody,
        response: { 200: ProblemsAnswer, ...errorResponses(400, 401, 404, 415) },
        description: 'Answers 200 for any JSON, of the canvas shape or not (400 only for a body over a cap of spec §9 while it arrives, or one that is not JSON).',
      },
      validatorCompiler: documentOnly,
      ...canvasBodyCap,
      // It writes nothing: whoever may read the canvas may ask.
      config: { ...canvasBodyCap.config, role: 'viewer' },
    },
    async (req) => canvases.problems(req.workspaceId, req.params.id, req.body),
  );

  /** Who is saving: the signed-in member's email, or "API key <name>" for a script. */
  async function savedBy(req: FastifyRequest): Promise<string | undefined> {
    if (req.session) return req.session.member.email;
    if (req.apiKeyId === null) return undefined;
    const key = (await deps.store.listApiKeys(req.workspaceId)).find((k) => k.id === req.apiKeyId);
    return key ? `API key ${key.name}` : undefined;
  }

  app.delete<{ Params: { id: string } }>(
    '/api/canvases/:id',
    { config: { role: 'editor' }, schema: { summary: 'Delete a draft (any other canvas is archived instead)', tags, params: IdParams, response: { 204: { type: 'null', description: 'Deleted' }, ...errorResponses(401, 404, 409) } } },
    async (req, reply) => {
      await canvases.remove(req.workspaceId, req.params.id);
      return reply.code(204).send();
    },
  );

  const lifecycle = [
    ['launch', 'Launch a draft, or resume a stopped canvas; refused with every reason when it cannot run', (ws: string, id: string) => canvases.launch(ws, id)],
    ['stop', 'Stop an active canvas: no new entries; users inside continue', (ws: string, id: string) => canvases.stop(ws, id)],
    ['archive', 'Archive a canvas (stopping it if active); an archived canvas is read-only', (ws: string, id: string) => canvases.archive(ws, id)],
  ] as const;
  for (const [action, summary, run] of lifecycle) {
    app.post<{ Params: { id: string } }>(
      `/api/canvases/:id/${action}`,
      { config: { role: 'editor' }, schema: { summary, tags, params: IdParams, response: { 200: action === 'launch' ? LaunchAnswer : CanvasAnswer, ...errorResponses(401, 404, 409, ...(action === 'launch' ? [422] : [])) } } },
      async (req) => {
        const record = await run(req.workspaceId, req.params.id);
        if (action !== 'launch') return toCanvasJson(record);
        // A launch may have a job due now (scheduled entry): start it without waiting for the worker's next poll.
        deps.journeys.wake();
        const warnings = deps.webhookTargetCheck ? await launchWarnings(record.definition, deps.webhookTargetCheck) : [];
        return { ...toCanvasJson(record), warnings };
      },
    );
  }
};

/** The canvas JSON of spec §3 with id, status, version and ISO times. */
export function toCanvasJson(c: CanvasRecord) {
  return {
    id: c.id,
    status: c.status,
    version: c.version,
    ...c.definition,
    created_at: new Date(c.createdAt).toISOString(),
    updated_at: new Date(c.updatedAt).toISOString(),
    launched_at: c.launchedAt === null ? null : new Date(c.launchedAt).toISOString(),
  };
}
