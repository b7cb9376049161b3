/**
 * The canvas JSON of spec §3 (contract): its types, the shape check that POST/PUT apply (a draft may
 * be incomplete, so only the shape is checked), and the completeness check that launch applies.
 */
import { z } from 'zod';
import { CANVAS_CAPS, checkCanvasCaps, type CanvasCapCode } from './canvas-caps.ts';
import { FILTER_OPS, type Filter, type FilterOp } from './filter.ts';
import { formatJsonPath } from './json-path.ts';

export type StepType = 'audience_sync' | 'delay' | 'decision_split' | 'webhook' | 'user_update';
export const STEP_TYPES: readonly StepType[] = ['audience_sync', 'delay', 'decision_split', 'webhook', 'user_update'];
export type CanvasStatus = 'draft' | 'active' | 'stopped' | 'archived';
export type SyncField = 'email' | 'phone' | 'idfa' | 'gaid';

const FILTER_GROUPS = ['all', 'any'] as const;
const CONDITION_KEYS = ['attribute', 'op', 'value'] as const;

/**
 * One object schema with a refinement rather than a union of three: a union can only say "Invalid
 * input" at the filter's root, while this names the exact key at fault (`audience.all.0.op: …`).
 */
const FilterSchema: z.ZodType<Filter> = z.lazy(() =>
  z
    .strictObject({
      all: z.array(FilterSchema).optional(),
      any: z.array(FilterSchema).optional(),
      attribute: z.string().min(1).optional(),
      op: z.enum(FILTER_OPS as [FilterOp, ...FilterOp[]]).optional(),
      value: z.unknown().optional(),
    })
    .superRefine((f, ctx) => {
      const kinds = FILTER_GROUPS.filter((k) => k in f).length + (CONDITION_KEYS.some((k) => k in f) ? 1 : 0);
      if (kinds !== 1) {
        ctx.addIssue({ code: 'custom', message: 'a filter is exactly one of {"all":[…]}, {"any":[…]} or {"attribute","op","value"}' });
        return;
      }
      if (CONDITION_KEYS.some((k) => k in f)) {
        if (f.attribute === undefined) ctx.addIssue({ code: 'custom', path: ['attribute'], message: 'a condition needs an attribute' });
        if (f.op === undefined) ctx.addIssue({ code: 'custom', path: ['op'], message: `a condition needs an op, one of ${FILTER_OPS.join(', ')}` });
      }
    }) as unknown as z.ZodType<Filter>,
);

/** C0 and C1 control characters (NUL among them): a name or id holding one would garble the messages and pages that show it. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
/** Half a surrogate pair: not a character; PostgreSQL would store U+FFFD instead. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
/** A name shown to people: 1 to `max` characters, no control characters, valid Unicode. */
const label = (what: string, max: number) =>
  z
    .string()
    .min(1, `${what} must not be empty`)
    .max(max, `${what} is at most ${max} characters`)
    .refine((s) => !CONTROL.test(s), `${what} must not contain control characters (U+0000–U+001F, U+007F–U+009F)`)
    .refine((s) => !LONE_SURROGATE.test(s), `${what} must be valid Unicode (no lone surrogate)`);

const stepId = label('a step id', CANVAS_CAPS.maxStepIdLength);
const eventName = z.string().min(1).max(CANVAS_CAPS.maxEventNameLength, `an event name is at most ${CANVAS_CAPS.maxEventNameLength} characters`);
const nextId = stepId.nullable().default(null);
const jsonValue: z.ZodType<unknown> = z.unknown();

