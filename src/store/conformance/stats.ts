import { expect } from 'vitest';
import type { JobRecord } from '../../core/job.js';
import type { JobStats, JobStatsParams, Store } from '../store.js';
import type { Define } from './harness.js';
import { claim, enqueueMany, enqueueOne, expectCode, failure, QUEUE, runToOutcome, settle, sleep } from './helpers.js';

const HOUR = 3_600_000;

function stats(store: Store, params: JobStatsParams): Promise<JobStats> {
  return store.jobStats(params);
}

/** Nearest-rank p95 of run times as the store recorded them. */
function expected(jobs: JobRecord[]): { mean: number; p95: number } {
  const ms = jobs.map((j) => j.finishedAt!.getTime() - j.startedAt!.getTime()).sort((a, b) => a - b);
  return { mean: ms.reduce((a, b) => a + b, 0) / ms.length, p95: ms[Math.ceil(0.95 * ms.length) - 1]! };
}

export function statsTests(test: Define): void {
  test('counts finished jobs by outcome in each window ending now', async (store) => {
    await runToOutcome(store, { kind: 'complete', resultJson: null });
    await runToOutcome(store, { kind: 'fail', failure: failure() });
    await sleep(300);
    await runToOutcome(store, { kind: 'complete', resultJson: null });
    await runToOutcome(store, { kind: 'complete', resultJson: null }, { queue: 'other' });
    const cancelled = await enqueueOne(store);
    await store.cancelJob({ jobId: cancelled.id, reason: 'test' });
    await enqueueOne(store); // waiting: never counted
    const all = (await store.listJobs({ limit: 10, order: 'asc' })).jobs;
    // a window reaching half-way into the 300 ms gap holds only the later jobs
    const now = (await store.now()).getTime();
    const gapStart = all[1]!.finishedAt!.getTime();
    const gapEnd = all[2]!.finishedAt!.getTime();
    const recent = now - Math.floor((gapStart + gapEnd) / 2);

    const s = await stats(store, { windowsMs: [recent, HOUR], runTimeWindowMs: HOUR });
    expect(s.at.getTime()).toBeGreaterThanOrEqual(now);
    expect(s.windows).toEqual([
      { windowMs: recent, completed: 2, failed: 0, cancelled: 1 },
      { windowMs: HOUR, completed: 3, failed: 1, cancelled: 1 },
    ]);
    const one = await stats(store, { windowsMs: [HOUR], runTimeWindowMs: HOUR, queue: 'other' });
    expect(one.windows).toEqual([{ windowMs: HOUR, completed: 1, failed: 0, cancelled: 0 }]);
    expect(one.byName.map((n) => n.completed)).toEqual([1]);
  });

  test('mean and nearest-rank p95 run time per job name, over completed and failed jobs', async (store) => {
    // 20 jobs claimed together and finished one by one: increasing run times
    const jobs = await enqueueMany(store, 20, () => ({ name: 'slow' }));
    const claimed = await claim(store, { names: ['slow'], limit: 20 });
    expect(claimed).toHaveLength(20);
    for (const [i, c] of claimed.entries()) {
      await sleep(2);
      const outcome = i % 5 === 0 ? { kind: 'fail' as const, failure: failure() } : { kind: 'complete' as const, resultJson: null };
      expect(await settle(store, c, outcome)).toBe('applied');
    }
    await runToOutcome(store, { kind: 'complete', resultJson: null }, { name: 'fast' });
    const cancelled = await enqueueOne(store, { name: 'never-ran' });
    await store.cancelJob({ jobId: cancelled.id, reason: 'test' });

    const s = await stats(store, { windowsMs: [HOUR], runTimeWindowMs: HOUR });
    expect(s.byName.map((n) => n.name)).toEqual(['fast', 'slow']);
    const slow = s.byName[1]!;
    const want = expected(await store.getJobs({ jobIds: jobs.map((j) => j.id) }));
    expect(slow).toMatchObject({ name: 'slow', completed: 16, failed: 4, p95RunMs: want.p95 });
    expect(slow.meanRunMs).toBeCloseTo(want.mean, 6);
    expect(s.byName[0]).toMatchObject({ name: 'fast', completed: 1, failed: 0 });
  });

  test('run-time statistics only cover jobs finished within runTimeWindowMs', async (store) => {
    await runToOutcome(store, { kind: 'complete', resultJson: null });
    await sleep(200);
    const s = await stats(store, { windowsMs: [HOUR], runTimeWindowMs: 100 });
    expect(s.byName).toEqual([]);
    expect(s.windows[0]!.completed).toBe(1);
  });

  test('an empty store answers zeros and no names', async (store) => {
    const s = await stats(store, { windowsMs: [60_000, HOUR], runTimeWindowMs: HOUR, queue: QUEUE });
    expect(s.windows).toEqual([
      { windowMs: 60_000, completed: 0, failed: 0, cancelled: 0 },
      { windowMs: HOUR, completed: 0, failed: 0, cancelled: 0 },
    ]);
    expect(s.byName).toEqual([]);
  });

  test('refuses bad parameters with typed errors', async (store) => {
    await expectCode(stats(store, { windowsMs: [], runTimeWindowMs: HOUR }), 'INVALID_OPTION');
    await expectCode(stats(store, { windowsMs: [-1], runTimeWindowMs: HOUR }), 'INVALID_OPTION');
    await expectCode(stats(store, { windowsMs: [HOUR], runTimeWindowMs: 0 }), 'INVALID_OPTION');
    await expectCode(stats(store, { windowsMs: [HOUR], runTimeWindowMs: HOUR, queue: 'no spaces' }), 'INVALID_NAME');
  });
}
