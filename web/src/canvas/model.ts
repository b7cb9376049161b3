/**
 * The canvas page's pure rules (spec §3): step names in words, fresh step ids, where a new step goes,
 * the order steps are shown in, which launch refusal belongs to which step, and the entry audience as
 * typed. No React here, so that the rules are tested without a browser.
 */
import type { CanvasBody, CanvasStatus, Filter, Step, StepType } from '../api/types.ts';

/** Spec §8's words for the step types, in the order the Add step menu offers them. */
export const STEP_WORDS: Record<StepType, string> = {
  audience_sync: 'Audience Sync',
  delay: 'Delay',
  decision_split: 'Decision Split',
  webhook: 'Webhook',
  user_update: 'User Update',
};
export const STEP_TYPES = Object.keys(STEP_WORDS) as StepType[];

export const STATUS_WORDS: Record<CanvasStatus, string> = { draft: 'Draft', active: 'Active', stopped: 'Stopped', archived: 'Archived' };

const ID_BASE: Record<StepType, string> = { audience_sync: 'sync', delay: 'delay', decision_split: 'split', webhook: 'webhook', user_update: 'update' };

/** `sync`, then `sync_2`, `sync_3`…: short ids a person can read in a launch refusal. */
export function freshStepId(type: StepType, steps: readonly Step[]): string {
  const taken = new Set(steps.map((s) => s.id));
  const base = ID_BASE[type];
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) if (!taken.has(`${base}_${n}`)) return `${base}_${n}`;
}

/** The smallest config a draft accepts (core/canvas.ts fills the same defaults), with a delay of an hour. */
export function newStep(type: StepType, id: string, then: string | null): Step {
  switch (type) {
    case 'audience_sync':
      return { id, type, config: { partner: 'tiktok', action: 'add', fields: [] }, next: then };
    case 'delay':
      return { id, type, config: { seconds: 3600 }, next: then };
    case 'decision_split':
      return { id, type, config: {}, yes: then, no: null };
    case 'webhook':
      return { id, type, config: { method: 'POST' }, next: then };
    case 'user_update':
      return { id, type, config: { set: {} }, next: then };
  }
}

export type Branch = 'next' | 'yes' | 'no';

/** Where a step leads: `next`, or a decision split's `yes` and `no`. */
export function branchesOf(step: Step): { branch: Branch; to: string | null }[] {
  return step.type === 'decision_split'
    ? [
        { branch: 'yes', to: step.yes ?? null },
        { branch: 'no', to: step.no ?? null },
      ]
    : [{ branch: 'next', to: step.next ?? null }];
}

/**
 * The graph's columns, left to right: each step one column right of the furthest step leading to it
 * (longest path, as a layered layout ranks), so that a link always points rightwards, except a link
 * back into a loop. Users enter at first_step (column 0); steps nothing reaches start columns of their
 * own from 0 too. Within a column, steps come in the order a walk from the first step finds them.
 */
export const graphColumns = (canvas: Pick<CanvasBody, 'first_step' | 'steps'>): string[][] => graphLayout(canvas).columns;

/**
 * graphColumns plus a row ("lane") per step for drawing: a step stays in the lane of the step that
 * first led to it when it is that step's first way on (a chain, a split's yes branch, is one straight
 * line); a further way (a split's no branch) opens a new lane below, and so does a step nothing reaches.
 * Two steps never share a column and lane.
 */
