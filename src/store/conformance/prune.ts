import { expect } from 'vitest';
import type { JobRecord } from '../../core/job.js';
import type { Store } from '../store.js';
import type { Define } from './harness.js';
import { claim, claimJob, enqueueMany, enqueueOne, failure, QUEUE, runToOutcome, settle, sleep } from './helpers.js';

/** Completes the jobs one by one, in the given order, with distinct finish times. */
async function completeInOrder(store: Store, jobs: JobRecord[]): Promise<void> {
  const claimed = await claim(store, { queue: jobs[0]!.queue, limit: jobs.length });
  for (const job of jobs) {
    const c = claimed.find((x) => x.id === job.id)!;
    expect(await settle(store, c, { kind: 'complete', resultJson: null })).toBe('applied');
    await sleep(3);
  }
}

export function pruneTests(test: Define): void {
  test('by count: keeps the most recently finished and deletes the rest', async (store) => {
    const [a, b, c, d, e] = await enqueueMany(store, 5);
    // Finish order differs from insertion order: e, a, d, b, c.
    await completeInOrder(store, [e!, a!, d!, b!, c!]);
    expect(await store.pruneJobs({ queue: QUEUE, state: 'completed', maxAgeMs: null, maxCount: 2, limit: 100 })).toBe(3);
    const left = (await store.listJobs({ limit: 10 })).jobs.map((j) => j.id).sort();
    expect(left).toEqual([b!.id, c!.id].sort());
    expect(await store.pruneJobs({ queue: QUEUE, state: 'completed', maxAgeMs: null, maxCount: 2, limit: 100 })).toBe(0);
  });

  test('by age: deletes jobs that finished longer ago than maxAgeMs', async (store) => {
    const [old1, old2, young] = await enqueueMany(store, 3);
    await completeInOrder(store, [old1!, old2!]);
    await sleep(400);
    await completeInOrder(store, [young!]);
    const finished = await store.getJobs({ jobIds: [old2!.id, young!.id] });
    // A cutoff half-way between the old and the young finish times.
    const gap = finished[1]!.finishedAt!.getTime() - finished[0]!.finishedAt!.getTime();
    const maxAgeMs = (await store.now()).getTime() - finished[0]!.finishedAt!.getTime() - Math.floor(gap / 2);
    expect(await store.pruneJobs({ queue: QUEUE, state: 'completed', maxAgeMs, maxCount: null, limit: 100 })).toBe(2);
    expect((await store.listJobs({ limit: 10 })).jobs.map((j) => j.id)).toEqual([young!.id]);
  });

  test('age and count together delete what either rule selects', async (store) => {
    const jobs = await enqueueMany(store, 4);
    await completeInOrder(store, jobs);
    expect(await store.pruneJobs({ queue: QUEUE, state: 'completed', maxAgeMs: 3_600_000, maxCount: 3, limit: 100 })).toBe(1);
    expect(await store.pruneJobs({ queue: QUEUE, state: 'completed', maxAgeMs: 0, maxCount: 3, limit: 100 })).toBe(3);
  });

  test('only the given queue and state are pruned; unfinished jobs never', async (store) => {
    const done = await runToOutcome(store, { kind: 'complete', resultJson: null });
    const failed = await runToOutcome(store, { kind: 'fail', failure: failure() });
    const otherQueue = await runToOutcome(store, { kind: 'complete', resultJson: null }, { queue: 'other' });
    const waiting = await enqueueOne(store);
    const active = await enqueueOne(store, { queue: 'busy' });
    await claimJob(store, active);
    expect(await store.pruneJobs({ queue: QUEUE, state: 'completed', maxAgeMs: 0, maxCount: 0, limit: 100 })).toBe(1);
    expect(await store.getJob({ jobId: done.id })).toBeNull();
    const left = await store.getJobs({ jobIds: [failed.id, otherQueue.id, waiting.id, active.id] });
    expect(left.map((j) => j.state)).toEqual(['failed', 'completed', 'waiting', 'active']);
    expect(await store.pruneJobs({ queue: QUEUE, state: 'failed', maxAgeMs: null, maxCount: 0, limit: 100 })).toBe(1);
    expect(await store.pruneJobs({ queue: QUEUE, state: 'cancelled', maxAgeMs: 0, maxCount: 0, limit: 100 })).toBe(0);
  });

  test('deletes at most `limit` per call', async (store) => {
    const jobs = await enqueueMany(store, 5);
    await completeInOrder(store, jobs);
    expect(await store.pruneJobs({ queue: QUEUE, state: 'completed', maxAgeMs: null, maxCount: 0, limit: 2 })).toBe(2);
    expect(await store.pruneJobs({ queue: QUEUE, state: 'completed', maxAgeMs: null, maxCount: 0, limit: 2 })).toBe(2);
    expect(await store.pruneJobs({ queue: QUEUE, state: 'completed', maxAgeMs: null, maxCount: 0, limit: 2 })).toBe(1);
    expect((await store.listJobs({ limit: 10 })).jobs).toEqual([]);
  });

  test('with neither limit nothing is pruned', async (store) => {
    await runToOutcome(store, { kind: 'complete', resultJson: null });
    expect(await store.pruneJobs({ queue: QUEUE, state: 'completed', maxAgeMs: null, maxCount: null, limit: 100 })).toBe(0);
    expect((await store.listJobs({ limit: 10 })).jobs).toHaveLength(1);
  });
}
