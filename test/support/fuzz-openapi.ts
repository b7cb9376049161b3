/**
 * Fuzzing every operation of the OpenAPI document (`GET /api/openapi.json`): the route list comes from
 * the document, so a route added to the API is fuzzed without a change here. For one operation it
 * sends, with the caller's headers (the API key), odd path parameters (percent-encodings, 5,000
 * characters, `%00`, `..`), odd query strings (wrong types, repeats, `__proto__[x]`), and bodies:
 * shaped after the operation's schema (and the caller's own shapes) with wrong types mixed in, then
 * made hostile — nested 10,000 to 100,000 deep, 1 MB strings, control characters, lone surrogates,
 * NUL, `__proto__`/`constructor`/`prototype` keys — plus everything `bodies()` of fuzz.ts sends.
 * Before the random runs, a valid body of the operation is swept place by place with the same
 * hostile values (sweepBodies), so fields random bodies rarely reach are always tried.
 * Every answer must be below 500, except a 502/503 the operation documents (TikTok down, not ready).
 */
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { bodies, contentTypes } from './fuzz.ts';

type Schema = Record<string, unknown> & { type?: string; properties?: Record<string, Schema>; items?: Schema; enum?: unknown[]; nullable?: boolean; required?: string[] };

export interface Operation {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** As the document writes it: `/api/canvases/{id}`. */
  path: string;
  /** `GET /api/canvases/{id}`: how tests name it. */
  key: string;
  pathParams: string[];
  query: { name: string; schema: Schema }[];
  body: Schema | null;
  /** 5xx answers the document gives this operation (502: TikTok failed; 503: not ready). 500 is never one. */
  documented5xx: number[];
}

interface OpenApiDoc {
  paths: Record<string, Record<string, { parameters?: { in: string; name: string; schema?: Schema }[]; requestBody?: { content?: Record<string, { schema?: Schema }> }; responses?: Record<string, unknown> }>>;
}

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** Every operation of the document. */
export function operationsOf(doc: OpenApiDoc): Operation[] {
  const out: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const op = item[method.toLowerCase()];
      if (!op) continue;
      const params = op.parameters ?? [];
      out.push({
        method,
        path,
        key: `${method} ${path}`,
        pathParams: [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!),
        query: params.filter((p) => p.in === 'query').map((p) => ({ name: p.name, schema: p.schema ?? {} })),
        body: op.requestBody?.content?.['application/json']?.schema ?? null,
        documented5xx: Object.keys(op.responses ?? {}).map(Number).filter((s) => s >= 501 && s <= 599),
      });
    }
  }
  return out;
}

/**
 * encodeURIComponent, except that a lone surrogate (which it refuses) becomes the three bytes UTF-8
 * would give its code point: invalid UTF-8, which is one more thing to send.
 */
export function percentEncode(text: string): string {
  let out = '';
  for (const ch of text) {
    const cu = ch.charCodeAt(0);
    if (ch.length === 1 && cu >= 0xd800 && cu <= 0xdfff) out += [0xe0 | (cu >> 12), 0x80 | ((cu >> 6) & 0x3f), 0x80 | (cu & 0x3f)].map((b) => `%${b.toString(16).toUpperCase()}`).join('');
    else out += encodeURIComponent(ch);
  }
  return out;
}

/** Path segments no route expects, already percent-encoded where a client would encode them. */
const ODD_SEGMENTS = [
  '%00', 'a%00b', '%', '%ZZ', '%C0%AF', '%ED%A0%80', '%FF%FE', '..', '..%2F..%2Fapi', '%2E%2E', '%2F', 'a%2Fb', '%0A', '%0D%0Aset-cookie:x', '%7F', '%E2%80%AE',
  '__proto__', 'constructor', 'prototype', 'toString', '%5F%5Fproto%5F%5F', ' ', '%20', '+', '*', 'null', 'undefined', '-1', '0', '1e999', 'NaN', '%F0%9F%98%80',
  'a'.repeat(5_000), encodeURIComponent('é'.repeat(2_000)), 'cv_' + '0'.repeat(24), "'; drop table canvases; --",
];
const oddSegment = fc.oneof(
  fc.constantFrom(...ODD_SEGMENTS),
  fc.string({ unit: 'binary', maxLength: 64 }).map(percentEncode),
  fc.string({ unit: fc.constantFrom('\ud800', '\udc00', 'a', '\u0000', '/'), maxLength: 8 }).map(percentEncode),
  fc.string({ maxLength: 300 }).map(percentEncode),
);

