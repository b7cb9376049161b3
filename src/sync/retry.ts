/**
 * Retry policy (spec §2.5): capped exponential backoff with jitter for transient failures; a
 * rate-limit answer waits without spending an attempt. Pure; `random` is injected for tests.
 * The schedule is documented in docs/retries.md — keep the two in step.
 */
export interface RetryPolicy {
  /** First backoff. */
  baseMs: number;
  /** Longest backoff. */
  capMs: number;
  /** Wait after a rate-limit answer (no attempt spent). */
  rateLimitedMs: number;
  /** Items unsent this long after entry become errored (COHORT_SYNC_RETRY_WINDOW). */
  retryWindowMs: number;
}

export const defaultRetryPolicy = (retryWindowMs: number): RetryPolicy => ({ baseMs: 1_000, capMs: 5 * 60_000, rateLimitedMs: 1_000, retryWindowMs });

/** Backoff before attempt `failedAttempts + 1`: base·2^(n−1), capped, times a jitter in [0.5, 1.5). */
export function backoffMs(policy: RetryPolicy, failedAttempts: number, random: () => number = Math.random): number {
  const exp = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, failedAttempts - 1));
  return Math.round(exp * (0.5 + random()));
}
