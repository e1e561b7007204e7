import { describe, expect, it } from 'vitest';
import { windowRates } from './throughput.js';

describe('windowRates', () => {
  it('counts completed and failed per minute; cancelled jobs are neither throughput nor failure', () => {
    expect(windowRates({ windowMs: 300_000, completed: 40, failed: 10, cancelled: 7 })).toEqual({
      windowMs: 300_000,
      completed: 40,
      failed: 10,
      cancelled: 7,
      throughputPerMinute: 10,
      failureRate: 0.2,
    });
  });
  it('has no failure rate when nothing finished', () => {
    expect(windowRates({ windowMs: 60_000, completed: 0, failed: 0, cancelled: 3 }).failureRate).toBeNull();
  });
});
