/**
 * The caps of spec §9 on a canvas body, checked before its shape (core/canvas.ts) so that no check
 * after them meets a body too big or too deep for the call stack: zod's filter schema recurses, and so
 * do JSON.stringify and the launch checks. One iterative walk of the parsed JSON, never recursive:
 *
 * - at most 1,000 steps;
 * - filters (the entry audience, a decision_split's filter) nest at most 32 filters deep;
 * - any other JSON a user puts in a canvas (a webhook body or headers, a user_update value, a
 *   condition's value, an unknown key's value) nests at most 32 arrays and objects deep;
 * - no string or key holds NUL (PostgreSQL text cannot store it).
 *
 * The 1 MB of JSON is counted on the request's bytes (api/routes/canvases.ts); names and step ids are
 * capped by the shape. A canvas already stored is never checked again: only POST and PUT parse.
 */
import { MAX_JSON_DEPTH } from './json-limits.ts';
import { formatJsonPath } from './json-path.ts';

export const CANVAS_CAPS = {
  /** Bytes of the request body (UTF-8 JSON): 1 MB. */
  maxBytes: 1_048_576,
  maxSteps: 1_000,
  /** Filters inside filters: a lone condition is 1, `{"all":[condition]}` is 2. */
  maxFilterDepth: MAX_JSON_DEPTH,
  /** Arrays and objects inside each other in a user's JSON value: `1` is 0, `{"a":1}` is 1 (the same cap as everywhere, core/json-limits.ts). */
  maxJsonDepth: MAX_JSON_DEPTH,
  /** Characters of the canvas name. */
  maxNameLength: 200,
  /** Characters of a step id (and of first_step, next, yes, no, which name one). */
  maxStepIdLength: 100,
  /** Characters of an event name (entry.event, exit.events), as `/users/track` allows. */
  maxEventNameLength: 255,
} as const;

export type CanvasCapCode = 'canvas_too_large' | 'canvas_too_many_steps' | 'canvas_too_deep';

const n = (x: number) => x.toLocaleString('en-US');

export const CANVAS_CAP_MESSAGES = {
  tooLarge: `a canvas is at most 1 MB of JSON (${n(CANVAS_CAPS.maxBytes)} bytes)`,
  tooManySteps: (count: number) => `a canvas has at most ${n(CANVAS_CAPS.maxSteps)} steps; this one has ${n(count)}`,
  filterTooDeep: (where: string) => `${where}: a filter nests at most ${CANVAS_CAPS.maxFilterDepth} filters deep ("all"/"any" groups inside each other, down to a condition)`,
  jsonTooDeep: (where: string) =>
    `${where}: JSON in a canvas (a webhook body or headers, a user_update value, a condition's value) nests at most ${CANVAS_CAPS.maxJsonDepth} arrays and objects deep`,
} as const;

/** What the walk found: a cap exceeded (the body is refused with that alone), and strings holding NUL (listed with the shape's problems). */
export interface CanvasCapCheck {
  cap: { code: CanvasCapCode; message: string } | null;
  nul: string[];
}

/** How a value is read: the canvas's own structure, a filter, or a user's JSON value. */
type Kind = 'root' | 'step' | 'config' | 'set' | 'filter' | 'json';

interface Frame {
  value: unknown;
  kind: Kind;
  /** filter: its depth (1 for a root filter); json: the depth of this container (1 for the value's own). */
  level: number;
  parent: Frame | null;
  /** The keys from the parent to here (two for a filter inside `all`/`any`: the key and the index). */
  keys: readonly PropertyKey[];
}

const MAX_NUL_PROBLEMS = 5;