export function graphLayout(canvas: Pick<CanvasBody, 'first_step' | 'steps'>): { columns: string[][]; lanes: Map<string, number>; reached: ReadonlySet<string> } {
  const byId = new Map(canvas.steps.map((s) => [s.id, s] as const));
  const found: string[] = [];
  const ledBy = new Map<string, { from: string; first: boolean }>();
  const forward = new Map<string, string[]>();
  const state = new Map<string, 'open' | 'done'>();
  // Depth first, without recursion (a long chain must not overflow the stack); a link to a step still
  // open is a loop's way back and does not rank.
  const walk = (root: string) => {
    const stack: { id: string; i: number }[] = [{ id: root, i: 0 }];
    state.set(root, 'open');
    found.push(root);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const to = branchesOf(byId.get(top.id)!).map((b) => b.to)[top.i++];
      if (top.i > branchesOf(byId.get(top.id)!).length) {
        state.set(top.id, 'done');
        stack.pop();
        continue;
      }
      if (to === null || to === undefined || !byId.has(to) || state.get(to) === 'open') continue;
      forward.set(top.id, [...(forward.get(top.id) ?? []), to]);
      if (state.has(to)) continue;
      ledBy.set(to, { from: top.id, first: !found.some((id) => ledBy.get(id)?.from === top.id) });
      state.set(to, 'open');
      found.push(to);
      stack.push({ id: to, i: 0 });
    }
  };
  const roots = [...(canvas.first_step !== null && byId.has(canvas.first_step) ? [canvas.first_step] : []), ...canvas.steps.map((s) => s.id)];
  let reached: ReadonlySet<string> = new Set();
  for (const root of roots) {
    if (state.has(root)) continue;
    walk(root);
    // What users can get to: what the walk from first_step found.
    if (root === canvas.first_step && reached.size === 0) reached = new Set(found);
  }
  // Longest path over the links that rank: a step's column settles once every step before it has.
  const column = new Map<string, number>();
  const waiting = new Map<string, number>(found.map((id) => [id, 0]));
  for (const tos of forward.values()) for (const to of tos) waiting.set(to, (waiting.get(to) ?? 0) + 1);
  const ready = found.filter((id) => waiting.get(id) === 0);
  for (const id of ready) column.set(id, 0);
  while (ready.length > 0) {
    const id = ready.shift()!;
    for (const to of forward.get(id) ?? []) {
      column.set(to, Math.max(column.get(to) ?? 0, column.get(id)! + 1));
      const left = waiting.get(to)! - 1;
      waiting.set(to, left);
      if (left === 0) ready.push(to);
    }
  }
  const columns: string[][] = [];
  for (const id of found) (columns[column.get(id) ?? 0] ??= []).push(id);
  const lanes = new Map<string, number>();
  const taken = new Set<string>();
  let widest = -1;
  for (const id of found) {
    const by = ledBy.get(id);
    const from = by ? lanes.get(by.from) : undefined;
    let lane = by?.first && from !== undefined ? from : widest + 1;
    while (taken.has(`${column.get(id) ?? 0}:${lane}`)) lane++;
    taken.add(`${column.get(id) ?? 0}:${lane}`);
    lanes.set(id, lane);
    widest = Math.max(widest, lane);
  }
  return { columns, lanes, reached };
}

/**
 * The order the step cards are shown in: the graph's, column by column, so that cards and graph read
 * alike; the steps users cannot get to after them.
 */
export function stepOrder(canvas: Pick<CanvasBody, 'first_step' | 'steps'>): string[] {
  const { columns, reached } = graphLayout(canvas);
  const all = columns.flat();
  return [...all.filter((id) => reached.has(id)), ...all.filter((id) => !reached.has(id))];
}

/**
 * Adds a step after `afterId` (or after the last step shown when none is chosen; as the first step of an
 * empty canvas): it takes over where that step led, and that step now leads to it. After a decision
 * split, it goes on the branch chosen (`yes` unless told). Returns the new canvas and the new step's id.
 */
export function addStep<C extends CanvasBody>(canvas: C, type: StepType, afterId: string | null, splitBranch: 'yes' | 'no' = 'yes'): { canvas: C; id: string } {
  const id = freshStepId(type, canvas.steps);
  const order = stepOrder(canvas);
  const after = canvas.steps.find((s) => s.id === afterId) ?? canvas.steps.find((s) => s.id === order[order.length - 1]);
  if (!after) return { canvas: { ...canvas, first_step: id, steps: [...canvas.steps, newStep(type, id, null)] }, id };
  const branch: Branch = after.type === 'decision_split' ? splitBranch : 'next';
  const added = newStep(type, id, after[branch] ?? null);
  const steps = canvas.steps.flatMap((s) => (s === after ? [{ ...s, [branch]: id }, added] : [s]));
  return { canvas: { ...canvas, steps }, id };
}

