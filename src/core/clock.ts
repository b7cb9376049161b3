/**
 * Time as Cohort sees it: epoch milliseconds from an injected clock, never `Date.now()` inside logic,
 * so that tests can move 13 hours in a millisecond (spec Guidance: "a clock that tests can move").
 */
export interface Clock {
  now(): number;
}

export const systemClock = (): Clock => ({ now: () => Date.now() });

export interface FakeClock extends Clock {
  advance(ms: number): void;
  set(epochMs: number): void;
}

/** A clock that only moves when told to. `start` is epoch ms or an ISO-8601 string. */
export function fakeClock(start: number | string = '2026-01-01T00:00:00Z'): FakeClock {
  let t = typeof start === 'number' ? start : Date.parse(start);
  if (!Number.isFinite(t)) throw new RangeError(`fakeClock: bad start ${String(start)}`);
  return {
    now: () => t,
    advance: (ms) => {
      t += ms;
    },
    set: (epochMs) => {
      t = epochMs;
    },
  };
}

/** The start of the minute `t` falls in: the bucket of the per-minute metric series. */
export const minuteOf = (t: number): number => Math.floor(t / 60_000) * 60_000;
