import { expect } from 'vitest';
import type { JobRecord } from '../../core/job.js';
import type { JobTimeline, JobTimelineParams, Store } from '../store.js';
import type { Define } from './harness.js';
import { enqueueOne, expectCode, failure, QUEUE, runToOutcome, sleep } from './helpers.js';

/** `jobTimeline` is optional in the interface only so stores can add it one at a time; every store must have it. */
function timeline(store: Store, params: JobTimelineParams): Promise<JobTimeline> {
  expect(store.jobTimeline, `store "${store.kind}" does not implement jobTimeline (used by the dashboard's charts)`).toBeTypeOf('function');
  return store.jobTimeline!(params);
}

/** The buckets a correct store returns for these jobs, computed from their stored finishedAt and the returned `at`. */
function expected(jobs: JobRecord[], t: JobTimeline, count: number): JobTimeline['buckets'] {
  const start = t.at.getTime() - t.bucketMs * count;
  const buckets = Array.from({ length: count }, (_, i) => ({ start: new Date(start + i * t.bucketMs), completed: 0, failed: 0, cancelled: 0 }));
  for (const j of jobs) {
    const at = j.finishedAt!.getTime();
    if (at < start || (j.state !== 'completed' && j.state !== 'failed' && j.state !== 'cancelled')) continue;
    buckets[Math.min(Math.floor((at - start) / t.bucketMs), count - 1)]![j.state] += 1;
  }
  return buckets;
}

export function timelineTests(test: Define): void {
  test('counts finished jobs by final state in buckets ending now; older jobs and unfinished ones are left out', async (store) => {
    const old = await runToOutcome(store, { kind: 'complete', resultJson: null });
    await sleep(800);
    const recent = [
      await runToOutcome(store, { kind: 'complete', resultJson: null }),
      await runToOutcome(store, { kind: 'fail', failure: failure() }),
      await runToOutcome(store, { kind: 'complete', resultJson: null }, { queue: 'other' }),
    ];
    await sleep(60);
    recent.push(await runToOutcome(store, { kind: 'complete', resultJson: null }));
    const cancelled = await enqueueOne(store);
    await store.cancelJob({ jobId: cancelled.id, reason: 'test' });
    await enqueueOne(store); // waiting: never counted

    const t = await timeline(store, { bucketMs: 100, buckets: 5 });
    const now = (await store.now()).getTime();
    expect(t.at.getTime()).toBeLessThanOrEqual(now);
    expect(t.bucketMs).toBe(100);
    expect(t.buckets).toHaveLength(5);
    const jobs = await store.getJobs({ jobIds: [old.id, cancelled.id, ...recent.map((j) => j.id)] });
    expect(t.buckets).toEqual(expected(jobs, t, 5));
    // the 500 ms span cannot reach the job finished 800 ms before the others
    const total = t.buckets.reduce((n, b) => n + b.completed + b.failed + b.cancelled, 0);
    expect(total).toBe(5);
    expect(t.buckets.reduce((n, b) => n + b.failed, 0)).toBe(1);
    expect(t.buckets.reduce((n, b) => n + b.cancelled, 0)).toBe(1);

    const one = await timeline(store, { bucketMs: 60_000, buckets: 60, queue: 'other' });
    expect(one.buckets.at(-1)).toMatchObject({ completed: 1, failed: 0, cancelled: 0 });
    expect(one.buckets.slice(0, -1).every((b) => b.completed + b.failed + b.cancelled === 0)).toBe(true);
    expect(one.buckets[0]!.start.getTime()).toBe(one.at.getTime() - 3_600_000);
  });

  test('an empty store answers every bucket with zeros', async (store) => {
    const t = await timeline(store, { bucketMs: 60_000, buckets: 3, queue: QUEUE });
    expect(t.buckets.map((b) => [b.start.getTime(), b.completed, b.failed, b.cancelled])).toEqual([
      [t.at.getTime() - 180_000, 0, 0, 0],
      [t.at.getTime() - 120_000, 0, 0, 0],
      [t.at.getTime() - 60_000, 0, 0, 0],
    ]);
  });

  test('refuses bad parameters with typed errors', async (store) => {
    await expectCode(timeline(store, { bucketMs: 0, buckets: 10 }), 'INVALID_OPTION');
    await expectCode(timeline(store, { bucketMs: 1.5, buckets: 10 }), 'INVALID_OPTION');
    await expectCode(timeline(store, { bucketMs: 60_000, buckets: 0 }), 'INVALID_OPTION');
    await expectCode(timeline(store, { bucketMs: 60_000, buckets: 100_000 }), 'INVALID_OPTION');
    await expectCode(timeline(store, { bucketMs: 86_400_000, buckets: 1_000 }), 'INVALID_OPTION');
    await expectCode(timeline(store, { bucketMs: 60_000, buckets: 10, queue: 'no spaces' }), 'INVALID_NAME');
  });
}