const AudienceSyncStep = z.object({
  id: stepId,
  type: z.literal('audience_sync'),
  next: nextId,
  config: z
    .object({
      partner: z.literal('tiktok').default('tiktok'),
      advertiser_id: z.string().optional(),
      audience_id: z.string().optional(),
      action: z.enum(['add', 'remove']).default('add'),
      fields: z.array(z.enum(['email', 'phone', 'idfa', 'gaid'])).default([]),
    })
    .default({ partner: 'tiktok', action: 'add', fields: [] }),
});
const DelayStep = z.object({ id: stepId, type: z.literal('delay'), next: nextId, config: z.object({ seconds: z.number().min(0).optional() }).default({}) });
const DecisionSplitStep = z.object({
  id: stepId,
  type: z.literal('decision_split'),
  yes: nextId,
  no: nextId,
  config: z.object({ filter: FilterSchema.optional() }).default({}),
});
/** A webhook step's config; also what `POST /api/webhooks/preview` takes (api/routes/webhook-preview.ts). */
export const WebhookConfigSchema = z.object({
  url: z.string().optional(),
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).default('POST'),
  headers: z.record(z.string(), z.string()).optional(),
  body: jsonValue.optional(),
  timeout_ms: z.number().int().min(1).max(60_000).optional(),
});
const WebhookStep = z.object({ id: stepId, type: z.literal('webhook'), next: nextId, config: WebhookConfigSchema.default({ method: 'POST' }) });
const UserUpdateStep = z.object({
  id: stepId,
  type: z.literal('user_update'),
  next: nextId,
  config: z.object({ set: z.record(z.string(), jsonValue).default({}) }).default({ set: {} }),
});
const StepSchema = z.discriminatedUnion('type', [AudienceSyncStep, DelayStep, DecisionSplitStep, WebhookStep, UserUpdateStep]);

const EntrySchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('api') }),
  z.object({ type: z.literal('event'), event: eventName.optional() }),
  z.object({ type: z.literal('scheduled'), at: z.iso.datetime({ offset: true }).nullable().default(null) }),
]);

export const CanvasSchema = z.object({
  name: label('a canvas name', CANVAS_CAPS.maxNameLength),
  entry: EntrySchema.default({ type: 'api' }),
  audience: FilterSchema.nullable().default(null),
  reentry: z.object({ allowed: z.boolean().default(false), after_seconds: z.number().int().min(0).default(0) }).default({ allowed: false, after_seconds: 0 }),
  exit: z.object({ events: z.array(eventName).default([]) }).default({ events: [] }),
  first_step: stepId.nullable().default(null),
  steps: z.array(StepSchema).default([]),
});

export type CanvasDefinition = z.output<typeof CanvasSchema>;
export type StepDefinition = CanvasDefinition['steps'][number];
export type StepOf<T extends StepType> = Extract<StepDefinition, { type: T }>;
export type CanvasEntry = CanvasDefinition['entry'];

export type ParsedCanvas = { ok: true; canvas: CanvasDefinition } | { ok: false; code: 'invalid_canvas' | CanvasCapCode; problems: string[] };

/**
 * Parses a canvas body (already JSON-parsed): the definition, or why not. A cap of spec §9 exceeded
 * (core/canvas-caps.ts) is the one problem given, with its own code, and the shape is not read at all;
 * otherwise every shape problem, as `path: message`, under `invalid_canvas`.
 */
export function parseCanvas(body: unknown): ParsedCanvas {
  const caps = checkCanvasCaps(body);
  if (caps.cap) return { ok: false, code: caps.cap.code, problems: [caps.cap.message] };
  const parsed = CanvasSchema.safeParse(body);
  if (parsed.success && caps.nul.length === 0) return { ok: true, canvas: parsed.data };
  const shape = parsed.success ? [] : parsed.error.issues.map((i) => `${formatJsonPath(i.path)}: ${i.message}`);
  return { ok: false, code: 'invalid_canvas', problems: [...caps.nul, ...shape] };
}

/** The steps a step can lead to. */
export function successorsOf(step: StepDefinition): (string | null)[] {
  return step.type === 'decision_split' ? [step.yes, step.no] : [step.next];
}

export interface LaunchContext {
  /** The workspace's TikTok connection, as far as launch needs to know it. */
  tiktok: { status: 'connected' | 'invalid_token' | 'disconnected'; advertiserIds: readonly string[] };
}

