/**
 * The objects users and events arrive as: Braze's `/users/track` shape (spec §4) over the API, and
 * the rows of `cohort import`. Each object is parsed alone, so one bad object fails alone and the
 * rest of the request or file goes on. These zod schemas are the one source of truth: they validate
 * here and they document the request body in the OpenAPI document (api/routes/users.ts).
 */
import { z } from 'zod';
import { jsonProblem, MAX_JSON_DEPTH } from '../core/json-limits.ts';
import { formatJsonPath } from '../core/json-path.ts';
import { STANDARD_ATTRIBUTES, type Json, type NewEvent, type ProfilePatch, type StandardAttribute } from '../store/port.ts';

/** Attributes and events together, per request (spec §4). */
export const MAX_OBJECTS_PER_REQUEST = 10_000;
/** Nesting allowed inside a custom attribute or event property value; also keeps validation off the call stack's edge. */
/** Braze's limit for string attribute values and names; we apply it to ids, names and standard attributes. */
const MAX_TEXT = 255;

const required = (what: string) => (issue: { input: unknown }) => (issue.input === undefined ? 'is required' : `must be ${what}`);
/** PostgreSQL text cannot hold U+0000: refuse it in every string stored in a column (JSON values escape it). */
const hasNoNul = (s: string): boolean => !s.includes('\u0000');
/** The same rule as a JSON-schema pattern, for path parameters. */
export const NO_NUL_PATTERN = '^[^\\u0000]*$';
const NUL_MESSAGE = 'must not contain the NUL character';
const externalId = z
  .string({ error: required('a string') })
  .min(1, 'must not be empty')
  .max(MAX_TEXT, `must be at most ${MAX_TEXT} characters`)
  .refine(hasNoNul, NUL_MESSAGE)
  .describe('Your id for the user, unique in the workspace');
const text = z
  .string({ error: 'must be a string or null' })
  .max(MAX_TEXT, `must be at most ${MAX_TEXT} characters`)
  .refine(hasNoNul, NUL_MESSAGE)
  .nullable()
  .optional();

/** Any JSON value with finite numbers, at most MAX_JSON_DEPTH levels deep (checked without recursion). Also a trigger's `context` values (api/routes/journeys.ts). */
export const jsonValue = z.custom<Json>(isBoundedJson, { error: `must be JSON with finite numbers, at most ${MAX_JSON_DEPTH} levels deep` });

const standard = {
  email: text,
  phone: text.describe('E.164 preferred, e.g. +15555550100; read in the profile country when it has no country code'),
  first_name: text,
  last_name: text,
  country: z
    .string({ error: 'must be a string or null' })
    .regex(/^[A-Za-z]{2}$/, 'must be an ISO 3166 alpha-2 code such as "US"')
    .transform((c) => c.toUpperCase())
    .nullable()
    .optional()
    .describe('ISO 3166 alpha-2, stored uppercase'),
  language: text,
  idfa: text,
  gaid: text,
  ads_tracking_enabled: z.boolean({ error: 'must be true, false or null' }).nullable().optional(),
} satisfies Record<StandardAttribute, z.ZodType>;

/** One `attributes[]` object: a value sets, `null` removes, an absent key keeps; any other key is a custom attribute. */
export const AttributesObject = z
  .object({ external_id: externalId, ...standard })
  .catchall(jsonValue)
  .describe('Standard attributes go to their columns; any other key is a custom attribute (any JSON value). null removes an attribute; an absent key keeps it.');

/** ISO-8601 date and time, with or without an offset. Exported so the OpenAPI document can show it as a format, not zod's regex. */
export const EventTime = z.iso.datetime({ offset: true, local: true, error: 'must be an ISO-8601 date and time, e.g. 2026-01-31T12:00:00Z' });

/** One `events[]` object. Unknown keys (Braze's `app_id`, …) are ignored. */
export const EventObject = z
  .object({
    external_id: externalId,
    name: z.string({ error: required('a string') }).min(1, 'must not be empty').max(MAX_TEXT, `must be at most ${MAX_TEXT} characters`).refine(hasNoNul, NUL_MESSAGE),
    time: EventTime.optional()
      .describe('ISO-8601; without a time zone it is read as UTC; default: when received'),
    properties: z
      .record(z.string().max(MAX_TEXT, `names must be at most ${MAX_TEXT} characters`), jsonValue, { error: 'must be an object' })
      .nullable()
      .optional(),
  })
  .describe('An event; a user who does not exist yet is created with an empty profile.');

/** The request body as documented; the route reads it object by object (see parse functions below). */
export const TrackBody = z
  .object({ attributes: z.array(AttributesObject).optional(), events: z.array(EventObject).optional() })
  .describe(`At most ${MAX_OBJECTS_PER_REQUEST.toLocaleString('en-US')} objects in total; send attributes, events or both.`);

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

const STANDARD = new Set<string>(STANDARD_ATTRIBUTES);

/** One attributes object → a profile patch, or why not (the message names fields, never values). */
export function parseAttributesObject(input: unknown): Parsed<ProfilePatch> {
  const shape = plainObject(input);
  if (shape) return shape;
  const parsed = AttributesObject.safeParse(input);
  if (!parsed.success) return { ok: false, message: describeIssues(parsed.error) };
  const patch: ProfilePatch = { externalId: parsed.data.external_id, standard: {}, custom: {} };
  const custom: [string, Json][] = [];
  for (const [key, value] of Object.entries(parsed.data)) {
    if (key === 'external_id' || value === undefined) continue;
    if (STANDARD.has(key)) (patch.standard as Record<string, unknown>)[key] = value;
    else if (key.length === 0 || key.length > MAX_TEXT) return { ok: false, message: `custom attribute names must be 1 to ${MAX_TEXT} characters` };
    else custom.push([key, value as Json]);
  }
  patch.custom = Object.fromEntries(custom);
  return { ok: true, value: patch };
}

/** One event object → a new event (time defaults to `now`), or why not. */
export function parseEventObject(input: unknown, now: number): Parsed<NewEvent> {
  const shape = plainObject(input);
  if (shape) return shape;
  const parsed = EventObject.safeParse(input);
  if (!parsed.success) return { ok: false, message: describeIssues(parsed.error) };
  const { external_id, name, time, properties } = parsed.data;
  return { ok: true, value: { externalId: external_id, name, time: time === undefined ? now : parseUtc(time), properties: properties ?? {} } };
}

function plainObject(input: unknown): { ok: false; message: string } | null {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return { ok: false, message: 'must be a JSON object' };
  // JSON.parse makes `__proto__` an own key; refuse it rather than let it reach an object spread.
  if (Object.hasOwn(input, '__proto__')) return { ok: false, message: 'the attribute name __proto__ is not allowed' };
  return null;
}

/** ISO-8601 with an offset, or without one (read as UTC, not as the server's local time). */
function parseUtc(iso: string): number {
  return Date.parse(/(?:[zZ]|[+-]\d\d:?\d\d)$/.test(iso) ? iso : `${iso}Z`);
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => (i.path.length > 0 ? `${formatJsonPath(i.path)}: ${i.message}` : i.message))
    .join('; ');
}

/** Depth and finite numbers (JSON.parse turns 1e999 into Infinity, which would be stored as null); the body limit bounds the size. */
function isBoundedJson(value: unknown): boolean {
  return jsonProblem(value, { maxLength: Number.POSITIVE_INFINITY, strings: false }) === null;
}