/** A value of a query parameter, raw (unencoded): some fit the schema, most do not. */
function queryValue(schema: Schema, valid: readonly string[]): fc.Arbitrary<string | string[]> {
  const fitting = schema.enum ? fc.constantFrom(...schema.enum.map(String)) : schema.type === 'integer' || schema.type === 'number' ? fc.integer({ min: -10, max: 1_000 }).map(String) : fc.string({ maxLength: 40 });
  return fc.oneof(
    { arbitrary: valid.length > 0 ? fc.constantFrom(...valid) : fitting, weight: 3 },
    { arbitrary: fitting, weight: 2 },
    { arbitrary: fc.constantFrom('', '-0', '1.5', '1e999', 'NaN', 'true', 'null', '[]', '{}', '__proto__', 'constructor', '\u0000', 'a\u0000b', '\ud800', 'x'.repeat(5_000), '0x10', ' 1 '), weight: 3 },
    { arbitrary: fc.string({ unit: 'binary', maxLength: 100 }), weight: 1 },
    { arbitrary: fc.array(fitting, { minLength: 2, maxLength: 3 }), weight: 1 },
  );
}

function queryString(op: Operation, valid: Readonly<Record<string, readonly string[]>>): fc.Arbitrary<string> {
  const known = op.query.map((q) => fc.option(queryValue(q.schema, valid[q.name] ?? []), { nil: undefined }).map((v) => [q.name, v] as const));
  const extra = fc.array(
    fc.tuple(fc.constantFrom('__proto__', '__proto__[admin]', 'constructor[prototype][admin]', 'x', 'limit', 'a%00', 'toString', '', '[]'), fc.string({ maxLength: 20 })),
    { maxLength: 3 },
  );
  return fc.tuple(fc.tuple(...known), extra, fc.boolean()).map(([pairs, more, rawEncoding]) => {
    const parts: string[] = [];
    for (const [name, value] of pairs) {
      if (value === undefined) continue;
      // Raw: only what would end the value or the URL is encoded (a NUL or a lone surrogate is sent as bytes).
      for (const v of Array.isArray(value) ? value : [value]) parts.push(`${name}=${rawEncoding ? v.replace(/[&#\s%+]|[\ud800-\udfff]/gu, percentEncode) : percentEncode(v)}`);
    }
    for (const [name, value] of more) parts.push(`${name}=${percentEncode(value)}`);
    return parts.length === 0 ? '' : `?${parts.join('&')}`;
  });
}

/** Values shaped by a JSON schema, with wrong types mixed in at every level. */
export function shapedBy(schema: Schema | undefined, depth = 0): fc.Arbitrary<unknown> {
  const wrong = fc.oneof(fc.constantFrom(null, true, 0, -1, 1e308, '', 'x', [], {}), fc.jsonValue({ maxDepth: 2 }));
  if (!schema || depth > 4) return fc.jsonValue({ maxDepth: 2 });
  let right: fc.Arbitrary<unknown>;
  if (schema.enum) right = fc.constantFrom(...schema.enum);
  else if (schema.type === 'string') right = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('7000000000000000001', 'VIP', 'a@example.com', '+15555550100', 'US', '2026-01-01T00:00:00Z'));
  else if (schema.type === 'integer' || schema.type === 'number') right = fc.oneof(fc.integer(), fc.constantFrom(0, 1, 500, 501, -1, Number.MAX_SAFE_INTEGER));
  else if (schema.type === 'boolean') right = fc.boolean();
  else if (schema.type === 'array') right = fc.array(shapedBy(schema.items, depth + 1), { maxLength: 4 });
  else if (schema.type === 'object' || schema.properties) {
    const props = Object.entries(schema.properties ?? {});
    right = fc.record(Object.fromEntries(props.map(([k, s]) => [k, shapedBy(s, depth + 1)])), { requiredKeys: [] });
  } else right = fc.jsonValue({ maxDepth: 3 });
  return fc.oneof({ arbitrary: right, weight: 5 }, { arbitrary: wrong, weight: 1 }, ...(schema.nullable ? [{ arbitrary: fc.constant(null), weight: 1 }] : []));
}

/** What replaces one value of a shaped body: the hostile part. */
const hostileValue = fc.oneof(
  fc.integer({ min: 10_000, max: 100_000 }).chain((n) => fc.constantFrom(`${'['.repeat(n)}${']'.repeat(n)}`, `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`, `${'{"all":['.repeat(n)}{}${']}'.repeat(n)}`)),
  fc.constantFrom(`"${'x'.repeat(1_048_576)}"`, `"${'\\u0000'.repeat(1_000)}"`, `["${'é'.repeat(300_000)}"]`),
  fc.constantFrom(
    '"a\\u0000b"', '"\\ud800"', '"\\udfff\\ud800"', '"\\u0007\\u001b[31m\\u0085"', '"\\u202e"', '{"__proto__":{"admin":true}}', '{"constructor":{"prototype":{"admin":true}}}',
    '{"prototype":1,"constructor":1}', '{"\\u005f_proto__":1}', '{"a\\u0000":1}', '1e999', '-1e999', '[1e999]', '123456789012345678901234567890',
  ),
);

