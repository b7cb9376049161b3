/**
 * Audience filters (spec §3): `{"all":[…]}`, `{"any":[…]}` or a condition `{attribute, op, value}`.
 * One pure evaluator serves entry audiences, entry filters and decision splits, so a user matches
 * the same way everywhere.
 */
export type Scalar = string | number | boolean | null;
export type FilterOp = 'eq' | 'neq' | 'gt' | 'gte' | 'lt' | 'lte' | 'in' | 'contains' | 'exists' | 'not_exists';
export const FILTER_OPS: readonly FilterOp[] = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'in', 'contains', 'exists', 'not_exists'];

export interface Condition {
  attribute: string;
  op: FilterOp;
  value?: unknown;
}
export type Filter = { all: Filter[] } | { any: Filter[] } | Condition;

/** Reads an attribute (standard or custom) of whatever is being filtered. */
export type AttributeReader = (name: string) => unknown;

/**
 * Whether the filter matches, short-circuiting like `every`/`some`. Walks with its own stack, not the
 * call stack: new canvases nest filters at most 32 deep (core/canvas-caps.ts), but one stored before
 * that cap may nest thousands.
 */
export function matches(filter: Filter | null | undefined, read: AttributeReader): boolean {
  if (filter == null) return true;
  const groups: { members: readonly Filter[]; all: boolean; i: number }[] = [];
  let node: Filter = filter;
  for (;;) {
    let result: boolean;
    if ('all' in node || 'any' in node) {
      const all = 'all' in node;
      const members = all ? (node as { all: Filter[] }).all : (node as { any: Filter[] }).any;
      if (members.length > 0) {
        groups.push({ members, all, i: 0 });
        node = members[0]!;
        continue;
      }
      result = all; // an empty `all` matches everyone, an empty `any` no one
    } else {
      result = test(node, read(node.attribute));
    }
    // Carry the result up until a group has a member left to look at.
    for (;;) {
      const group = groups[groups.length - 1];
      if (group === undefined) return result;
      if (group.all !== result) {
        groups.pop(); // decided: a failed member of `all`, a matching member of `any`
        continue;
      }
      group.i++;
      if (group.i < group.members.length) {
        node = group.members[group.i]!;
        break;
      }
      groups.pop();
      result = group.all;
    }
  }
}

function test(c: Condition, actual: unknown): boolean {
  const present = actual !== undefined && actual !== null;
  switch (c.op) {
    case 'exists':
      return present;
    case 'not_exists':
      return !present;
    case 'eq':
      return present && same(actual, c.value);
    case 'neq':
      return !(present && same(actual, c.value));
    case 'in':
      return present && Array.isArray(c.value) && c.value.some((v) => same(actual, v));
    case 'contains':
      if (typeof actual === 'string') return typeof c.value === 'string' && actual.includes(c.value);
      return Array.isArray(actual) && actual.some((v) => same(v, c.value));
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      const order = compare(actual, c.value);
      if (order === null) return false;
      return c.op === 'gt' ? order > 0 : c.op === 'gte' ? order >= 0 : c.op === 'lt' ? order < 0 : order <= 0;
    }
  }
}

/** Equality of JSON scalars; strings compare case-sensitively, numbers numerically. */
function same(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'string' && b.trim() !== '' && Number.isFinite(Number(b))) return a === Number(b);
  if (typeof a === 'string' && typeof b === 'number' && a.trim() !== '' && Number.isFinite(Number(a))) return Number(a) === b;
  return a === b;
}

/** Numbers numerically, strings lexically (ISO-8601 times order correctly); anything else is incomparable. */
function compare(a: unknown, b: unknown): number | null {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'number' && typeof b === 'string' && Number.isFinite(Number(b)) && b.trim() !== '') return a - Number(b);
  if (typeof a === 'string' && typeof b === 'number' && Number.isFinite(Number(a)) && a.trim() !== '') return Number(a) - b;
  return null;
}
