/**
 * The filter builder's pure rules (spec §3 filters): a filter's JSON as an editable draft and back,
 * exactly — a bare condition stays bare, `true` stays a boolean and `"true"` a string — and why a
 * draft is not a filter yet. Values mean what the server's evaluator (src/core/filter.ts) makes of
 * them: `gt` on a number compares numerically, `in` takes a list, `exists` takes no value.
 */
import type { Filter } from '../../api/types.ts';

export type FilterOp = 'eq' | 'neq' | 'gt' | 'gte' | 'lt' | 'lte' | 'in' | 'contains' | 'exists' | 'not_exists';

/** Spec §3's operators in words, in the order the builder offers them. */
export const OP_WORDS: Record<FilterOp, string> = {
  eq: 'is',
  neq: 'is not',
  gt: 'greater than',
  gte: 'greater than or equal to',
  lt: 'less than',
  lte: 'less than or equal to',
  in: 'is one of',
  contains: 'contains',
  exists: 'exists',
  not_exists: 'does not exist',
};
export const FILTER_OPS = Object.keys(OP_WORDS) as FilterOp[];
const isOp = (op: unknown): op is FilterOp => typeof op === 'string' && op in OP_WORDS;
export const takesValue = (op: FilterOp): boolean => op !== 'exists' && op !== 'not_exists';

/** An attribute's JSON type as GET /api/attributes answers it. */
export type AttributeType = 'string' | 'number' | 'boolean' | 'array' | 'object' | 'null';
export interface AttributeInfo {
  name: string;
  type: AttributeType;
  standard: boolean;
}

/**
 * How a condition's value is typed in: `none` (no value key at all), one `string`, `number` or
 * `boolean`, a `list` of those (one per line), or `json` for what none of those says exactly.
 */
export type ValueKind = 'none' | 'string' | 'number' | 'boolean' | 'list-string' | 'list-number' | 'list-boolean' | 'json';

export interface ConditionDraft {
  kind: 'condition';
  key: string;
  attribute: string;
  op: FilterOp;
  as: ValueKind;
  /** The value as typed (a list: one item per line; a boolean: "true" or "false"). */
  text: string;
}
export interface GroupDraft {
  kind: 'group';
  key: string;
  mode: 'all' | 'any';
  members: MemberDraft[];
}
export type MemberDraft = ConditionDraft | GroupDraft;

/** The whole filter: its top group, and how an empty or one-condition top group is written. */
export interface FilterDraft {
  root: GroupDraft;
  /** One condition alone at the top is written bare (`{"attribute":…}`), as the spec's split is. */
  bare: boolean;
  /** An empty top group is written `{"all":[]}` (as loaded), not null. */
  keepEmpty: boolean;
}

let keys = 0;
/** React keys for rows: unique within the page, never part of the JSON. */
export const freshKey = (): string => `f${++keys}`;

export const emptyGroup = (mode: 'all' | 'any' = 'all'): GroupDraft => ({ kind: 'group', key: freshKey(), mode, members: [] });
export const emptyCondition = (): ConditionDraft => ({ kind: 'condition', key: freshKey(), attribute: '', op: 'eq', as: 'string', text: '' });

/** How a value of this attribute type is typed in for this operator. */
export function kindFor(type: AttributeType | undefined, op: FilterOp): ValueKind {
  if (!takesValue(op)) return 'none';
  if (op === 'in') return type === 'number' ? 'list-number' : type === 'boolean' ? 'list-boolean' : 'list-string';
  if (op === 'contains') return 'string';
  if (type === 'number') return 'number';
  if (type === 'boolean' && (op === 'eq' || op === 'neq')) return 'boolean';
  return 'string';
}

