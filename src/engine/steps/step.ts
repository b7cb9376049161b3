/**
 * The step-handler contract (PostHog's model): one small object per step type. A handler gets the
 * step, the user and `now`, and returns advance or wait, plus effects the runtime writes in the
 * same transaction that moves the user. It never touches the store, calls TikTok, reads the clock
 * or records metrics; the webhook handler's HTTP goes through the injected `io`.
 */
import type { StepOf, StepType } from '../../core/canvas.ts';
import type { HashedRow } from '../../core/digest-rows.ts';
import type { Entry } from '../../store/journey-port.ts';
import type { Json, Profile } from '../../store/port.ts';

/** A user's normalised, hashed identifiers for an audience_sync step: a row of SHA-256 digests. */
export type StepHashes = HashedRow;

export type Effect =
  | { kind: 'sync_item'; outcome: 'pending'; reason: null; hashes: StepHashes }
  | { kind: 'sync_item'; outcome: 'not_synced'; reason: string; hashes: null }
  | { kind: 'profile_update'; set: Record<string, Json> }
  | { kind: 'webhook_delivery'; ok: boolean; httpStatus: number | null; error: string | null; attempts: number };

/** `next: null` = the user exits the canvas after this step. `until` is epoch ms. */
export type StepResult = { kind: 'advance'; next: string | null; effects?: Effect[] } | { kind: 'wait'; until: number };

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
export interface StepIO {
  /** One HTTP attempt: the status, or a thrown error for a network failure or timeout. */
  http(req: HttpRequest): Promise<{ status: number }>;
  /** Waits between webhook attempts (tests pass a no-op). */
  pause(ms: number): Promise<void>;
}

export interface StepHandler<T extends StepType> {
  readonly type: T;
  execute(ctx: StepContext<T>, io: StepIO): StepResult | Promise<StepResult>;
}
