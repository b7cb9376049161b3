import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FILTER_OPS, matches, type Filter } from './filter.ts';

/** The evaluator as spec §3 reads, recursive: what the iterative one must agree with. */
function reference(filter: Filter, read: (name: string) => unknown): boolean {
  if ('all' in filter) return filter.all.every((f) => reference(f, read));
  if ('any' in filter) return filter.any.some((f) => reference(f, read));
  return matches(filter, read);
}

const profile: Record<string, unknown> = { a: 1, b: 'x', c: null, d: [1, 'x'], e: true };
const read = (name: string) => profile[name];

const condition: fc.Arbitrary<Filter> = fc.record({
  attribute: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'missing'),
  op: fc.constantFrom(...FILTER_OPS),
  value: fc.oneof(fc.constantFrom(1, 'x', true, null, 0, '1', [1, 'y']), fc.jsonValue()),
});
const filter: fc.Arbitrary<Filter> = fc.letrec<{ f: Filter }>((tie) => ({
  f: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    condition,
    fc.array(tie('f'), { maxLength: 4 }).map((all) => ({ all })),
    fc.array(tie('f'), { maxLength: 4 }).map((any) => ({ any })),
  ),
})).f;

describe('matches', () => {
  it('agrees with the recursive reading on any filter, short-circuits and empty groups included', () => {
    fc.assert(fc.property(filter, (f) => matches(f, read) === reference(f, read)), { numRuns: 2_000 });
    expect(matches({ all: [] }, read)).toBe(true);
    expect(matches({ any: [] }, read)).toBe(false);
    expect(matches(null, read)).toBe(true);
  });

  it('evaluates a filter 100,000 deep (stored before the caps) without the call stack', () => {
    let deep: Filter = { attribute: 'a', op: 'eq', value: 1 };
    for (let i = 0; i < 100_000; i++) deep = i % 2 === 0 ? { all: [deep] } : { any: [{ attribute: 'a', op: 'eq', value: 2 }, deep] };
    expect(matches(deep, read)).toBe(true);
    expect(matches({ all: [deep, { attribute: 'missing', op: 'exists' }] }, read)).toBe(false);
  });
});