/** The branches a step has, by name: a split's `yes`/`no`, any other step's `next`. */
export const hasBranch = (step: Step, branch: Branch): boolean => (step.type === 'decision_split' ? branch !== 'next' : branch === 'next');

/**
 * Sets where a step's branch leads (`to` null: the user exits there). A branch the step does not have,
 * a step that does not exist or a link of a step to itself leaves the canvas as it was (the same object).
 */
export function connect<C extends CanvasBody>(canvas: C, fromId: string, branch: Branch, to: string | null): C {
  const from = canvas.steps.find((s) => s.id === fromId);
  if (!from || !hasBranch(from, branch) || to === fromId) return canvas;
  if (to !== null && !canvas.steps.some((s) => s.id === to)) return canvas;
  if ((from[branch] ?? null) === to) return canvas;
  return { ...canvas, steps: canvas.steps.map((s) => (s === from ? { ...s, [branch]: to } : s)) };
}

/** The branch now leads nowhere: users exit the canvas after the step. */
export const disconnect = <C extends CanvasBody>(canvas: C, fromId: string, branch: Branch): C => connect(canvas, fromId, branch, null);

/** Users enter at this step (null: the canvas has no first step, which launch refuses). */
export function makeFirst<C extends CanvasBody>(canvas: C, id: string | null): C {
  if (id !== null && !canvas.steps.some((s) => s.id === id)) return canvas;
  return canvas.first_step === id ? canvas : { ...canvas, first_step: id };
}

/**
 * Where the links into a deleted step go: to where it led when it has a single `next` (null: exit),
 * otherwise (a split, whose two ways cannot both be kept) nowhere.
 */
function reattachTarget(step: Step): string | null {
  return step.type === 'decision_split' ? null : (step.next ?? null);
}

/** What deleting a step does, in words for its confirmation. */
export function deleteStepWords(canvas: Pick<CanvasBody, 'first_step' | 'steps'>, id: string): string {
  const step = canvas.steps.find((s) => s.id === id);
  if (!step) return '';
  const into = canvas.steps.filter((s) => s.id !== id && branchesOf(s).some((b) => b.to === id)).map((s) => `step ${s.id}`);
  if (canvas.first_step === id) into.unshift('the entry');
  const target = reattachTarget(step);
  if (into.length === 0) return `Delete step ${id}? Nothing leads to it.`;
  const what = into.join(', ');
  if (step.type === 'decision_split') return `Delete step ${id}? A split has two ways on, so the links from ${what} are cleared (users exit there).`;
  return target === null ? `Delete step ${id}? ${what} will lead to the exit instead, as it did.` : `Delete step ${id}? ${what} will lead to step ${target} instead, where it led.`;
}

/**
 * Removes a step. The steps (and first_step) that led to it now lead to where it led when it has a
 * single `next`; after a split, those links are cleared. A link to the step being its own target is
 * never created (a step that led to X, deleted, leading back to X would be a self-loop): cleared then.
 */
export function deleteStep<C extends CanvasBody>(canvas: C, id: string): C {
  const gone = canvas.steps.find((s) => s.id === id);
  if (!gone) return canvas;
  const target = reattachTarget(gone);
  const steps = canvas.steps
    .filter((s) => s !== gone)
    .map((s) => {
      let changed = s;
      for (const { branch, to } of branchesOf(s)) if (to === id) changed = { ...changed, [branch]: target === s.id ? null : target };
      return changed;
    });
  return { ...canvas, steps, first_step: canvas.first_step === id ? target : canvas.first_step };
}

/**
 * Which one thing an edit changed, for the undo history to merge keystrokes: a top-level field's name,
 * or `step <id> <key>` for one key of one step's config (or the step's own fields). Null for an edit of
 * several things or of the steps' set, which is never merged.
 */
