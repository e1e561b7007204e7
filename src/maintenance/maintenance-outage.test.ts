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

describe('Maintenance while the store is unreachable', () => {
  it('rescuer and pruner failing N times: their store calls back off, one warning for both, one line when the store is back', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const flaky = flakyStore(createMemoryStore({ clock }), clock);
    const { logger, lines } = capturedLog();
    const RESCUE_MS = 100;
    const docket = createTestDocket({
      clock,
      store: flaky.store,
      logger,
      worker: { enabled: false },
      scheduler: { enabled: false },
      maintenance: { rescueIntervalMs: RESCUE_MS, pruneIntervalMs: 1_000 },
    });
    dockets.push(docket);
    const errors: Array<DocketEvents['maintenance:error']> = [];
    docket.on('maintenance:error', (e) => errors.push(e));
    await docket.start();
    await runFor(clock, 500);
    flaky.fail(6, ['rescueExpired', 'listQueues', 'pruneJobs']);
    const from = clock.now();
    await runFor(clock, 10_000);

    const calls = flaky.calls.filter((c) => c.at >= from);
    const failedAt = calls.filter((c) => c.failed).map((c) => c.at);
    expect(failedAt).toHaveLength(6);
    // Both share one backoff: whichever ticks once it has passed makes the next try.
    expect(errors.map((e) => e.task)).toContain('rescue');
    expect(errors).toHaveLength(6);
    // The rescuer ticks every 100 ms, but during the outage its store calls are spaced by the growing backoff.
    const lastGap = failedAt.at(-1)! - failedAt.at(-2)!;
    expect(lastGap).toBeGreaterThanOrEqual((RESCUE_MS * 2 ** 4) / 2);
    const rescuesDuringOutage = calls.filter((c) => c.method === 'rescueExpired' && c.at <= failedAt.at(-1)!).length;
    expect(rescuesDuringOutage).toBeLessThan((failedAt.at(-1)! - from) / RESCUE_MS / 2);

    expect(linesOf(lines, 'maintenance', 'warn')).toHaveLength(1);
    expect(linesOf(lines, 'maintenance', 'info')).toHaveLength(1);
    expect(linesOf(lines, 'maintenance', 'error')).toEqual([]);
    // Back to every tick once the store answers.
    const lastFailure = failedAt.at(-1)!;
    const after = flaky.calls.filter((c) => c.method === 'rescueExpired' && c.at > lastFailure).map((c) => c.at);
    expect(after.length).toBeGreaterThan(10);
    // Every interval (timed from the end of the last run; 10 ms clock steps).
    expect(Math.max(...after.slice(2).map((at, i) => at - after[i + 1]!))).toBeLessThanOrEqual(RESCUE_MS + 10);
  });
});
