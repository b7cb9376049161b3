/**
 * The webhook outbox (migration 0009): a webhook step's rendered request, written in the transaction
 * that parks the user at the step, delivered by the webhook sender under a lease
 * (engine/webhook-sender.ts), and deleted in the transaction that moves the user on.
 */
import type { Entry, EntryUpdate } from './journey-port.ts';

/** A request as the step rendered it. `timeoutMs`: the step's own, if it set one (the sender caps it). */
export interface WebhookRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string | null;
  timeoutMs: number | null;
}

export interface NewWebhookCall {
  workspaceId: string;
  canvasId: string;
  /** The entry's canvas version: where the user goes on from the step. */
  version: number;
  stepId: string;
  entryId: number;
  request: WebhookRequest;
}

export interface ClaimedWebhookCall extends NewWebhookCall {
  id: number;
  leaseId: string;
  /** Attempts made and failed before this claim. */
  attempts: number;
  /** Claims so far, this one included: more than attempts + 1 means earlier claims never settled (crashes). */
  claimCount: number;
}

/** A call to try again later; fenced by its lease. */
export interface WebhookRetry {
  id: number;
  leaseId: string;
  attempts: number;
  dueAt: number;
  lastError: string;
}

export interface WebhookOutboxQueries {
  /** Set-based. Needs the transaction that parks the entries. */
  insertWebhookCalls(rows: readonly NewWebhookCall[], now: number): Promise<void>;
  /**
   * Claims up to `limit` due calls, oldest first, at most `perWorkspace` minus `busy` (the caller's
   * calls in flight) per workspace, under a fresh lease. Two statements; PostgreSQL: SKIP LOCKED.
   */
  claimDueWebhookCalls(q: { now: number; limit: number; perWorkspace: number; busy: ReadonlyMap<string, number>; leaseMs: number; leaseId: string }): Promise<ClaimedWebhookCall[]>;
  /** Schedules another attempt of calls still under their lease (which is released). Returns the ids changed. */
  retryWebhookCalls(rows: readonly WebhookRetry[]): Promise<Set<number>>;
  /** Deletes calls still under their lease; answers, per call deleted, its entry (null when the entry is gone). Needs a transaction. */
  finishWebhookCalls(calls: readonly { id: number; leaseId: string }[]): Promise<Map<number, Entry | null>>;
  /** Moves entries parked at `fromStep` (active, not due, not leased). Returns the ids moved. Set-based; needs a transaction. */
  resumeParkedEntries(rows: readonly { update: EntryUpdate; fromStep: string }[]): Promise<Set<number>>;
  /** Undelivered calls, of one workspace or all (tests, diagnostics). One statement. */
  countWebhookCalls(workspaceId?: string): Promise<number>;
}
