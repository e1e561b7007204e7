import { describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.js';
import { DocketError } from '../core/errors.js';
import { capturedLog, linesOf, unreachable } from './test-support/outage-fixture.js';
import { isTransientStoreError, OutageReporter } from './outage-reporter.js';

function setup(options: { random?: () => number; maxBackoffMs?: number; settleMs?: number } = {}) {
  const clock = new ManualClock(0);
  const { logger, lines } = capturedLog();
  const reporter = new OutageReporter({ component: 'worker', logger, clock, random: options.random ?? (() => 1), ...options });
  return { clock, lines, reporter };
}

describe('isTransientStoreError', () => {
  it('is true only for STORE_ERROR with details.transient', () => {
    expect(isTransientStoreError(unreachable('claimJobs'))).toBe(true);
    expect(isTransientStoreError(new DocketError('STORE_ERROR', 'bad query', { transient: false }))).toBe(false);
    expect(isTransientStoreError(new DocketError('STORE_ERROR', 'sqlite'))).toBe(false);
    expect(isTransientStoreError(new DocketError('STORE_CLOSED', 'closed', { transient: true }))).toBe(false);
    expect(isTransientStoreError(new Error('ECONNREFUSED'))).toBe(false);
    expect(isTransientStoreError(null)).toBe(false);
    // Another copy of docket: same code and details, another class.
    expect(isTransientStoreError({ code: 'STORE_ERROR', details: { transient: true } })).toBe(true);
  });
});

describe('OutageReporter', () => {
  it('an outage of N failures: one warn at its start, debug while it lasts, one info when the store answers', async () => {
    const { clock, lines, reporter } = setup();
    for (let i = 0; i < 7; i++) {
      reporter.failed(i % 2 ? 'extendLeases' : 'claimJobs', unreachable('x'), 100);
      expect(reporter.down).toBe(true);
      await clock.advance(300);
    }
    expect(linesOf(lines, 'worker', 'warn')).toHaveLength(1);
    expect(linesOf(lines, 'worker', 'warn')[0]).toMatchObject({ operation: 'claimJobs', msg: expect.stringMatching(/^worker: store unreachable \(claimJobs failed\)/) });
    expect(linesOf(lines, 'worker', 'debug')).toHaveLength(6);
    expect(linesOf(lines, 'worker', 'info')).toHaveLength(0);

    reporter.succeeded();
    reporter.succeeded();
    expect(reporter.down).toBe(false);
    const info = linesOf(lines, 'worker', 'info');
    expect(info).toHaveLength(1);
    expect(info[0]).toMatchObject({ failedCalls: 7, outageMs: 2_100, msg: 'worker: store reachable again after 2100 ms (7 failed calls)' });
    expect(linesOf(lines, 'worker', 'error')).toHaveLength(0);

    // The next outage is reported again, once.
    await clock.advance(10_000);
    reporter.failed('claimJobs', unreachable('x'), 100);
    reporter.failed('claimJobs', unreachable('x'), 100);
    reporter.succeeded();
    expect(linesOf(lines, 'worker', 'warn')).toHaveLength(2);
    expect(linesOf(lines, 'worker', 'info')).toHaveLength(2);
  });

  it('backs off exponentially from the base up to the cap, jittered by half; a success resets it', () => {
    let r = 1;
    const { reporter } = setup({ random: () => r, maxBackoffMs: 2_000 });
    const delays = Array.from({ length: 7 }, () => reporter.failed('claimJobs', unreachable('x'), 100));
    expect(delays).toEqual([100, 200, 400, 800, 1_600, 2_000, 2_000]);
    expect(reporter.waitMs()).toBe(2_000);
    r = 0;
    expect(reporter.failed('claimJobs', unreachable('x'), 100)).toBe(1_000);
    reporter.succeeded();
    expect(reporter.waitMs()).toBe(0);
    expect(reporter.failed('claimJobs', unreachable('x'), 100)).toBe(50);
  });

  it('a base above the cap is the cap (a component with a long interval never retries more slowly than it polls)', () => {
    const { reporter } = setup({ maxBackoffMs: 1_000 });
    expect(reporter.failed('prune', unreachable('x'), 60_000)).toBe(60_000);
    expect(reporter.failed('prune', unreachable('x'), 60_000)).toBe(60_000);
  });

  it('waitMs counts down on the clock', async () => {
    const { clock, reporter } = setup();
    reporter.failed('rescue', unreachable('x'), 1_000);
    expect(reporter.waitMs()).toBe(1_000);
    await clock.advance(400);
    expect(reporter.waitMs()).toBe(600);
    await clock.advance(1_000);
    expect(reporter.waitMs()).toBe(0);
  });

  it('a failure that is not transient is logged at error every time, backs off, and is no outage', () => {
    const { lines, reporter } = setup();
    const bug = new DocketError('STORE_ERROR', 'syntax error at or near', { transient: false });
    expect(reporter.failed('claimJobs', bug, 100)).toBe(100);
    expect(reporter.failed('claimJobs', bug, 100)).toBe(200);
    expect(reporter.down).toBe(false);
    expect(linesOf(lines, 'worker', 'error').map((l) => l.msg)).toEqual(['worker: claimJobs failed', 'worker: claimJobs failed']);
    reporter.succeeded();
    expect(lines.filter((l) => l.level !== 50)).toEqual([]);
  });

  it('a transient failure just after the store came back is the old outage’s tail, not a new one', async () => {
    const { clock, lines, reporter } = setup({ settleMs: 1_000 });
    reporter.failed('claimJobs', unreachable('x'), 100);
    await clock.advance(500);
    reporter.succeeded();
    await clock.advance(200);
    reporter.failed('extendLeases', unreachable('x'), 100); // set off before the recovery
    expect(reporter.down).toBe(false);
    expect(linesOf(lines, 'worker', 'warn')).toHaveLength(1);
    reporter.succeeded();
    expect(linesOf(lines, 'worker', 'info')).toHaveLength(1);
    // Past the settle time, a failure is a new outage again.
    await clock.advance(1_000);
    reporter.failed('claimJobs', unreachable('x'), 100);
    expect(reporter.down).toBe(true);
    expect(linesOf(lines, 'worker', 'warn')).toHaveLength(2);
  });

  it('logs nothing while all is well', () => {
    const { lines, reporter } = setup();
    for (let i = 0; i < 5; i++) reporter.succeeded();
    expect(lines).toEqual([]);
    expect(reporter.waitMs()).toBe(0);
  });
});
