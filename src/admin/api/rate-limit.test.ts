import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock.js';
import { ValidationError } from '../../core/errors.js';
import { TokenBucketLimiter } from './rate-limit.js';

describe('TokenBucketLimiter', () => {
  it('allows a burst, then the sustained rate, per key', async () => {
    const clock = new ManualClock();
    const limiter = new TokenBucketLimiter({ perSecond: 4, burst: 3 }, clock);
    expect([1, 2, 3].map(() => limiter.take('a').ok)).toEqual([true, true, true]);
    expect(limiter.take('a')).toEqual({ ok: false, retryAfterMs: 250 });
    expect(limiter.take('b').ok).toBe(true);
    await clock.advance(249);
    expect(limiter.take('a').ok).toBe(false);
    await clock.advance(1);
    expect(limiter.take('a').ok).toBe(true);
    expect(limiter.take('a').ok).toBe(false);
    // a long pause refills only up to the burst
    await clock.advance(60_000);
    expect([1, 2, 3, 4].map(() => limiter.take('a').ok)).toEqual([true, true, true, false]);
  });

  it('computes Retry-After from the missing fraction of a token', async () => {
    const clock = new ManualClock();
    const limiter = new TokenBucketLimiter({ perSecond: 0.5, burst: 1 }, clock);
    expect(limiter.take('k').ok).toBe(true);
    expect(limiter.take('k')).toEqual({ ok: false, retryAfterMs: 2_000 });
    await clock.advance(1_500);
    expect(limiter.take('k')).toEqual({ ok: false, retryAfterMs: 500 });
  });

  it('refuses nonsense settings', () => {
    const clock = new ManualClock();
    expect(() => new TokenBucketLimiter({ perSecond: 0, burst: 1 }, clock)).toThrow(ValidationError);
    expect(() => new TokenBucketLimiter({ perSecond: 1, burst: 0.5 }, clock)).toThrow(ValidationError);
  });
});
