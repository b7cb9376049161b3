/**
 * Users (spec §4): `POST /api/users/track` (Braze's /users/track shape) and
 * `GET /api/users/{external_id}` (profile, recent events, canvas entries, sync items). Scoped by the workspace of
 * the API key; another workspace's user is simply not found.
 */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { NotFoundError, ValidationError } from '../../core/errors.ts';
import { EventTime, MAX_OBJECTS_PER_REQUEST, NO_NUL_PATTERN, parseAttributesObject, parseEventObject, TrackBody } from '../../ingest/objects.ts';
import { writeTrack } from '../../ingest/track.ts';
import type { NewEvent, Profile, ProfileEntry, ProfileEvent, ProfilePatch, ProfileSyncItem } from '../../store/port.ts';
import type { ApiDeps } from '../deps.ts';
import { TooLargeError } from '../errors.ts';
import { errorResponses } from '../openapi.ts';

interface ObjectError {
  index: number;
  type: 'attributes' | 'events';
  message: string;
}

const TrackBodyDoc = z.toJSONSchema(TrackBody, {
  target: 'openapi-3.0',
  io: 'input',
  unrepresentable: 'any',
  // zod spells date-time out as a long regex; the format says it better in the document.
  override: ({ zodSchema, jsonSchema }) => {
    if (zodSchema !== EventTime) return;
    delete jsonSchema.pattern;
    jsonSchema.format = 'date-time';
  },
});

const TrackAnswer = {
  type: 'object',
  required: ['message', 'attributes_processed', 'events_processed'],
  properties: {
    message: { type: 'string', enum: ['success'] },
    attributes_processed: { type: 'integer' },
    events_processed: { type: 'integer' },
    errors: {
      type: 'array',
      description: 'Objects that were refused; the others were processed. Present only when some were refused.',
      items: {
        type: 'object',
        required: ['index', 'type', 'message'],
        properties: { index: { type: 'integer' }, type: { type: 'string', enum: ['attributes', 'events'] }, message: { type: 'string' } },
      },
    },
  },
} as const;

const nullableString = { type: 'string', nullable: true } as const;
const dateTime = { type: 'string', format: 'date-time' } as const;
const nullableDateTime = { type: 'string', format: 'date-time', nullable: true } as const;

const HashPrefixes = {
  type: 'object',
  nullable: true,
  description: "The first 8 hex digits of each SHA-256 sent, then '…', while the item's payload exists (pending items); null once its outcome is final and the hashes are deleted",
  properties: { email: { type: 'string' }, phone: { type: 'string' }, idfa: { type: 'string' }, gaid: { type: 'string' } },
} as const;

