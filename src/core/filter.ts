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

export function matches(filter: Filter | null | undefined, read: AttributeReader): boolean {
  if (filter == null) return true;
  if ('all' in filter) return filter.all.every((f) => matches(f, read));
  if ('any' in filter) return filter.any.some((f) => matches(f, read));
  return test(filter, read(filter.attribute));
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