/** A condition whose attribute or operator changed: its value is typed to fit, keeping what still fits. */
export function retyped(c: ConditionDraft, type: AttributeType | undefined): ConditionDraft {
  const as = kindFor(type, c.op);
  if (as === c.as) return c;
  const single = c.as.startsWith('list-') ? (c.text.split('\n')[0] ?? '') : c.text;
  const text = as === 'boolean' ? (single === 'false' ? 'false' : 'true') : as === 'none' ? c.text : as.startsWith('list-') || c.as !== 'boolean' ? single : '';
  return { ...c, as, text };
}

function scalarKind(v: unknown): 'string' | 'number' | 'boolean' | null {
  return typeof v === 'string' ? 'string' : typeof v === 'number' && Number.isFinite(v) ? 'number' : typeof v === 'boolean' ? 'boolean' : null;
}

/** A loaded value: the kind and text that write it back exactly. */
function valueDraft(hasValue: boolean, value: unknown): { as: ValueKind; text: string } {
  if (!hasValue) return { as: 'none', text: '' };
  const kind = scalarKind(value);
  if (kind === 'string') return { as: 'string', text: value as string };
  if (kind !== null) return { as: kind, text: String(value) };
  if (Array.isArray(value) && value.length > 0) {
    const first = scalarKind(value[0]);
    // One item per line writes back exactly only when every item is of one type and has a line of its own.
    const fits = first !== null && value.every((v) => scalarKind(v) === first && (first !== 'string' || ((v as string) !== '' && !(v as string).includes('\n'))));
    if (fits) return { as: `list-${first}`, text: value.map(String).join('\n') };
  }
  return { as: 'json', text: JSON.stringify(value) };
}

function memberOf(filter: Filter): MemberDraft {
  if ('all' in filter) return { kind: 'group', key: freshKey(), mode: 'all', members: filter.all.map(memberOf) };
  if ('any' in filter) return { kind: 'group', key: freshKey(), mode: 'any', members: filter.any.map(memberOf) };
  const op = isOp(filter.op) ? filter.op : 'eq';
  const hasValue = 'value' in filter;
  // A value stored on exists/not_exists means nothing to the engine, but is written back as it was.
  const value = !takesValue(op) && hasValue ? { as: 'json' as const, text: JSON.stringify(filter.value) ?? 'null' } : valueDraft(hasValue, filter.value);
  return { kind: 'condition', key: freshKey(), attribute: filter.attribute, op, ...value };
}

/** The draft of a stored filter; `bareWhenOne`: how a one-condition filter built from nothing is written. */
export function draftOf(filter: Filter | null | undefined, bareWhenOne: boolean): FilterDraft {
  if (filter == null) return { root: emptyGroup(), bare: bareWhenOne, keepEmpty: false };
  const member = memberOf(filter);
  if (member.kind === 'condition') return { root: { ...emptyGroup(), members: [member] }, bare: true, keepEmpty: false };
  return { root: member, bare: false, keepEmpty: member.members.length === 0 };
}

/** Why a condition's value is not one yet (null: it is), in words for the field. */
export function valueProblem(c: ConditionDraft): string | null {
  if (!takesValue(c.op) && c.as !== 'json') return null;
  switch (c.as) {
    case 'none':
      return 'Type a value.';
    case 'string':
      return c.text === '' && c.op !== 'eq' && c.op !== 'neq' ? 'Type a value.' : null;
    case 'number':
      return asNumber(c.text) === null ? `“${c.text}” is not a number: type one such as 3 or 2.5.` : null;
    case 'boolean':
      return c.text === 'true' || c.text === 'false' ? null : 'Choose true or false.';
    case 'list-string':
    case 'list-number':
    case 'list-boolean': {
      const items = listItems(c.text);
      if (items.length === 0) return 'Type at least one value, one per line.';
      if (c.as === 'list-number') {
        const bad = items.find((i) => asNumber(i) === null);
        return bad === undefined ? null : `“${bad}” is not a number: type one number per line.`;
      }
      if (c.as === 'list-boolean') {
        const bad = items.find((i) => i !== 'true' && i !== 'false');
        return bad === undefined ? null : `“${bad}” is not true or false.`;
      }
      return null;
    }
    case 'json':
      try {
        JSON.parse(c.text);
        return null;
      } catch {
        return 'Not valid JSON: a value such as "text", 3, true or ["a","b"].';
      }
  }
}