/** What a user looks like from outside: never the internal id, never a whole hashed identifier. */
const UserAnswer = {
  type: 'object',
  required: ['profile', 'events', 'canvas_entries', 'sync_items'],
  properties: {
    events: {
      type: 'array',
      description: 'The latest 50 events by time, newest first',
      items: {
        type: 'object',
        required: ['name', 'time', 'properties'],
        properties: { name: { type: 'string' }, time: dateTime, properties: { type: 'object', additionalProperties: true } },
      },
    },
    profile: {
      type: 'object',
      required: ['external_id', 'email', 'phone', 'first_name', 'last_name', 'country', 'language', 'idfa', 'gaid', 'ads_tracking_enabled', 'custom', 'created_at', 'updated_at'],
      properties: {
        external_id: { type: 'string' },
        email: nullableString,
        phone: nullableString,
        first_name: nullableString,
        last_name: nullableString,
        country: nullableString,
        language: nullableString,
        idfa: nullableString,
        gaid: nullableString,
        ads_tracking_enabled: { type: 'boolean', nullable: true },
        custom: { type: 'object', additionalProperties: true, description: 'custom attributes' },
        created_at: dateTime,
        updated_at: dateTime,
      },
    },
    canvas_entries: {
      type: 'array',
      description: 'The latest 100 entries, newest first',
      items: {
        type: 'object',
        required: ['canvas_id', 'canvas_name', 'version', 'step_id', 'status', 'entered_at', 'exited_at', 'failure_reason'],
        properties: {
          canvas_id: { type: 'string' },
          canvas_name: { type: 'string', nullable: true, description: "the canvas's name now; null if it was deleted" },
          version: { type: 'integer' },
          step_id: { type: 'string', nullable: true, description: 'the step the user is in (active) or where they left' },
          status: { type: 'string', description: 'active, exited or failed' },
          entered_at: dateTime,
          exited_at: nullableDateTime,
          failure_reason: { type: 'string', nullable: true, description: 'why a failed entry failed, e.g. template_too_deep, invalid_value' },
        },
      },
    },
    sync_items: {
      type: 'array',
      description: 'The latest 100 audience_sync items, newest first, with outcome and reason',
      items: {
        type: 'object',
        required: ['canvas_id', 'step_id', 'advertiser_id', 'audience_id', 'action', 'outcome', 'reason', 'created_at', 'settled_at', 'failed_attempts', 'last_error', 'next_attempt_at', 'identifiers'],
        properties: {
          canvas_id: { type: 'string' },
          step_id: { type: 'string' },
          advertiser_id: nullableString,
          audience_id: nullableString,
          action: { type: 'string' },
          outcome: { type: 'string', enum: ['pending', 'synced', 'not_synced', 'errored'] },
          reason: nullableString,
          created_at: { ...dateTime, description: 'when the user entered the step' },
          settled_at: { ...nullableDateTime, description: 'when the outcome became final' },
          failed_attempts: { type: 'integer', description: 'requests that failed and were retried' },
          last_error: { ...nullableString, description: "a pending item's last failure" },
          next_attempt_at: { ...nullableDateTime, description: 'when a pending item is next sent' },
          identifiers: {
            type: 'object',
            required: ['fields', 'hashes'],
            properties: {
              fields: { type: 'array', nullable: true, items: { type: 'string', enum: ['email', 'phone', 'idfa', 'gaid'] }, description: 'the identifier fields sent for this user (empty: none usable); null for items older than this record' },
              hashes: HashPrefixes,
            },
          },
        },
      },
    },
  },
} as const;

const UserParams = {
  type: 'object',
  required: ['external_id'],
  properties: { external_id: { type: 'string', minLength: 1, maxLength: 255, pattern: NO_NUL_PATTERN } },
} as const;

export const usersRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  app.post(
    '/api/users/track',
    {
      config: { role: 'editor' },
      schema: {
        summary: 'Create or update users and record events',
        tags: ['users'],
        body: TrackBodyDoc,
        response: { 200: TrackAnswer, ...errorResponses(400, 401, 413, 415) },
      },
      // The body schema documents; zod validates object by object in the handler, so one bad
      // object fails alone (Fastify's ajv would refuse the whole request and coerce types).
      validatorCompiler: () => () => true,
    },
    async (req) => {
      const { attributes, events } = readEnvelope(req.body);
      const now = deps.clock.now();
      const errors: ObjectError[] = [];
      const patches: ProfilePatch[] = [];
      const newEvents: NewEvent[] = [];
      attributes.forEach((object, index) => {
        const parsed = parseAttributesObject(object);
        if (parsed.ok) patches.push(parsed.value);
        else errors.push({ index, type: 'attributes', message: parsed.message });
      });
      events.forEach((object, index) => {
        const parsed = parseEventObject(object, now);
        if (parsed.ok) newEvents.push(parsed.value);
        else errors.push({ index, type: 'events', message: parsed.message });
      });
      if (patches.length > 0 || newEvents.length > 0) {
        await deps.store.transaction((tx) => writeTrack(tx, deps.engine, req.workspaceId, { patches, events: newEvents }, now));
      }
      return {
        message: 'success' as const,
        attributes_processed: patches.length,
        events_processed: newEvents.length,
        ...(errors.length > 0 ? { errors } : {}),
      };
    },
  );

  app.get<{ Params: { external_id: string } }>(
    '/api/users/:external_id',
    {
      config: { role: 'viewer' },
      schema: {
        summary: 'A user: the profile, its canvas entries and its sync items',
        tags: ['users'],
        params: UserParams,
        response: { 200: UserAnswer, ...errorResponses(400, 401, 404) },
      },
    },
    async (req) => {
      const profile = await deps.store.getProfile(req.workspaceId, req.params.external_id);
      if (!profile) throw new NotFoundError('user_not_found', 'no user with this external_id in this workspace');
      const [events, entries, items] = await Promise.all([
        deps.store.listEventsOfProfile(req.workspaceId, profile.externalId),
        deps.store.listEntriesOfProfile(req.workspaceId, profile.externalId),
        deps.store.listSyncItemsOfProfile(req.workspaceId, profile.externalId),
      ]);
      return { profile: profileView(profile), events: events.map(eventView), canvas_entries: entries.map(entryView), sync_items: items.map(syncItemView) };
    },
  );
};

