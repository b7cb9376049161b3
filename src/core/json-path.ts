/**
 * Where in a JSON body a problem is, as error messages show it: `steps.0.config.seconds`. A key is
 * user input, so one that is not a plain word is shown JSON-quoted and cut short
 * (`config.headers["x: y"]`): a key like `"a.b: fine; name"` cannot pass for a path and a message of
 * its own, control characters arrive escaped, and `__proto__`, `constructor` and `prototype` read as
 * the keys they are rather than as JavaScript's.
 */
const PLAIN_KEY = /^[A-Za-z0-9_-]{1,64}$/;
const QUOTED_KEY = new Set(['__proto__', 'constructor', 'prototype']);
const MAX_KEY_SHOWN = 64;

/** Past this many keys a path shows its first and last ones: a body may nest 100,000 deep. */
const MAX_SEGMENTS_SHOWN = 24;

/** `steps.0.config.headers["x: y"]`; `(body)` for the root. */
export function formatJsonPath(path: readonly PropertyKey[]): string {
  if (path.length > MAX_SEGMENTS_SHOWN) {
    const left = path.length - MAX_SEGMENTS_SHOWN;
    const tail = formatJsonPath(path.slice(-8));
    return `${formatJsonPath(path.slice(0, 16))}.…(${left.toLocaleString('en-US')} more)…${tail.startsWith('[') ? '' : '.'}${tail}`;
  }
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += out === '' ? String(segment) : `.${segment}`;
    else if (typeof segment === 'string' && PLAIN_KEY.test(segment) && !QUOTED_KEY.has(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${quoteKey(typeof segment === 'symbol' ? (segment.description ?? '') : segment)}]`;
  }
  return out === '' ? '(body)' : out;
}

/** A key as a JSON string, at most 64 characters of it (then `…`). Lone surrogates come out escaped. */
export function quoteKey(key: string): string {
  return key.length <= MAX_KEY_SHOWN ? JSON.stringify(key) : `${JSON.stringify(key.slice(0, MAX_KEY_SHOWN)).slice(0, -1)}…"`;
}