export const attributeProblem = (c: ConditionDraft): string | null => (c.attribute.trim() === '' ? 'Choose or type an attribute name.' : null);

function asNumber(text: string): number | null {
  if (text.trim() === '') return null;
  const n = Number(text);
  return Number.isFinite(n) ? n : null;
}
const listItems = (text: string): string[] => text.split('\n').filter((line) => line !== '');

function valueOf(c: ConditionDraft): unknown {
  switch (c.as) {
    case 'none':
      return undefined;
    case 'string':
      return c.text;
    case 'number':
      return asNumber(c.text);
    case 'boolean':
      return c.text === 'true';
    case 'list-string':
      return listItems(c.text);
    case 'list-number':
      return listItems(c.text).map(asNumber);
    case 'list-boolean':
      return listItems(c.text).map((i) => i === 'true');
    case 'json':
      return JSON.parse(c.text) as unknown;
  }
}

function filterOfMember(m: MemberDraft): Filter {
  if (m.kind === 'group') return m.mode === 'all' ? { all: m.members.map(filterOfMember) } : { any: m.members.map(filterOfMember) };
  // exists/not_exists write no value unless one was loaded (json): what was stored stays as it was.
  const writes = m.as !== 'none' && (takesValue(m.op) || m.as === 'json');
  return writes ? { attribute: m.attribute, op: m.op, value: valueOf(m) } : { attribute: m.attribute, op: m.op };
}

/** The first problem of the draft, with where it is ("condition 2.1"); null when the draft is a filter. */
export function draftProblem(draft: FilterDraft): string | null {
  const walk = (group: GroupDraft, path: string): string | null => {
    for (const [i, m] of group.members.entries()) {
      const at = path === '' ? `${i + 1}` : `${path}.${i + 1}`;
      const problem = m.kind === 'group' ? walk(m, at) : (attributeProblem(m) ?? valueProblem(m));
      if (problem) return m.kind === 'group' ? problem : `condition ${at}: ${problem}`;
    }
    return null;
  };
  return walk(draft.root, '');
}

/** The filter JSON of a draft without problems (check draftProblem first); null means every profile. */
export function filterOf(draft: FilterDraft): Filter | null {
  const { root } = draft;
  if (root.members.length === 0) return draft.keepEmpty ? filterOfMember(root) : null;
  const only = root.members[0]!;
  if (root.members.length === 1 && only.kind === 'condition' && draft.bare) return filterOfMember(only);
  return filterOfMember(root);
}

/** The draft with the member at `path` (indexes from the top group) replaced by `f(member)`, or removed when f gives null. */
export function updateAt(group: GroupDraft, path: readonly number[], f: (m: MemberDraft) => MemberDraft | null): GroupDraft {
  const [i, ...rest] = path;
  if (i === undefined) return group;
  const members = group.members.flatMap((m, j) => {
    if (j !== i) return [m];
    const next = rest.length === 0 ? f(m) : m.kind === 'group' ? updateAt(m, rest, f) : m;
    return next === null ? [] : [next];
  });
  return { ...group, members };
}

/** How deep a filter nests (1: a bare condition or an empty group), walked without recursion: a stored one may nest thousands deep. */
export function filterDepth(filter: Filter | null | undefined): number {
  if (filter == null) return 0;
  let deepest = 0;
  const stack: [Filter, number][] = [[filter, 1]];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const [f, depth] = item;
    deepest = Math.max(deepest, depth);
    const members = 'all' in f ? f.all : 'any' in f ? f.any : [];
    for (const m of members) stack.push([m, depth + 1]);
  }
  return deepest;
}