/** Every reason the canvas cannot launch (spec §3); empty when it can. Pure. */
export function launchProblems(canvas: CanvasDefinition, ctx: LaunchContext): string[] {
  return [...definitionProblems(canvas, ctx), ...connectionProblems(canvas, ctx)];
}

/**
 * The problems of the canvas itself: its graph, its steps and filters, and advertisers the connection
 * does not have. An edit of an active canvas must pass these (engine/canvas-service.ts) but is not
 * refused for the connection's status, which an admin fixes elsewhere. Pure.
 */
export function definitionProblems(canvas: CanvasDefinition, ctx: LaunchContext): string[] {
  const problems: string[] = [];
  const ids = new Set<string>();
  for (const step of canvas.steps) {
    if (ids.has(step.id)) problems.push(`step ${step.id}: the id is used by more than one step`);
    ids.add(step.id);
  }
  if (canvas.first_step === null) problems.push('the canvas has no first step (first_step)');
  else if (!ids.has(canvas.first_step)) problems.push(`first_step points at a missing step: ${canvas.first_step}`);
  if (canvas.entry.type === 'event' && !canvas.entry.event) problems.push('entry: an event entry needs the event name (entry.event)');
  if (canvas.entry.type === 'scheduled' && canvas.entry.at !== null && Number.isNaN(Date.parse(canvas.entry.at))) problems.push('entry.at is not a time');
  filterProblems(canvas.audience, 'audience', problems);
  for (const step of canvas.steps) {
    for (const next of successorsOf(step)) if (next !== null && !ids.has(next)) problems.push(`step ${step.id} points at a missing step: ${next}`);
    stepProblems(step, ctx, problems);
  }
  for (const loop of loopProblems(canvas.steps)) problems.push(loop);
  return problems;
}

/** The TikTok connection must be usable when the canvas has an audience_sync step. Pure. */
export function connectionProblems(canvas: CanvasDefinition, ctx: LaunchContext): string[] {
  if (!canvas.steps.some((s) => s.type === 'audience_sync') || ctx.tiktok.status === 'connected') return [];
  return [
    ctx.tiktok.status === 'invalid_token'
      ? 'TikTok: the connection token is invalid; an admin must reconnect TikTok before this canvas can launch'
      : 'TikTok: not connected; connect TikTok (Partners) before launching a canvas with an audience_sync step',
  ];
}

/**
 * Loops in which no delay of at least a second holds the user: the runtime would move them round it
 * without end (engine/executor.ts only parks them between runs). A loop through a delay is a
 * legitimate "check again tomorrow" pattern and is allowed. A depth-first walk with its own stack, not
 * the call stack: a canvas stored before the caps may be a chain of 20,000 steps. At most
 * MAX_LOOPS_LISTED loops are named.
 */
function loopProblems(steps: readonly StepDefinition[]): string[] {
  const byId = new Map<string, StepDefinition>();
  for (const s of steps) if (!byId.has(s.id)) byId.set(s.id, s);
  const holds = (s: StepDefinition) => s.type === 'delay' && (s.config.seconds ?? 0) >= 1;
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const positionOnPath = new Map<string, number>();
  const loops = new Map<string, string[]>();
  const stack: { step: StepDefinition; next: (string | null)[]; i: number }[] = [];
  const enter = (step: StepDefinition) => {
    state.set(step.id, 'open');
    positionOnPath.set(step.id, path.length);
    path.push(step.id);
    stack.push({ step, next: successorsOf(step), i: 0 });
  };
  for (const start of byId.values()) {
    if (holds(start) || state.has(start.id)) continue;
    enter(start);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (top.i >= top.next.length) {
        stack.pop();
        path.pop();
        positionOnPath.delete(top.step.id);
        state.set(top.step.id, 'done');
        continue;
      }
      const nextId = top.next[top.i++];
      const next = nextId === null || nextId === undefined ? undefined : byId.get(nextId);
      if (!next || holds(next)) continue;
      const seen = state.get(next.id);
      if (seen === undefined) enter(next);
      else if (seen === 'open' && loops.size < MAX_LOOPS_LISTED) {
        const loop = path.slice(positionOnPath.get(next.id));
        loops.set([...loop].sort().join('\n'), loop);
      }
    }
  }
  return [...loops.values()].map((l) => `steps ${[...l, l[0]].join(' -> ')} form a loop without a delay; a user would go round it without end`);
}

