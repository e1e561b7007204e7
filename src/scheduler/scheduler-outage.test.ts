import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.js';
import type { Docket } from '../docket.js';
import type { DocketEvents } from '../runtime/events.js';
import { capturedLog, flakyStore, linesOf, runFor } from '../runtime/test-support/outage-fixture.js';
import { createMemoryStore, createTestDocket } from '../testing/test-docket.js';
import { SCHEDULER_RETRY_MIN_MS } from './scheduler.js';

const dockets: Docket[] = [];
afterEach(async () => {
  for (const d of dockets.splice(0)) await d.close({ graceMs: 0 });
});

describe('Scheduler while the store is unreachable', () => {
  it('fails N times: backs off from 250 ms, warns once, says once when the store is back, and enqueues the fire that came due meanwhile', async () => {
    const clock = new ManualClock(Date.parse('2026-01-01T00:00:30Z'));
    const inner = createMemoryStore({ clock });
    const flaky = flakyStore(inner, clock);
    const { logger, lines } = capturedLog();
    const docket = createTestDocket({ clock, store: flaky.store, logger, worker: { enabled: false }, maintenance: { enabled: false } });
    dockets.push(docket);
    docket.defineJob('tick', { handler: async () => null });
    const errors: Array<DocketEvents['scheduler:error']> = [];
    docket.on('scheduler:error', (e) => errors.push(e));
    await docket.schedule('minutely', { every: '1m' }, { job: 'tick' });
    await docket.start();
    await runFor(clock, 1_000, 50);

    // Down from just before the 00:01:00 fire.
    await clock.set(Date.parse('2026-01-01T00:00:59.900Z'));
    flaky.fail(5, ['listDueSchedules', 'claimFire']);
    await runFor(clock, 30_000, 50);

    const failedAt = flaky.calls.filter((c) => c.failed).map((c) => c.at);
    expect(failedAt).toHaveLength(5);
    const gaps = failedAt.slice(1).map((at, i) => at - failedAt[i]!);
    gaps.forEach((gap, i) => {
      expect(gap).toBeGreaterThanOrEqual((SCHEDULER_RETRY_MIN_MS * 2 ** i) / 2);
      expect(gap).toBeLessThanOrEqual(SCHEDULER_RETRY_MIN_MS * 2 ** i + 50);
    });
    expect(errors).toHaveLength(5);
    expect(linesOf(lines, 'scheduler', 'warn')).toHaveLength(1);
    expect(linesOf(lines, 'scheduler', 'info')).toHaveLength(1);
    expect(linesOf(lines, 'scheduler', 'info')[0]).toMatchObject({ failedCalls: 5 });
    expect(linesOf(lines, 'scheduler', 'error')).toEqual([]);

    // The fire that came due during the outage is enqueued once, late (within the misfire grace).
    const jobs = (await inner.listJobs({ scheduleName: 'minutely', order: 'asc', limit: 10 })).jobs;
    expect(jobs.map((j) => j.fireTime!.toISOString())).toEqual(['2026-01-01T00:01:00.000Z']);
    expect(jobs[0]!.createdAt.getTime()).toBeGreaterThan(failedAt.at(-1)!);
    expect(docket.scheduler.running).toBe(true);

    // And it keeps firing on time afterwards.
    await clock.set(Date.parse('2026-01-01T00:02:00.050Z'));
    await docket.scheduler.idle();
    const after = (await inner.listJobs({ scheduleName: 'minutely', order: 'asc', limit: 10 })).jobs;
    expect(after.map((j) => j.fireTime!.toISOString())).toEqual(['2026-01-01T00:01:00.000Z', '2026-01-01T00:02:00.000Z']);
    expect(linesOf(lines, 'scheduler', 'warn')).toHaveLength(1);
  });
});
