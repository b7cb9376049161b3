/**
 * The canvas JSON of spec §3 (contract): its types, the shape check that POST/PUT apply (a draft may
 * be incomplete, so only the shape is checked), and the completeness check that launch applies.
 */
import { z } from 'zod';
import { FILTER_OPS, type Filter } from './filter.ts';

export type StepType = 'audience_sync' | 'delay' | 'decision_split' | 'webhook' | 'user_update';
export const STEP_TYPES: readonly StepType[] = ['audience_sync', 'delay', 'decision_split', 'webhook', 'user_update'];
export type CanvasStatus = 'draft' | 'active' | 'stopped' | 'archived';
export type SyncField = 'email' | 'phone' | 'idfa' | 'gaid';

const FilterSchema: z.ZodType<Filter> = z.lazy(() =>
  z.union([
    z.strictObject({ all: z.array(FilterSchema) }),
    z.strictObject({ any: z.array(FilterSchema) }),
    z.strictObject({ attribute: z.string().min(1), op: z.enum(FILTER_OPS as [string, ...string[]]), value: z.unknown().optional() }) as z.ZodType<Filter>,
  ]),
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
  for (const step of canvas.steps) {
    for (const next of successorsOf(step)) if (next !== null && !ids.has(next)) problems.push(`step ${step.id} points at a missing step: ${next}`);
    problems.push(...stepProblems(step, ctx));
  }
  const syncSteps = canvas.steps.filter((s) => s.type === 'audience_sync');
  if (syncSteps.length > 0 && ctx.tiktok.status !== 'connected') {
    problems.push(
      ctx.tiktok.status === 'invalid_token'
        ? 'TikTok: the connection token is invalid; an admin must reconnect TikTok before this canvas can launch'
        : 'TikTok: not connected; connect TikTok (Partners) before launching a canvas with an audience_sync step',
    );
  }
  return problems;
}

function stepProblems(step: StepDefinition, ctx: LaunchContext): string[] {
  const p: string[] = [];
  switch (step.type) {
    case 'audience_sync':
      if (!step.config.advertiser_id) p.push(`step ${step.id}: audience_sync needs an advertiser_id`);
      else if (ctx.tiktok.status === 'connected' && !ctx.tiktok.advertiserIds.includes(step.config.advertiser_id))
        p.push(`step ${step.id}: advertiser ${step.config.advertiser_id} is not one of the TikTok connection's ad accounts`);
      if (!step.config.audience_id) p.push(`step ${step.id}: audience_sync needs an audience_id`);
      if (step.config.fields.length === 0) p.push(`step ${step.id}: audience_sync needs at least one of email, phone, idfa, gaid in fields`);
      break;
    case 'delay':
      if (step.config.seconds === undefined) p.push(`step ${step.id}: delay needs seconds`);
      break;
    case 'decision_split':
      if (!step.config.filter) p.push(`step ${step.id}: decision_split needs a filter`);
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
