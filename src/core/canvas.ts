/**
 * The canvas JSON of spec §3 (contract): its types, the shape check that POST/PUT apply (a draft may
 * be incomplete, so only the shape is checked), and the completeness check that launch applies.
 */
import { z } from 'zod';
import { FILTER_OPS, type Filter, type FilterOp } from './filter.ts';

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

const stepId = z.string().min(1).max(100);
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
const WebhookStep = z.object({
  id: stepId,
  type: z.literal('webhook'),
  next: nextId,
  config: z
    .object({
      url: z.string().optional(),
      method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).default('POST'),
      headers: z.record(z.string(), z.string()).optional(),
      body: jsonValue.optional(),
      timeout_ms: z.number().int().min(1).max(60_000).optional(),
    })
    .default({ method: 'POST' }),
});
const UserUpdateStep = z.object({
  id: stepId,
  type: z.literal('user_update'),
  next: nextId,
  config: z.object({ set: z.record(z.string(), jsonValue).default({}) }).default({ set: {} }),
});
const StepSchema = z.discriminatedUnion('type', [AudienceSyncStep, DelayStep, DecisionSplitStep, WebhookStep, UserUpdateStep]);

const EntrySchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('api') }),
  z.object({ type: z.literal('event'), event: z.string().optional() }),
  z.object({ type: z.literal('scheduled'), at: z.iso.datetime({ offset: true }).nullable().default(null) }),
]);

export const CanvasSchema = z.object({
  name: z.string().min(1).max(200),
  entry: EntrySchema.default({ type: 'api' }),
  audience: FilterSchema.nullable().default(null),
  reentry: z.object({ allowed: z.boolean().default(false), after_seconds: z.number().int().min(0).default(0) }).default({ allowed: false, after_seconds: 0 }),
  exit: z.object({ events: z.array(z.string().min(1)).default([]) }).default({ events: [] }),
  first_step: stepId.nullable().default(null),
  steps: z.array(StepSchema).default([]),
});

export type CanvasDefinition = z.output<typeof CanvasSchema>;
export type StepDefinition = CanvasDefinition['steps'][number];
export type StepOf<T extends StepType> = Extract<StepDefinition, { type: T }>;
export type CanvasEntry = CanvasDefinition['entry'];

/** Parses a canvas body: the definition, or every shape problem as `path: message`. */
export function parseCanvas(body: unknown): { ok: true; canvas: CanvasDefinition } | { ok: false; problems: string[] } {
  const parsed = CanvasSchema.safeParse(body);
  if (parsed.success) return { ok: true, canvas: parsed.data };
  return { ok: false, problems: parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`) };
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
  problems.push(...filterProblems(canvas.audience, 'audience'));
  for (const step of canvas.steps) {
    for (const next of successorsOf(step)) if (next !== null && !ids.has(next)) problems.push(`step ${step.id} points at a missing step: ${next}`);
    problems.push(...stepProblems(step, ctx));
  }
  problems.push(...loopProblems(canvas.steps));
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
 * legitimate "check again tomorrow" pattern and is allowed.
 */
function loopProblems(steps: readonly StepDefinition[]): string[] {
  const byId = new Map<string, StepDefinition>();
  for (const s of steps) if (!byId.has(s.id)) byId.set(s.id, s);
  const holds = (s: StepDefinition) => s.type === 'delay' && (s.config.seconds ?? 0) >= 1;
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const loops = new Map<string, string[]>();
  const visit = (step: StepDefinition): void => {
    state.set(step.id, 'open');
    path.push(step.id);
    for (const nextId of successorsOf(step)) {
      const next = nextId === null ? undefined : byId.get(nextId);
      if (!next || holds(next)) continue;
      const seen = state.get(next.id);
      if (seen === undefined) visit(next);
      else if (seen === 'open') {
        const loop = path.slice(path.indexOf(next.id));
        loops.set([...loop].sort().join('\n'), loop);
      }
    }
    path.pop();
    state.set(step.id, 'done');
  };
  for (const step of byId.values()) if (!holds(step) && !state.has(step.id)) visit(step);
  return [...loops.values()].map((l) => `steps ${[...l, l[0]].join(' -> ')} form a loop without a delay; a user would go round it without end`);
}

/** Conditions that can never match as written: a missing value, `in` without a list, an order against an object. */
function filterProblems(filter: Filter | null | undefined, where: string): string[] {
  if (!filter) return [];
  if ('all' in filter) return filter.all.flatMap((f, i) => filterProblems(f, `${where}.all.${i}`));
  if ('any' in filter) return filter.any.flatMap((f, i) => filterProblems(f, `${where}.any.${i}`));
  const { attribute, op, value } = filter;
  if (op === 'exists' || op === 'not_exists') return [];
  if (value === undefined) return [`${where}: the condition on ${attribute} (${op}) needs a value`];
  if (op === 'in' && !Array.isArray(value)) return [`${where}: the condition on ${attribute} (in) needs a list of values`];
  if (['gt', 'gte', 'lt', 'lte'].includes(op) && typeof value !== 'number' && typeof value !== 'string')
    return [`${where}: the condition on ${attribute} (${op}) compares with a number or a string`];
  return [];
}

function stepProblems(step: StepDefinition, ctx: LaunchContext): string[] {
  const p: string[] = [];
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
      else p.push(...filterProblems(step.config.filter, `step ${step.id}: config.filter`));
      break;
    case 'webhook':
      if (!step.config.url || !/^https?:\/\//.test(step.config.url)) p.push(`step ${step.id}: webhook needs an http(s) url`);
      break;
    case 'user_update':
      if (Object.keys(step.config.set).length === 0) p.push(`step ${step.id}: user_update needs at least one attribute in set`);
      break;
  }
  return p;
}
