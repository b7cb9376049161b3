/**
 * The step-handler contract (PostHog's model): one small object per step type. A handler gets the
 * step, the user and `now`, and returns advance, wait or park, plus effects the runtime writes in
 * the same transaction that moves the user. It never touches the store, calls TikTok or any URL,
 * reads the clock or records metrics: a webhook step only renders its request, which the webhook
 * sender delivers outside every entry batch (engine/webhook-sender.ts).
 */
import type { StepOf, StepType } from '../../core/canvas.ts';
import type { HashedRow } from '../../core/digest-rows.ts';
import type { Entry } from '../../store/journey-port.ts';
import type { Json, Profile } from '../../store/port.ts';
import type { WebhookRequest } from '../../store/webhook-port.ts';

/** A user's normalised, hashed identifiers for an audience_sync step: a row of SHA-256 digests. */
export type StepHashes = HashedRow;

export type Effect =
  | { kind: 'sync_item'; outcome: 'pending'; reason: null; hashes: StepHashes }
  | { kind: 'sync_item'; outcome: 'not_synced'; reason: string; hashes: null }
  | { kind: 'profile_update'; set: Record<string, Json> }
  | { kind: 'webhook_request'; request: WebhookRequest };

/**
 * `next: null` = the user exits the canvas after this step. `until` is epoch ms. `park`: the user
 * waits at the step, not due, until the runtime moves them on (a webhook step: when its call ends).
 */
export type StepResult = { kind: 'advance'; next: string | null; effects?: Effect[] } | { kind: 'wait'; until: number } | { kind: 'park'; effects: Effect[] };

export interface StepContext<T extends StepType> {
  step: StepOf<T>;
  profile: Profile;
  entry: Entry;
  now: number;
  /** When the user arrived at this step (a delay counts from here). */
  stepEnteredAt: number;
  /** The workspace's default country, for phones without a country code. */
  defaultCountry: string | null;
  /** audience_sync: the step's fields of this profile, already hashed by the runtime (a launch hashes a chunk on another thread). */
  hashed?: StepHashes;
}

export interface HttpRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string | undefined;
  timeoutMs: number;
}
/** The webhook sender's transport (engine/webhook-sender.ts; `guardedHttp` in webhooks/guarded-http.ts). */
export interface StepIO {
  /** One HTTP attempt: the status, or a thrown error for a network failure or timeout (`code: 'webhook_blocked'`: refused target, final). */
  http(req: HttpRequest): Promise<{ status: number }>;
}

/** Synchronous: a handler does no I/O (an await per step was a second of a million-user launch's CPU). */
export interface StepHandler<T extends StepType> {
  readonly type: T;
  execute(ctx: StepContext<T>): StepResult;
}
