import { describe, expect, it } from 'vitest';
import { fakeClock } from '../core/clock.ts';
import { signInLimiter } from './sign-in-limiter.ts';

describe('members: sign-in limiter', () => {
  it('blocks a key after 5 failures in 15 minutes, until the oldest of them leaves the window', () => {
    const clock = fakeClock();
    const l = signInLimiter(clock);
    for (let i = 0; i < 4; i++) {
      l.failed(['email:a', 'ip:1']);
      clock.advance(60_000);
    }
    expect(l.retryAfter(['email:a', 'ip:1'])).toBe(0);
    l.failed(['email:a', 'ip:1']);
    // The first failure was at 0; it leaves the window at 15 minutes; we are at 4 minutes.
    expect(l.retryAfter(['email:a'])).toBe(11 * 60_000);
    expect(l.retryAfter(['email:b', 'ip:1'])).toBe(11 * 60_000);
    expect(l.retryAfter(['email:b', 'ip:2'])).toBe(0);
    clock.advance(11 * 60_000);
    expect(l.retryAfter(['email:a', 'ip:1'])).toBe(0);
  });

  it('forgets a key that signed in', () => {
    const clock = fakeClock();
    const l = signInLimiter(clock, { max: 2 });
    l.failed(['email:a']);
    l.succeeded(['email:a']);
    l.failed(['email:a']);
    expect(l.retryAfter(['email:a'])).toBe(0);
    l.failed(['email:a']);
    expect(l.retryAfter(['email:a'])).toBeGreaterThan(0);
  });
});
