/**
 * Caps on JSON that comes from users (canvas bodies, profile attributes, trigger context) on its way
 * to a request or to the database, checked without recursion: a value nested 100,000 deep must be
 * refused, not overflow the stack. Depth 32 matches the canvas filter cap (spec §9). Pure.
 */
export const MAX_JSON_DEPTH = 32;
/** About 1 MB: characters of JSON text (an estimate while walking, exact for rendered text). */
export const MAX_JSON_LENGTH = 1_000_000;

export type JsonProblem = 'too_deep' | 'too_large' | 'bad_string' | 'bad_number' | 'not_json';

/** A NUL (PostgreSQL refuses it in text and in jsonb) or a lone surrogate (not UTF-8: silently replaced). */
const UNSTORABLE = /\0|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Whether a string can be stored and sent as it is. */
export const storableString = (s: string): boolean => !UNSTORABLE.test(s);

/**
 * The first problem of a JSON value, or null: deeper than `maxDepth` containers, longer than
 * `maxLength` characters of JSON, a string (key or value) that is not storable, a number that is not
 * finite, or something that is not JSON at all. An explicit stack, never recursion.
 */
export function jsonProblem(value: unknown, o: { maxDepth?: number; maxLength?: number; shapeOnly?: boolean; strings?: boolean } = {}): JsonProblem | null {
  const maxDepth = o.maxDepth ?? MAX_JSON_DEPTH;
  const maxLength = o.maxLength ?? MAX_JSON_LENGTH;
  // shapeOnly: depth and length alone (JSON.stringify escapes what it must in the strings).
  const numbers = !o.shapeOnly;
  // strings: false: strings are left to the caller (profile attributes are checked where they are stored).
  const strings = numbers && o.strings !== false;
  let length = 0;
  // Each pending value with its depth (the number of containers around it).
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v === 'string') {
      if (strings && !storableString(v)) return 'bad_string';
      length += v.length + 3; // quotes and a separator
    } else if (typeof v === 'number') {
      if (numbers && !Number.isFinite(v)) return 'bad_number';
      length += 24;
    } else if (typeof v === 'boolean' || v === null) length += 6;
    else if (typeof v === 'object') {
      if (depth + 1 > maxDepth) return 'too_deep';
      length += 2;
      if (Array.isArray(v)) {
        for (const item of v) {
          if (++length > maxLength) return 'too_large';
          stack.push([item, depth + 1]);
        }
      } else {
        for (const [k, item] of Object.entries(v)) {
          if (strings && !storableString(k)) return 'bad_string';
          length += k.length + 3;
          if (length > maxLength) return 'too_large';
          stack.push([item, depth + 1]);
        }
      }
    } else return 'not_json';
    if (length > maxLength) return 'too_large';
  }
  return null;
}
