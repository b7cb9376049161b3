/**
 * The one `application/json` body parser of the API, in place of Fastify's. It refuses what Fastify's
 * refuses (malformed JSON, a key `__proto__`, a `constructor` object holding `prototype`: keys that
 * would reach an object's prototype once the body is spread or merged), but says which and where
 * instead of "Body is not valid JSON" for valid JSON, and never quotes the body back.
 */
import type { FastifyRequest } from 'fastify';
import { ValidationError } from '../core/errors.ts';
import { formatJsonPath } from '../core/json-path.ts';

type Done = (err: Error | null, body?: unknown) => void;

/** A content-type parser (`parseAs: 'string'`). `allowEmpty`: an empty body is `undefined` (routes whose POSTs carry none). */
export function jsonBodyParser(opts: { allowEmpty: boolean }): (req: FastifyRequest, body: string | Buffer, done: Done) => void {
  return (_req, raw, done) => {
    try {
      done(null, parseJsonBody(String(raw), opts));
    } catch (error) {
      done(error as Error);
    }
  };
}

export function parseJsonBody(text: string, { allowEmpty }: { allowEmpty: boolean }): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text; // a byte order mark, as Fastify's parser allows
  if (body === '') {
    if (allowEmpty) return undefined;
    throw new ValidationError('bad_request', "the body is empty, but its content-type says application/json: send JSON, or no content-type");
  }
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    const at = /at position (\d+)/.exec((error as Error).message)?.[1];
    throw new ValidationError('bad_request', `the body is not valid JSON${at === undefined ? '' : ` (at character ${at})`}`);
  }
  // Only a body that spells these keys (or escapes anything) can hold them: most bodies skip the walk.
  if (body.includes('__proto__') || body.includes('constructor') || body.includes('\\u')) {
    const path = prototypeKeyPath(value);
    if (path !== null) {
      throw new ValidationError(
        'bad_request',
        `the body has a key ${formatJsonPath(path)} that is refused: keys named "__proto__", and "prototype" inside "constructor", could reach the server's object prototypes`,
      );
    }
  }
  return value;
}

/** The path of the first `__proto__` key or `constructor.prototype`, or null. Iterative, with parent links: a body may nest 100,000 deep. */
function prototypeKeyPath(root: unknown): PropertyKey[] | null {
  interface Node { value: object; parent: Node | null; key: PropertyKey | null }
  const pathTo = (node: Node, ...tail: PropertyKey[]): PropertyKey[] => {
    const keys: PropertyKey[] = [];
    for (let n: Node | null = node; n !== null && n.key !== null; n = n.parent) keys.push(n.key);
    return [...keys.reverse(), ...tail];
  };
  if (root === null || typeof root !== 'object') return null;
  const stack: Node[] = [{ value: root, parent: null, key: null }];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const { value } = node;
    if (!Array.isArray(value)) {
      if (Object.hasOwn(value, '__proto__')) return pathTo(node, '__proto__');
      const ctor: unknown = Object.hasOwn(value, 'constructor') ? (value as Record<string, unknown>).constructor : null;
      if (ctor !== null && typeof ctor === 'object' && Object.hasOwn(ctor, 'prototype')) return pathTo(node, 'constructor', 'prototype');
    }
    const entries: [PropertyKey, unknown][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
    for (const [key, v] of entries) if (v !== null && typeof v === 'object') stack.push({ value: v, parent: node, key });
  }
  return null;
}