export function editKey(before: CanvasBody, after: CanvasBody): string | null {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)] as (keyof CanvasBody)[]);
  const changed = [...keys].filter((k) => stableJson(before[k]) !== stableJson(after[k]));
  const key = changed[0];
  if (changed.length !== 1 || key === undefined) return null;
  if (key !== 'steps') return key;
  if (before.steps.length !== after.steps.length) return null;
  const differing = before.steps.flatMap((s, i) => (stableJson(s) === stableJson(after.steps[i]) ? [] : [i]));
  const at = differing[0];
  if (differing.length !== 1 || at === undefined) return null;
  const [a, b] = [before.steps[at], after.steps[at]];
  if (!a || !b || a.id !== b.id || a.type !== b.type) return null;
  const inConfig = [...new Set([...Object.keys(a.config), ...Object.keys(b.config)])].filter((k) => stableJson(a.config[k]) !== stableJson(b.config[k]));
  // A link (next/yes/no) is a structural edit: each one is worth its own undo.
  if (inConfig.length !== 1) return null;
  return `step ${a.id} ${inConfig[0]}`;
}

/**
 * Launch refusals (core/canvas.ts) name a step as `step <id>: …` or `step <id> points at …`: those go
 * to the step's card, the rest (the TikTok connection, first_step, loops, the entry) to the top. The
 * longest id is tried first, so that `step a b: …` is not taken for step `a`.
 */
export function reasonsByStep(reasons: readonly string[], stepIds: readonly string[]): { top: string[]; byStep: Map<string, string[]> } {
  const ids = [...stepIds].sort((a, b) => b.length - a.length);
  const top: string[] = [];
  const byStep = new Map<string, string[]>();
  for (const reason of reasons) {
    const id = ids.find((i) => reason.startsWith(`step ${i}:`) || reason.startsWith(`step ${i} `));
    if (id === undefined) top.push(reason);
    else byStep.set(id, [...(byStep.get(id) ?? []), reason]);
  }
  return { top, byStep };
}

const OPS = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'in', 'contains', 'exists', 'not_exists'];

/** Why a value is not a filter of spec §3, with where; null when it is one. */
function filterProblem(value: unknown, where: string): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return `${where} must be an object`;
  const keys = Object.keys(value);
  const record = value as Record<string, unknown>;
  for (const group of ['all', 'any'] as const) {
    if (!(group in record)) continue;
    if (keys.length !== 1) return `${where} has "${group}" and other keys: a group holds only its list`;
    const members = record[group];
    if (!Array.isArray(members)) return `${where}.${group} must be a list of filters`;
    for (let i = 0; i < members.length; i++) {
      const problem = filterProblem(members[i], `${where}.${group}[${i}]`);
      if (problem) return problem;
    }
    return null;
  }
  const unknown = keys.filter((k) => !['attribute', 'op', 'value'].includes(k));
  if (unknown.length > 0) return `${where} has an unknown key "${unknown[0]}" (a condition has attribute, op and value)`;
  if (typeof record.attribute !== 'string' || record.attribute === '') return `${where} needs an "attribute" (a name such as "country")`;
  if (typeof record.op !== 'string' || !OPS.includes(record.op)) return `${where} needs an "op", one of ${OPS.join(', ')}`;
  return null;
}

/** The entry audience as typed: empty means every profile; otherwise a JSON filter, or why not. */
export function parseAudience(text: string): { ok: true; audience: Filter | null } | { ok: false; message: string } {
  if (text.trim() === '') return { ok: true, audience: null };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, message: `Entry audience is not valid JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
  const problem = filterProblem(value, 'the filter');
  return problem ? { ok: false, message: `Entry audience is not a filter: ${problem}. Example: {"all":[{"attribute":"country","op":"eq","value":"US"}]}` } : { ok: true, audience: value as Filter };
}

/** The audience as the textarea shows it. */
export const audienceText = (audience: Filter | null): string => (audience === null ? '' : JSON.stringify(audience, null, 2));

/** JSON with keys in order: the server answers defaults and its own key order, which are no edit. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

/** What PUT takes: the canvas JSON without what the server adds (id, status, version, times). */
export function bodyOf(canvas: CanvasBody): CanvasBody {
  const { name, entry, audience, reentry, exit, first_step, steps } = canvas;
  return { name, entry, audience, ...(reentry ? { reentry } : {}), ...(exit ? { exit } : {}), first_step, steps };
}

/** `datetime-local`'s value (local time, minutes) for an ISO time, and back. */
export function toLocalInput(iso: string | null): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
export function fromLocalInput(value: string): string | null {
  if (!value) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}
