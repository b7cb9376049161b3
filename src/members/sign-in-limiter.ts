/**
 * Sign-in attempts, rate-limited in memory (issue 17): at most 5 failed attempts per 15 minutes per
 * email and per client address; beyond, sign-in answers 429 until the window that holds them has
 * passed. In memory, per process: a restart forgets, and several API processes each count on their
 * own (the limit is then 5 per process) — acceptable for a login form guarded by a slow KDF.
 */
import type { Clock } from '../core/clock.ts';

export const SIGN_IN_MAX_FAILURES = 5;
export const SIGN_IN_WINDOW_MS = 15 * 60_000;
/** Bounds memory under a spray of addresses or emails: past this many keys, expired ones go, then the oldest. */
const MAX_KEYS = 50_000;

export interface SignInLimiter {
  /** Milliseconds until `keys` may try again, or 0 when none of them is blocked. */
  retryAfter(keys: readonly string[]): number;
  failed(keys: readonly string[]): void;
  succeeded(keys: readonly string[]): void;
}

export function signInLimiter(clock: Clock, o: { max?: number; windowMs?: number } = {}): SignInLimiter {
  const max = o.max ?? SIGN_IN_MAX_FAILURES;
  const windowMs = o.windowMs ?? SIGN_IN_WINDOW_MS;
  /** key → failure times within the window, oldest first. */
  const failures = new Map<string, number[]>();
  const recent = (key: string, now: number): number[] => {
    const times = (failures.get(key) ?? []).filter((t) => t > now - windowMs);
    if (times.length === 0) failures.delete(key);
    else failures.set(key, times);
    return times;
  };
  const prune = (now: number) => {
    for (const key of failures.keys()) recent(key, now);
    for (const key of failures.keys()) {
      if (failures.size <= MAX_KEYS) break;
      failures.delete(key);
    }
  };
  return {
    retryAfter(keys) {
      const now = clock.now();
      let wait = 0;
      for (const key of keys) {
        const times = recent(key, now);
        if (times.length >= max) wait = Math.max(wait, times[times.length - max]! + windowMs - now);
      }
      return wait;
    },
    failed(keys) {
      const now = clock.now();
      for (const key of keys) failures.set(key, [...recent(key, now), now]);
      if (failures.size > MAX_KEYS) prune(now);
    },
    succeeded(keys) {
      for (const key of keys) failures.delete(key);
    },
  };
}
