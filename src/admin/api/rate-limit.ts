import type { Clock } from '../../core/clock.js';
import { ValidationError } from '../../core/errors.js';

export interface RateLimitOptions {
  /** Sustained rate: tokens added per second. */
  perSecond: number;
  /** Bucket size: how many requests may arrive at once after a quiet spell. */
  burst: number;
}

/** Enqueue through the API: 50 requests/s sustained, bursts of 100, per API key. */
export const DEFAULT_ENQUEUE_RATE_LIMIT: Readonly<RateLimitOptions> = Object.freeze({ perSecond: 50, burst: 100 });

/** Buckets beyond this are evicted oldest-first; keys are few, so this only bounds misuse. */
const MAX_BUCKETS = 10_000;

interface Bucket {
  tokens: number;
  updatedAt: number;
}

export type TakeResult = { ok: true } | { ok: false; retryAfterMs: number };

/**
 * A token bucket per caller (API key id). Time comes from a Clock so tests
 * drive it with ManualClock. In-process only: with several API processes each
 * enforces its own limit.
 */
export class TokenBucketLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly options: RateLimitOptions,
    private readonly clock: Clock,
  ) {
    if (!(options.perSecond > 0) || !Number.isFinite(options.perSecond)) {
      throw new ValidationError('INVALID_CONFIG', 'enqueueRateLimit.perSecond', 'enqueueRateLimit.perSecond must be a positive number');
    }
    if (!Number.isInteger(options.burst) || options.burst < 1) {
      throw new ValidationError('INVALID_CONFIG', 'enqueueRateLimit.burst', 'enqueueRateLimit.burst must be a positive integer');
    }
  }

  take(key: string): TakeResult {
    const now = this.clock.now();
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= MAX_BUCKETS) this.buckets.delete(this.buckets.keys().next().value!);
      bucket = { tokens: this.options.burst, updatedAt: now };
      this.buckets.set(key, bucket);
    }
    const elapsed = Math.max(0, now - bucket.updatedAt);
    bucket.tokens = Math.min(this.options.burst, bucket.tokens + (elapsed * this.options.perSecond) / 1000);
    bucket.updatedAt = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { ok: true };
    }
    const retryAfterMs = Math.ceil(((1 - bucket.tokens) * 1000) / this.options.perSecond);
    return { ok: false, retryAfterMs };
  }
}