const MAX_LOOPS_LISTED = 20;

/**
 * Conditions that can never match as written: a missing value, `in` without a list, an order against
 * an object. Walks with its own stack (a filter stored before the caps may be 1,000s deep), in the
 * document's order, and spells a condition's place only when it has a problem.
 */
function filterProblems(root: Filter | null | undefined, where: string, out: string[]): void {
  if (!root) return;
  interface Place { filter: Filter; parent: Place | null; segment: string }
  const placeOf = (p: Place): string => {
    const parts: string[] = [];
    for (let q: Place | null = p; q !== null; q = q.parent) parts.push(q.segment);
    return parts.reverse().join('.');
  };
  const stack: Place[] = [{ filter: root, parent: null, segment: where }];
  while (stack.length > 0) {
    const place = stack.pop()!;
    const filter = place.filter;
    if (!filter || typeof filter !== 'object') continue;
    if ('all' in filter || 'any' in filter) {
      const group = 'all' in filter ? 'all' : 'any';
      const members = (filter as Record<typeof group, Filter[]>)[group];
      if (!Array.isArray(members)) continue;
      for (let i = members.length - 1; i >= 0; i--) stack.push({ filter: members[i]!, parent: place, segment: `${group}.${i}` });
      continue;
    }
    const { attribute, op, value } = filter;
    if (op === 'exists' || op === 'not_exists') continue;
    if (value === undefined) out.push(`${placeOf(place)}: the condition on ${attribute} (${op}) needs a value`);
    else if (op === 'in' && !Array.isArray(value)) out.push(`${placeOf(place)}: the condition on ${attribute} (in) needs a list of values`);
    else if (['gt', 'gte', 'lt', 'lte'].includes(op) && typeof value !== 'number' && typeof value !== 'string')
      out.push(`${placeOf(place)}: the condition on ${attribute} (${op}) compares with a number or a string`);
  }
}

function stepProblems(step: StepDefinition, ctx: LaunchContext, p: string[]): void {
  switch (step.type) {
    case 'audience_sync':
      if (!step.config.advertiser_id) p.push(`step ${step.id}: audience_sync needs an advertiser_id`);
      // Checked whenever the connection still knows its ad accounts (an invalid token keeps them).
      else if (ctx.tiktok.status !== 'disconnected' && !ctx.tiktok.advertiserIds.includes(step.config.advertiser_id))
        p.push(`step ${step.id}: advertiser ${step.config.advertiser_id} is not one of the TikTok connection's ad accounts`);
      if (!step.config.audience_id) p.push(`step ${step.id}: audience_sync needs an audience_id`);
      if (step.config.fields.length === 0) p.push(`step ${step.id}: audience_sync needs at least one of email, phone, idfa, gaid in fields`);
      break;
    case 'delay':
      if (step.config.seconds === undefined) p.push(`step ${step.id}: delay needs seconds`);
      break;
    case 'decision_split':
      if (!step.config.filter) p.push(`step ${step.id}: decision_split needs a filter`);
      else filterProblems(step.config.filter, `step ${step.id}: config.filter`, p);
      break;
    case 'webhook':
      if (!step.config.url || !/^https?:\/\//.test(step.config.url)) p.push(`step ${step.id}: webhook needs an http(s) url`);
      break;
    case 'user_update':
      if (Object.keys(step.config.set).length === 0) p.push(`step ${step.id}: user_update needs at least one attribute in set`);
      break;
  }
}
