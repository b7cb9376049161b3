import { describe, expect, it } from 'vitest';
import { SlidingWindowLimiter } from './limiter.ts';
import { backoffMs, defaultRetryPolicy } from './retry.ts';

describe('SlidingWindowLimiter', () => {
  it('allows `limit` requests in any window, then says how long to wait', () => {
    const l = new SlidingWindowLimiter({ limit: 50, windowMs: 1_100 });
    for (let i = 0; i < 50; i++) {
      expect(l.waitMs(i * 10)).toBe(0);
      l.take(i * 10);
    }
    expect(l.remaining(495)).toBe(0);
    // The first request (t=0) leaves the window at t=1100; the 51st may go just after.
    expect(l.waitMs(500)).toBe(601);
    expect(l.waitMs(1_101)).toBe(0);
  });

  it('never lets more than `limit` requests into any window over a long random run', () => {
    const l = new SlidingWindowLimiter({ limit: 50, windowMs: 1_000 });
    const sent: number[] = [];
    let t = 0;
    for (let i = 0; i < 5_000; i++) {
      t += Math.floor(Math.random() * 15);
      if (l.waitMs(t) === 0) {
        l.take(t);
        sent.push(t);
      }
    }
    for (let i = 50; i < sent.length; i++) expect(sent[i]! - sent[i - 50]!).toBeGreaterThanOrEqual(1_000);
  });

  it('halves the budget for a while after a rate-limit answer', () => {
    const l = new SlidingWindowLimiter({ limit: 50, windowMs: 1_000, penaltyMs: 5_000 });
    l.penalize(0);
    expect(l.limitAt(100)).toBe(25);
    expect(l.limitAt(5_001)).toBe(50);
  });
});

describe('backoff', () => {
  const p = defaultRetryPolicy(13 * 3_600_000);
  it.each([
    [1, 0.5, 1_000],
    [2, 0.5, 2_000],
    [5, 0.5, 16_000],
    [20, 0.5, 300_000],
    [1, 0, 500],
    [1, 0.999, 1_499],
  ])('attempt %i with jitter %d → %i ms (capped at 5 minutes)', (attempt, r, ms) => {
    expect(backoffMs(p, attempt, () => r)).toBe(ms);
  });
});
