import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.js';
import type { Docket } from '../docket.js';
import type { DocketEvents } from '../runtime/events.js';
import { capturedLog, flakyStore, linesOf, runFor } from '../runtime/test-support/outage-fixture.js';
import { createMemoryStore, createTestDocket } from '../testing/test-docket.js';

const dockets: Docket[] = [];
afterEach(async () => {
  for (const d of dockets.splice(0)) await d.close({ graceMs: 0 });
});

const POLL_MS = 100;

function setup() {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const inner = createMemoryStore({ clock });
  const flaky = flakyStore(inner, clock);
  const { logger, lines } = capturedLog();
  const docket = createTestDocket({ clock, store: flaky.store, logger, worker: { pollIntervalMs: POLL_MS }, maintenance: { enabled: false }, scheduler: { enabled: false } });
  dockets.push(docket);
  const ran: unknown[] = [];
  const job = docket.defineJob('j', { handler: async (data: unknown) => void ran.push(data) });
  const errors: Array<DocketEvents['worker:error']> = [];
  docket.on('worker:error', (e) => errors.push(e));
  return { clock, inner, flaky, docket, job, ran, lines, errors };
}

describe('Worker while the store is unreachable', () => {
  it('claims failing N times: backs off between tries, warns once, says once when the store is back, and runs jobs again by itself', async () => {
    const t = setup();
    await t.docket.start();
    // A job due in the middle of the outage, enqueued before it (no wake-up reaches the worker then: it must poll).
    await t.job.enqueue('due-during-outage', { delayMs: 2_000 });
    await runFor(t.clock, 200);
    t.flaky.fail(6, ['claimJobs', 'applyAndClaim']);
    await runFor(t.clock, 15_000);

    const failedAt = t.flaky.calls.filter((c) => c.failed).map((c) => c.at);
    expect(failedAt).toHaveLength(6);
    // The n-th failure in a row waits POLL_MS·2^(n-1), half of it jittered, before the next try (10 ms clock steps).
    const gaps = failedAt.slice(1).map((at, i) => at - failedAt[i]!);
    gaps.forEach((gap, i) => {
      expect(gap).toBeGreaterThanOrEqual((POLL_MS * 2 ** i) / 2);
      expect(gap).toBeLessThanOrEqual(POLL_MS * 2 ** i + 20);
    });
    // Fixed polling would have tried about (sum of gaps / POLL_MS) times.
    const span = failedAt.at(-1)! - failedAt[0]!;
    expect(span / POLL_MS).toBeGreaterThan(failedAt.length);

    expect(t.errors.map((e) => e.operation)).toEqual(Array(6).fill('claimJobs'));
    expect(linesOf(t.lines, 'worker', 'warn')).toHaveLength(1);
    expect(linesOf(t.lines, 'worker', 'warn')[0]!.msg).toMatch(/^worker: store unreachable \(claimJobs failed\)/);
    expect(linesOf(t.lines, 'worker', 'debug')).toHaveLength(5);
    expect(linesOf(t.lines, 'worker', 'error')).toEqual([]);
    const back = linesOf(t.lines, 'worker', 'info');
    expect(back).toHaveLength(1);
    expect(back[0]).toMatchObject({ failedCalls: 6 });

    expect(t.ran).toEqual(['due-during-outage']);
    expect(t.docket.worker.running).toBe(true);
    // And it keeps working normally afterwards.
    const later = await t.job.enqueue('after');
    await runFor(t.clock, 500);
    expect(await t.docket.getJob(later.id)).toMatchObject({ state: 'completed' });
    expect(linesOf(t.lines, 'worker', 'warn')).toHaveLength(1);
  });

  it('outcomes that cannot be written while the store is down are written once it is back; one warning for the whole outage', async () => {
    const t = setup();
    await t.docket.start();
    await runFor(t.clock, 100);
    // Everything the worker does with jobs fails for a while: writes, claims, lease renewals.
    t.flaky.fail(8, ['applyTransitions', 'applyAndClaim', 'claimJobs', 'extendLeases']);
    const jobs = await Promise.all(['a', 'b', 'c'].map((d) => t.job.enqueue(d)));
    await runFor(t.clock, 20_000);

    expect(t.flaky.remaining).toBe(0);
    expect(t.errors.length).toBe(8);
    expect(linesOf(t.lines, 'worker', 'warn')).toHaveLength(1);
    expect(linesOf(t.lines, 'worker', 'info')).toHaveLength(1);
    expect(linesOf(t.lines, 'worker', 'error')).toEqual([]);
    for (const j of jobs) expect(await t.docket.getJob(j.id)).toMatchObject({ state: 'completed', attempt: 1 });
    expect([...t.ran].sort()).toEqual(['a', 'b', 'c']);
  });

  it('a failure that is not an outage (waiting will not help) is still logged at error each time', async () => {
    const t = setup();
    await t.docket.start();
    await runFor(t.clock, 100);
    t.flaky.fail(2, ['claimJobs', 'applyAndClaim'], () => new Error('relation "jobs" does not exist'));
    await runFor(t.clock, 2_000);
    expect(linesOf(t.lines, 'worker', 'error').map((l) => l.msg)).toEqual(['worker: claimJobs failed', 'worker: claimJobs failed']);
    expect(linesOf(t.lines, 'worker', 'warn')).toEqual([]);
  });
});