/** The body's two arrays; anything else about its shape is a 400, and too many objects a 413. */
function readEnvelope(body: unknown): { attributes: unknown[]; events: unknown[] } {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ValidationError('invalid_request', 'the body must be a JSON object with an "attributes" array, an "events" array or both');
  }
  const { attributes, events } = body as { attributes?: unknown; events?: unknown };
  if (attributes === undefined && events === undefined) throw new ValidationError('invalid_request', 'send "attributes", "events" or both');
  if (attributes !== undefined && !Array.isArray(attributes)) throw new ValidationError('invalid_request', '"attributes" must be an array');
  if (events !== undefined && !Array.isArray(events)) throw new ValidationError('invalid_request', '"events" must be an array');
  const a = (attributes ?? []) as unknown[];
  const e = (events ?? []) as unknown[];
  if (a.length + e.length > MAX_OBJECTS_PER_REQUEST) {
    throw new TooLargeError('too_many_objects', `at most ${MAX_OBJECTS_PER_REQUEST} objects per request (attributes and events together), got ${a.length + e.length}`);
  }
  return { attributes: a, events: e };
}

const iso = (ms: number): string => new Date(ms).toISOString();
const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));

function profileView(p: Profile) {
  return {
    external_id: p.externalId,
    email: p.email,
    phone: p.phone,
    first_name: p.first_name,
    last_name: p.last_name,
    country: p.country,
    language: p.language,
    idfa: p.idfa,
    gaid: p.gaid,
    ads_tracking_enabled: p.ads_tracking_enabled,
    custom: p.custom,
    created_at: iso(p.createdAt),
    updated_at: iso(p.updatedAt),
  };
}

const eventView = (e: ProfileEvent) => ({ name: e.name, time: iso(e.time), properties: e.properties });

const entryView = (e: ProfileEntry) => ({
  canvas_id: e.canvasId,
  canvas_name: e.canvasName,
  version: e.version,
  step_id: e.stepId,
  status: e.status,
  entered_at: iso(e.enteredAt),
  exited_at: isoOrNull(e.exitedAt),
  failure_reason: e.failureReason,
});

const syncItemView = (s: ProfileSyncItem) => ({
  canvas_id: s.canvasId,
  step_id: s.stepId,
  advertiser_id: s.advertiserId,
  audience_id: s.audienceId,
  action: s.action,
  outcome: s.outcome,
  reason: s.reason,
  created_at: iso(s.createdAt),
  settled_at: isoOrNull(s.settledAt),
  failed_attempts: s.failedAttempts,
  last_error: s.lastError,
  next_attempt_at: isoOrNull(s.dueAt),
  identifiers: {
    fields: s.fieldsSent,
    hashes: s.hashPrefixes && Object.fromEntries(Object.entries(s.hashPrefixes).map(([f, prefix]) => [f, `${prefix}…`])),
  },
});
