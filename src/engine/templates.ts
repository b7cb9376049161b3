/**
 * Webhook templates: `{{external_id}}`, `{{attribute}}` (standard or custom) and `{{context.key}}`
 * (the trigger's context). Unknown names render as an empty string. Pure.
 *
 * What is rendered is user input of any shape (a canvas's body, profile attributes, the trigger's
 * context), so rendering walks it with an explicit stack, never recursion, and stops with a typed
 * error past MAX_JSON_DEPTH levels (`template_too_deep`) or MAX_JSON_LENGTH characters of output
 * (`template_too_large`): that user's entry fails alone (executor.ts) instead of the stack
 * overflowing inside a batch of everyone's entries.
 */
import { EntryDataError } from '../core/errors.ts';
import type { AttributeReader } from '../core/filter.ts';
import { jsonProblem, MAX_JSON_DEPTH, MAX_JSON_LENGTH } from '../core/json-limits.ts';

const TAG = /\{\{\s*([\w.-]+)\s*\}\}/g;

type Context = Record<string, unknown> | null;

const tooDeep = (): EntryDataError => new EntryDataError('template_too_deep', `a webhook template nests deeper than ${MAX_JSON_DEPTH} levels`);
const tooLarge = (max: number): EntryDataError => new EntryDataError('template_too_large', `a webhook renders to more than ${max} characters`);

/** Characters of output one request may render (its URL, headers and body share one budget). */
export class RenderBudget {
  private used = 0;
  constructor(readonly max = MAX_JSON_LENGTH) {}
  get left(): number {
    return this.max - this.used;
  }
  spend(n: number): void {
    this.used += n;
    if (this.used > this.max) throw tooLarge(this.max);
  }
}

export function renderTemplate(text: string, read: AttributeReader, context: Context, budget = new RenderBudget()): string {
  let inserted = 0;
  const out = text.replace(TAG, (_m, name: string) => {
    const value = name.startsWith('context.') ? lookup(context, name.slice('context.'.length)) : read(name);
    if (value === undefined || value === null) return '';
    const s = typeof value === 'object' ? jsonText(value, budget) : String(value);
    // Spent as each value goes in: a template repeating a large attribute stops at the cap, not after.
    budget.spend(s.length);
    inserted += s.length;
    return s;
  });
  budget.spend(out.length - inserted);
  return out;
}

/** An attribute or context value that is an object, as JSON: within the caps, then stringified (bounded depth: no overflow). */
function jsonText(value: object, budget: RenderBudget): string {
  const problem = jsonProblem(value, { shapeOnly: true, maxLength: Math.max(0, budget.left) });
  if (problem === 'too_deep') throw tooDeep();
  if (problem === 'too_large') throw tooLarge(budget.max);
  return JSON.stringify(value);
}

/** A container being rendered: its source items (for an object, its entries), the next index, and what is done so far. */
type Frame = { array: true; items: unknown[]; i: number; out: unknown[] } | { array: false; items: [string, unknown][]; i: number; out: [string, unknown][]; key: string };

const isContainer = (v: unknown): v is object => v !== null && typeof v === 'object';

/**
 * Renders every string inside a JSON value (keys included), iteratively, within `budget` and
 * MAX_JSON_DEPTH. Objects are built as `Object.fromEntries` builds them (own data properties, so a
 * `__proto__` key stays a key; a repeated rendered key keeps its first place and its last value).
 */
export function renderJson(value: unknown, read: AttributeReader, context: Context, budget = new RenderBudget()): unknown {
  const leaf = (v: unknown): unknown => {
    if (typeof v === 'string') {
      budget.spend(2);
      return renderTemplate(v, read, context, budget);
    }
    budget.spend(v === undefined ? 4 : String(v).length);
    return v;
  };
  if (!isContainer(value)) return leaf(value);
  const open = (v: object): Frame => {
    budget.spend(2);
    return Array.isArray(v) ? { array: true, items: v, i: 0, out: [] } : { array: false, items: Object.entries(v), i: 0, out: [], key: '' };
  };
  const stack: Frame[] = [open(value)];
  for (;;) {
    const top = stack[stack.length - 1]!;
    if (top.i === top.items.length) {
      stack.pop();
      const done = top.array ? top.out : Object.fromEntries(top.out);
      const parent = stack[stack.length - 1];
      if (!parent) return done;
      attach(parent, done);
      continue;
    }
    let child: unknown;
    if (top.array) child = top.items[top.i];
    else {
      const [k, v] = top.items[top.i]!;
      budget.spend(3);
      top.key = renderTemplate(k, read, context, budget);
      child = v;
    }
    top.i++;
    budget.spend(1);
    if (!isContainer(child)) attach(top, leaf(child));
    else if (stack.length >= MAX_JSON_DEPTH) throw tooDeep();
    else stack.push(open(child));
  }
}

function attach(frame: Frame, v: unknown): void {
  if (frame.array) frame.out.push(v);
  else frame.out.push([frame.key, v]);
}

function lookup(obj: Context, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}
