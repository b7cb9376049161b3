/**
 * Random request bodies against one JSON route: the API must answer every one with a status below
 * 500 (spec §4: "never a 5xx for bad input"). Bodies are random JSON, `fc.anything()`, random text
 * and bytes, truncated JSON, huge numbers, deep nesting, shapes close to the route's own, and
 * wrong content types. A failure is shrunk by fast-check and reported with its seed.
 *
 *   const statuses = await fuzzRoute(app, '/api/canvas/trigger/send', 1_000, { headers: { authorization: `Bearer ${key}` }, shapes: [triggerLike] });
 *
 * Every route of the OpenAPI document, path and query included: fuzz-openapi.ts, which uses the bodies
 * and content types below.
 */
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';

export interface FuzzOptions {
  /** Sent with every request, e.g. the API key. */
  headers?: Record<string, string>;
  /** Values shaped like the route's body (serialised as JSON), so the fuzz reaches past the first check. */
  shapes?: readonly fc.Arbitrary<unknown>[];
  method?: 'POST' | 'PUT' | 'PATCH';
  seed?: number;
}

interface FuzzCase {
  contentType: string | undefined;
  payload: string | Buffer;
}

const stringify = (value: unknown): string => {
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return String(value);
  }
};

/** Mostly JSON; now and then a content type a JSON route must refuse (or parse as JSON despite its case). */
export const contentTypes = fc.oneof(
  { arbitrary: fc.constant('application/json'), weight: 8 },
  {
    arbitrary: fc.constantFrom(
      undefined,
      '',
      'application/json; charset=utf-8',
      'application/json; charset=utf-16',
      'APPLICATION/JSON',
      'application/vnd.api+json',
      'text/plain',
      'text/html',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=fuzz',
      'application/octet-stream',
      'application/xml',
      '*/*',
      'json',
    ),
    weight: 2,
  },
);

function deepNesting(): fc.Arbitrary<string> {
  return fc.tuple(fc.integer({ min: 1, max: 50_000 }), fc.constantFrom('[', '{"a":', '{"attributes":[{"external_id":"u","x":'), fc.boolean()).map(([n, open, balanced]) => {
    const close = open === '[' ? ']' : open === '{"a":' ? '}' : '}]}';
    return `${open.repeat(n)}1${balanced ? close.repeat(n) : ''}`;
  });
}

const hugeNumbers = fc.oneof(
  fc.constantFrom('1e999', '-1e999', '9'.repeat(400), '0.' + '0'.repeat(400) + '1', '-0', '1e-999'),
  fc.bigInt().map((n) => `${n}${'0'.repeat(300)}`),
  fc.bigInt().map((n) => `{"attributes":[{"external_id":"big","n":${n}${'9'.repeat(330)}}],"events":[{"external_id":"big","name":"n","properties":{"v":${n}e400}}]}`),
);

export function bodies(shapes: readonly fc.Arbitrary<unknown>[]): fc.Arbitrary<string | Buffer> {
  const shaped = shapes.length > 0 ? fc.oneof(...shapes).map(stringify) : fc.json();
  return fc.oneof(
    { arbitrary: shaped, weight: 6 },
    { arbitrary: fc.json(), weight: 2 },
    { arbitrary: fc.anything({ withNullPrototype: true, withObjectString: true }).map(stringify), weight: 2 },
    { arbitrary: fc.string({ unit: 'binary', maxLength: 200 }), weight: 1 },
    { arbitrary: fc.tuple(shaped, fc.nat()).map(([text, cut]) => text.slice(0, cut % (text.length + 1))), weight: 2 },
    { arbitrary: hugeNumbers, weight: 1 },
    { arbitrary: deepNesting(), weight: 1 },
    { arbitrary: fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)), weight: 1 },
  );
}

/** Sends `runs` random requests; throws (with fast-check's shrunk counterexample) on the first 5xx. Returns how many answers had each status. */
export async function fuzzRoute(app: FastifyInstance, url: string, runs: number, options: FuzzOptions = {}): Promise<Map<number, number>> {
  const statuses = new Map<number, number>();
  const cases: fc.Arbitrary<FuzzCase> = fc.record({ contentType: contentTypes, payload: bodies(options.shapes ?? []) });
  await fc.assert(
    fc.asyncProperty(cases, async ({ contentType, payload }) => {
      const res = await app.inject({
        method: options.method ?? 'POST',
        url,
        headers: { ...options.headers, ...(contentType === undefined ? {} : { 'content-type': contentType }) },
        payload,
      });
      statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
      if (res.statusCode >= 500) throw new Error(`HTTP ${res.statusCode} for content-type ${String(contentType)}: ${res.body.slice(0, 300)}`);
    }),
    { numRuns: runs, ...(options.seed === undefined ? {} : { seed: options.seed }) },
  );
  return statuses;
}