/** A shaped value as JSON text with one of its values, or a new first key, made hostile. */
function hostile(shaped: fc.Arbitrary<unknown>): fc.Arbitrary<string> {
  return fc.tuple(shaped, hostileValue, fc.nat(), fc.constantFrom('__proto__', 'constructor', 'prototype', 'k', '', 'a\u0000')).map(([value, bad, pick, key]) => {
    const text = JSON.stringify(value ?? null) ?? 'null';
    // Where a value starts: after a `:`, `[` or `,` (now and then inside a string: malformed JSON is a case too).
    const slots = [...text.matchAll(/[:[,](?=["\d\-tfn[{])/g)].map((m) => m.index! + 1);
    if (slots.length > 0 && pick % 3 !== 0) {
      const at = slots[pick % slots.length]!;
      return text.slice(0, at) + bad + text.slice(endOfValue(text, at));
    }
    if (text.startsWith('{')) return `{${JSON.stringify(key)}:${bad}${text === '{}' ? '' : ','}${text.slice(1)}`;
    return bad;
  });
}

/** The index just after the JSON value starting at `at` (strings, numbers, literals, containers). */
function endOfValue(text: string, at: number): number {
  let depth = 0;
  let inString = false;
  for (let i = at; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') {
        inString = false;
        if (depth === 0) return i + 1;
      }
    } else if (c === '"') inString = true;
    else if (c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') {
      if (depth === 0) return i;
      depth--;
      if (depth === 0) return i + 1;
    } else if (c === ',' && depth === 0) return i;
  }
  return text.length;
}

/** What the sweep puts at each place of a valid body, as JSON text; the ones most likely to break something first. */
const SWEEP_VALUES = [
  `${'{"a":'.repeat(12_000)}1${'}'.repeat(12_000)}`,
  '"a\\u0000b"',
  `${'['.repeat(12_000)}${']'.repeat(12_000)}`,
  '{"__proto__":{"admin":true}}',
  `"${'x'.repeat(1_048_576)}"`,
  '"\\ud800x\\udc00"',
  '1e999',
  '"\\u0007\\u001b[2J\\u0085\\u2028"',
  `${'{"all":['.repeat(12_000)}{}${']}'.repeat(12_000)}`,
  '{"constructor":{"prototype":{"admin":true}}}',
  '{"a\\u0000":1,"":2}',
  'null',
  '[]',
  '{}',
  '-0.5',
];
/** Keys the sweep adds to each object of a valid body. */
const SWEEP_KEYS = ['__proto__', 'a\u0000b', 'constructor', 'prototype', '', 'x'.repeat(5_000)];
/** At most this many sweep requests per operation: every place gets the first values, then the next. */
const MAX_SWEEP = 200;
const MARK = '\u0001fuzz\u0001';
const MARK_TEXT = JSON.stringify(MARK);

/** Every place of a JSON value (its root included) and whether an object sits there. Test data only: small, so recursion is fine. */
function places(value: unknown, path: PropertyKey[] = [], out: { path: PropertyKey[]; object: boolean }[] = []) {
  const object = value !== null && typeof value === 'object' && !Array.isArray(value);
  out.push({ path, object });
  if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) places(v, [...path, Array.isArray(value) ? Number(k) : k], out);
  return out;
}

function withMarkAt(value: unknown, path: readonly PropertyKey[], mark: (old: unknown) => unknown): unknown {
  if (path.length === 0) return mark(value);
  const copy = (Array.isArray(value) ? [...value] : { ...(value as object) }) as Record<PropertyKey, unknown>;
  const [head, ...rest] = path;
  copy[head as string] = withMarkAt(copy[head as string], rest, mark);
  return copy;
}

/**
 * A valid body made hostile one place at a time: every place gets each of SWEEP_VALUES, every object
 * each of SWEEP_KEYS. Deterministic, so a deep value in a field random bodies rarely reach (a trigger's
 * `context`) is always sent.
 */
export function sweepBodies(skeleton: unknown): string[] {
  const at = places(skeleton);
  const out: string[] = [];
  const text = (path: readonly PropertyKey[], mark: (old: unknown) => unknown) => JSON.stringify(withMarkAt(skeleton, path, mark)) ?? '';
  // Value by value (most telling first), every place each time; then keys, object by object.
  for (const bad of SWEEP_VALUES) for (const { path } of at) out.push(text(path, () => MARK).replace(MARK_TEXT, () => bad));
  for (const key of SWEEP_KEYS) for (const { path, object } of at) if (object) out.push(text(path, (o) => ({ [MARK]: 1, ...(o as object) })).replace(MARK_TEXT, () => JSON.stringify(key)));
  return out.slice(0, MAX_SWEEP);
}

/** In a body, replaced by a new id on every request: a user seen once is not entered again, so the sweep must not reuse one. */
export const FRESH_ID = 'fuzz-fresh-id';
let freshIds = 0;
const freshen = <T extends string | Buffer | undefined>(payload: T): T => (typeof payload === 'string' ? (payload.replaceAll(FRESH_ID, () => `fuzz-${++freshIds}`) as T) : payload);

export interface OperationFuzz {
  /** Sent with every request (the API key). */
  headers: Record<string, string>;
  runs: number;
  /** Values of path parameters by name that reach past the lookup (real ids of this workspace). */
  pathValues?: Readonly<Record<string, readonly string[]>>;
  /** Values of query parameters by name that fit. */
  queryValues?: Readonly<Record<string, readonly string[]>>;
  /** Bodies shaped like the route's own, beyond what its schema says. */
  shapes?: readonly fc.Arbitrary<unknown>[];
  /** Valid bodies, swept place by place (sweepBodies) before the random runs, to `sweepUrl`. */
  skeletons?: readonly unknown[];
  /** Where the sweep sends (default: the path with the first of each pathValues). */
  sweepUrl?: string;
  seed?: number;
}

/** Fuzzes one operation; throws (fast-check's shrunk counterexample) on a 500 or an undocumented 5xx. Returns how many answers had each status. */
export async function fuzzOperation(app: FastifyInstance, op: Operation, o: OperationFuzz): Promise<Map<number, number>> {
  const statuses = new Map<number, number>();
  const refused = (status: number) => status >= 500 && !(status !== 500 && op.documented5xx.includes(status));
  const validPath = o.sweepUrl ?? op.pathParams.reduce((p, name) => p.replace(`{${name}}`, percentEncode(o.pathValues?.[name]?.[0] ?? 'x')), op.path);
  for (const payload of op.method === 'GET' ? [] : (o.skeletons ?? []).flatMap(sweepBodies)) {
    const res = await app.inject({ method: op.method, url: validPath, headers: { ...o.headers, 'content-type': 'application/json' }, payload: freshen(payload) });
    statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
    if (refused(res.statusCode)) throw new Error(`${op.key}: HTTP ${res.statusCode} for ${op.method} ${validPath} with body ${payload.slice(0, 300)}: ${res.body.slice(0, 300)}`);
  }
  const segment = (name: string) => {
    const valid = o.pathValues?.[name] ?? [];
    return valid.length > 0 ? fc.oneof({ arbitrary: fc.constantFrom(...valid.map(percentEncode)), weight: 3 }, { arbitrary: oddSegment, weight: 2 }) : oddSegment;
  };
  const path = fc.tuple(...op.pathParams.map(segment)).map((values) => op.pathParams.reduce((p, name, i) => p.replace(`{${name}}`, values[i]!), op.path));
  const shaped = fc.oneof(shapedBy(op.body ?? undefined), ...(o.shapes ?? []), ...(o.skeletons ?? []).map((s) => fc.constant(s)));
  const withBody = op.method !== 'GET';
  const body: fc.Arbitrary<string | Buffer | undefined> = withBody
    ? fc.oneof(
        { arbitrary: shaped.map((v) => JSON.stringify(v) ?? ''), weight: 4 },
        { arbitrary: hostile(shaped), weight: 4 },
        { arbitrary: bodies(o.shapes ?? []), weight: 2 },
        { arbitrary: fc.constant(undefined), weight: 1 },
      )
    : fc.oneof({ arbitrary: fc.constant(undefined), weight: 6 }, { arbitrary: fc.oneof(hostile(shaped), bodies([])), weight: 1 });
  const request = fc.record({ path, query: queryString(op, o.queryValues ?? {}), body, contentType: contentTypes });
  await fc.assert(
    fc.asyncProperty(request, async ({ path: p, query, body: payload, contentType }) => {
      const res = await app.inject({
        method: op.method,
        url: `${p}${query}`,
        headers: { ...o.headers, ...(payload === undefined || contentType === undefined ? {} : { 'content-type': contentType }) },
        ...(payload === undefined ? {} : { payload: freshen(payload) }),
      });
      statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
      if (refused(res.statusCode)) {
        throw new Error(`${op.key}: HTTP ${res.statusCode} for ${op.method} ${`${p}${query}`.slice(0, 200)} (${String(contentType)}, body ${String(payload ?? '').slice(0, 200)}): ${res.body.slice(0, 300)}`);
      }
    }),
    { numRuns: o.runs, ...(o.seed === undefined ? {} : { seed: o.seed }) },
  );
  return statuses;
}
