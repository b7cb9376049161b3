/**
 * The mapping budget: at most `limit` requests in any sliding window of `windowMs` (spec §2.4: 50 in
 * any second per app_id). Time is monotonic milliseconds passed in, so the limiter is pure and
 * testable. The window is a little longer than TikTok's second on purpose: TikTok counts arrivals,
 * we count departures, and network jitter must never squeeze 51 requests into TikTok's second.
 * After a rate-limit answer the budget halves for a while, then recovers (AIMD).
 */
export interface LimiterOptions {
  limit: number;
  windowMs: number;
  /** How long a halving lasts after a rate-limit answer. */
  penaltyMs?: number;
}

export class SlidingWindowLimiter {
  private readonly sent: number[] = [];
  private penaltyUntil = -Infinity;
  constructor(private readonly o: LimiterOptions) {}

  /** The limit in force at `now` (halved during a penalty). */
  limitAt(now: number): number {
    return now < this.penaltyUntil ? Math.max(1, Math.floor(this.o.limit / 2)) : this.o.limit;
  }

  private prune(now: number): void {
    while (this.sent.length > 0 && this.sent[0]! <= now - this.o.windowMs) this.sent.shift();
  }

  /** Requests still allowed in the window ending at `now`. */
  remaining(now: number): number {
    this.prune(now);
    return Math.max(0, this.limitAt(now) - this.sent.length);
  }

  /** Milliseconds until one more request is allowed (0 = now). */
  waitMs(now: number): number {
    if (this.remaining(now) > 0) return 0;
    const limit = this.limitAt(now);
    // The request that must leave the window before another may go.
    const blocking = this.sent[this.sent.length - limit] ?? this.sent[0]!;
    return Math.max(1, blocking + this.o.windowMs - now + 1);
  }

  /** Records a request; call only when `remaining(now) > 0`. */
  take(now: number): void {
    this.prune(now);
    this.sent.push(now);
  }

  /** TikTok said 40100: halve the budget for a while. */
  penalize(now: number): void {
    this.penaltyUntil = now + (this.o.penaltyMs ?? 10_000);
  }
}
