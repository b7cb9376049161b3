/**
 * The filter builder's rules (web/src/canvas/filter/model.ts): filter JSON → draft → JSON is exact,
 * values are typed the way the engine reads them, and a draft that is not a filter says where and why.
 */
import { describe, expect, it } from 'vitest';
import type { Filter } from '../../web/src/api/types.ts';
import { draftOf, draftProblem, emptyCondition, filterDepth, filterOf, kindFor, retyped, updateAt, type ConditionDraft, type FilterDraft, type GroupDraft } from '../../web/src/canvas/filter/model.ts';

const roundTrip = (f: Filter | null, bare = false) => filterOf(draftOf(f, bare));

describe('filter JSON ⇄ draft', () => {
  it.each<[string, Filter | null]>([
    ['null (every profile)', null],
    ['a bare condition, as the spec’s split', { attribute: 'vip', op: 'eq', value: true }],
    ['a string "true" stays a string', { attribute: 'vip', op: 'eq', value: 'true' }],
    ['a number stays a number', { attribute: 'orders', op: 'gte', value: 3 }],
    ['a number-like string stays a string', { attribute: 'zip', op: 'eq', value: '007' }],
    ['an empty all', { all: [] }],
    ['an empty any', { any: [] }],
    ['the spec’s entry audience', { all: [{ attribute: 'country', op: 'eq', value: 'US' }] }],
    ['nested any inside all', { all: [{ attribute: 'country', op: 'eq', value: 'US' }, { any: [{ attribute: 'vip', op: 'eq', value: true }, { attribute: 'orders', op: 'gte', value: 3 }] }] }],
    ['a one-condition nested group stays a group', { any: [{ all: [{ attribute: 'a', op: 'exists' }] }] }],
    ['exists and not_exists carry no value', { all: [{ attribute: 'email', op: 'exists' }, { attribute: 'phone', op: 'not_exists' }] }],
    ['a stored value on exists is kept', { attribute: 'email', op: 'exists', value: 'x' }],
    ['in with strings, numbers, booleans', { all: [{ attribute: 'country', op: 'in', value: ['US', 'CA'] }, { attribute: 'n', op: 'in', value: [1, 2.5] }, { attribute: 'b', op: 'in', value: [false] }] }],
    ['in with mixed items, an empty string, a newline', { all: [{ attribute: 'x', op: 'in', value: ['a', 1] }, { attribute: 'y', op: 'in', value: ['', 'b'] }, { attribute: 'z', op: 'in', value: ['a\nb'] }, { attribute: 'w', op: 'in', value: [] }] }],
    ['null, objects and odd strings', { all: [{ attribute: 'x', op: 'eq', value: null }, { attribute: 'y', op: 'eq', value: { a: [1] } }, { attribute: 'z', op: 'contains', value: ' padded, with commas ' }] }],
    ['a condition without value (a draft)', { attribute: 'plan', op: 'eq' }],
    ['deep nesting', { any: [{ all: [{ any: [{ all: [{ attribute: 'd', op: 'lt', value: '2026-01-01T00:00:00Z' }] }] }] }] }],
  ])('%s', (_name, filter) => {
    expect(JSON.stringify(roundTrip(filter))).toBe(JSON.stringify(filter));
    expect(JSON.stringify(roundTrip(filter, true))).toBe(JSON.stringify(filter));
  });

  it('one condition built from nothing: bare for a split, inside all for an entry audience', () => {
    const build = (bare: boolean): FilterDraft => {
      const d = draftOf(null, bare);
      const c: ConditionDraft = { ...emptyCondition(), attribute: 'vip', as: 'boolean', text: 'true' };
      return { ...d, root: { ...d.root, members: [c] } };
    };
    expect(filterOf(build(true))).toEqual({ attribute: 'vip', op: 'eq', value: true });
    expect(filterOf(build(false))).toEqual({ all: [{ attribute: 'vip', op: 'eq', value: true }] });
    // Emptied again, both mean every profile.
    expect(filterOf(draftOf(null, true))).toBeNull();
  });

  it('a bare condition with a second one added becomes a group', () => {
    const d = draftOf({ attribute: 'vip', op: 'eq', value: true }, true);
    const more = { ...d, root: { ...d.root, members: [...d.root.members, { ...emptyCondition(), attribute: 'country', text: 'US' }] } };
    expect(filterOf(more)).toEqual({ all: [{ attribute: 'vip', op: 'eq', value: true }, { attribute: 'country', op: 'eq', value: 'US' }] });
  });
});