export function checkCanvasCaps(body: unknown): CanvasCapCheck {
  const nul: string[] = [];
  const stack: Frame[] = [{ value: body, kind: 'root', level: 0, parent: null, keys: [] }];
  while (stack.length > 0) {
    const frame = stack.pop()!;
    const { value } = frame;
    if (typeof value === 'string') {
      if (value.includes('\u0000') && nul.length < MAX_NUL_PROBLEMS) nul.push(`${formatJsonPath(pathOf(frame))}: must not contain the NUL character (U+0000)`);
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    // The canvas's structure has no arrays but `steps` (taken with its parent): any other array is a user's JSON.
    if (Array.isArray(value) && frame.kind !== 'json') Object.assign(frame, { kind: 'json', level: 1 });

    if (frame.kind === 'filter' && frame.level > CANVAS_CAPS.maxFilterDepth) return capped('canvas_too_deep', CANVAS_CAP_MESSAGES.filterTooDeep(formatJsonPath(pathOf(rootOf(frame, 'filter')))), nul);
    if (frame.kind === 'json' && frame.level > CANVAS_CAPS.maxJsonDepth) return capped('canvas_too_deep', CANVAS_CAP_MESSAGES.jsonTooDeep(formatJsonPath(pathOf(rootOf(frame, 'json')))), nul);
    if (frame.kind === 'root' && !Array.isArray(value)) {
      const steps = (value as { steps?: unknown }).steps;
      if (Array.isArray(steps) && steps.length > CANVAS_CAPS.maxSteps) return capped('canvas_too_many_steps', CANVAS_CAP_MESSAGES.tooManySteps(steps.length), nul);
    }

    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], kind: 'json', level: frame.level + 1, parent: frame, keys: [i] });
      continue;
    }
    const next: Frame[] = [];
    for (const key of Object.keys(value)) {
      if (key.includes('\u0000') && nul.length < MAX_NUL_PROBLEMS) nul.push(`${formatJsonPath([...pathOf(frame), key])}: a key must not contain the NUL character (U+0000)`);
      children(frame, key, (value as Record<string, unknown>)[key], next);
    }
    // Reversed, so that the walk (and the problems it lists) follows the document's order.
    for (let i = next.length - 1; i >= 0; i--) stack.push(next[i]!);
  }
  return { cap: null, nul };
}

/**
 * Pushes onto `out` the frames for one key of an object: its value read as structure, filter or JSON.
 * (No closures in here: under tsx every closure made per call is named at run time, 10× slower.)
 */
function children(parent: Frame, key: string, value: unknown, out: Frame[]): void {
  let kind: Kind = 'json';
  switch (parent.kind) {
    case 'root':
      if (key === 'audience') kind = 'filter';
      else if (key === 'steps' && Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) out.push({ value: value[i], kind: 'step', level: 0, parent, keys: [key, i] });
        return;
      }
      break;
    case 'step':
      if (key === 'config') kind = 'config';
      break;
    case 'config':
      if (key === 'filter') kind = 'filter';
      else if (key === 'set') kind = 'set';
      break;
    case 'filter':
      if ((key === 'all' || key === 'any') && Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) out.push({ value: value[i], kind: 'filter', level: parent.level + 1, parent, keys: [key, i] });
        return;
      }
      break;
    case 'set':
    case 'json':
      break;
  }
  const level = kind === 'filter' ? 1 : kind === 'json' ? (parent.kind === 'json' ? parent.level + 1 : 1) : 0;
  out.push({ value, kind, level, parent, keys: [key] });
}

function capped(code: CanvasCapCode, message: string, nul: string[]): CanvasCapCheck {
  return { cap: { code, message }, nul };
}

/** The outermost frame of this run of `kind` (the filter or JSON value that is too deep, not its deepest part). */
function rootOf(frame: Frame, kind: Kind): Frame {
  let f = frame;
  while (f.parent !== null && f.parent.kind === kind) f = f.parent;
  return f;
}

function pathOf(frame: Frame): PropertyKey[] {
  const parts: (readonly PropertyKey[])[] = [];
  for (let f: Frame | null = frame; f !== null; f = f.parent) parts.push(f.keys);
  return parts.reverse().flat();
}
