import { expect, it } from 'vitest';
import { jsonProblem, MAX_JSON_DEPTH, storableString } from './json-limits.ts';

const nested = (depth: number): unknown => JSON.parse('['.repeat(depth) + '1' + ']'.repeat(depth));

it('finds what the database or a request would refuse, without recursion', () => {
  expect(jsonProblem({ a: [1, 'b', true, null, { c: 'é😀' }] })).toBeNull();
  expect(jsonProblem('a\u0000b')).toBe('bad_string');
  expect(jsonProblem({ ['k\u0000']: 1 })).toBe('bad_string');
  expect(jsonProblem(['\uD800'])).toBe('bad_string');
  expect(jsonProblem('\uDC00x')).toBe('bad_string');
  expect(jsonProblem(Number.POSITIVE_INFINITY)).toBe('bad_number');
  expect(jsonProblem([Number.NaN])).toBe('bad_number');
  expect(jsonProblem(() => 1)).toBe('not_json');
  expect(jsonProblem(nested(MAX_JSON_DEPTH))).toBeNull();
  expect(jsonProblem(nested(MAX_JSON_DEPTH + 1))).toBe('too_deep');
  expect(jsonProblem(nested(100_000))).toBe('too_deep');
  expect(jsonProblem('x'.repeat(1_000_001))).toBe('too_large');
  expect(jsonProblem(new Array(2_000_000).fill(0))).toBe('too_large');
  expect(jsonProblem({ a: 'x'.repeat(100) }, { maxLength: 50 })).toBe('too_large');
});

it('shapeOnly looks at depth and length alone', () => {
  expect(jsonProblem(['a\u0000', Number.NaN], { shapeOnly: true })).toBeNull();
  expect(jsonProblem(nested(MAX_JSON_DEPTH + 1), { shapeOnly: true })).toBe('too_deep');
});

it('storableString: no NUL, no lone surrogate; pairs are fine', () => {
  expect(storableString('plain é 😀')).toBe(true);
  expect(storableString('a\u0000')).toBe(false);
  expect(storableString('\uD83D')).toBe(false);
  expect(storableString('\uDE00\uD83D')).toBe(false);
});