describe('values fit the attribute and operator', () => {
  it.each([
    ['boolean', 'eq', 'boolean'],
    ['boolean', 'in', 'list-boolean'],
    ['number', 'gt', 'number'],
    ['number', 'in', 'list-number'],
    ['string', 'lt', 'string'],
    [undefined, 'eq', 'string'],
    ['array', 'contains', 'string'],
    ['number', 'exists', 'none'],
    ['string', 'not_exists', 'none'],
  ] as const)('%s %s → %s', (type, op, kind) => expect(kindFor(type, op)).toBe(kind));

  it('retyping keeps what still fits', () => {
    const c: ConditionDraft = { ...emptyCondition(), attribute: 'orders', op: 'gte', as: 'string', text: '3' };
    expect(retyped(c, 'number')).toMatchObject({ as: 'number', text: '3' });
    expect(retyped({ ...c, op: 'in' }, 'number')).toMatchObject({ as: 'list-number', text: '3' });
    expect(retyped({ ...c, op: 'eq', text: 'false' }, 'boolean')).toMatchObject({ as: 'boolean', text: 'false' });
    expect(retyped({ ...c, op: 'exists' }, 'number')).toMatchObject({ as: 'none' });
  });
});

describe('problems', () => {
  const withMembers = (...members: GroupDraft['members']): FilterDraft => ({ root: { kind: 'group', key: 'r', mode: 'all', members }, bare: false, keepEmpty: false });
  const cond = (c: Partial<ConditionDraft>): ConditionDraft => ({ ...emptyCondition(), attribute: 'orders', ...c });

  it.each<[string, Partial<ConditionDraft>, RegExp | null]>([
    ['a number that is not one', { op: 'gt', as: 'number', text: 'abc' }, /condition 1: “abc” is not a number/],
    ['an empty number', { op: 'gt', as: 'number', text: '' }, /not a number/],
    ['an empty attribute', { attribute: ' ', text: 'x' }, /condition 1: Choose or type an attribute name/],
    ['an empty list', { op: 'in', as: 'list-string', text: '' }, /at least one value/],
    ['a list with a bad number', { op: 'in', as: 'list-number', text: '1\nx' }, /“x” is not a number/],
    ['bad JSON', { as: 'json', text: '{' }, /Not valid JSON/],
    ['an empty text for contains', { op: 'contains', as: 'string', text: '' }, /Type a value/],
    ['a value missing on eq', { op: 'eq', as: 'none' }, /Type a value/],
    ['an empty text for eq is a value ("")', { op: 'eq', as: 'string', text: '' }, null],
    ['a fine number', { op: 'gt', as: 'number', text: '2.5' }, null],
    ['exists needs nothing', { op: 'exists', as: 'none' }, null],
  ])('%s', (_name, c, problem) => {
    const found = draftProblem(withMembers(cond(c)));
    if (problem === null) expect(found).toBeNull();
    else expect(found).toMatch(problem);
  });

  it('names a nested condition by its path', () => {
    const d = withMembers(cond({ text: 'x' }), { kind: 'group', key: 'g', mode: 'any', members: [cond({ text: 'x' }), cond({ op: 'gte', as: 'number', text: 'three' })] });
    expect(draftProblem(d)).toBe('condition 2.2: “three” is not a number: type one such as 3 or 2.5.');
  });

  it('updateAt replaces and removes members by path', () => {
    const d = draftOf({ all: [{ attribute: 'a', op: 'exists' }, { any: [{ attribute: 'b', op: 'exists' }, { attribute: 'c', op: 'exists' }] }] }, false);
    const removed = { ...d, root: updateAt(d.root, [1, 0], () => null) };
    expect(filterOf(removed)).toEqual({ all: [{ attribute: 'a', op: 'exists' }, { any: [{ attribute: 'c', op: 'exists' }] }] });
    const renamed = { ...d, root: updateAt(d.root, [0], (m) => ({ ...m, attribute: 'z' }) as ConditionDraft) };
    expect(filterOf(renamed)).toEqual({ all: [{ attribute: 'z', op: 'exists' }, { any: [{ attribute: 'b', op: 'exists' }, { attribute: 'c', op: 'exists' }] }] });
  });
});

describe('filterDepth', () => {
  it('counts levels without recursion, even thousands deep', () => {
    expect(filterDepth(null)).toBe(0);
    expect(filterDepth({ attribute: 'a', op: 'exists' })).toBe(1);
    expect(filterDepth({ all: [{ attribute: 'a', op: 'exists' }, { any: [{ attribute: 'b', op: 'exists' }] }] })).toBe(3);
    let deep: Filter = { attribute: 'a', op: 'exists' };
    for (let i = 0; i < 10_000; i++) deep = { all: [deep] };
    expect(filterDepth(deep)).toBe(10_001);
  });
});
