import { describe, expect, it, vi } from 'vitest';
import type { NewJob } from '../core/job.js';
import { EnqueueBatcher } from './enqueue-batcher.js';
import type { EnqueueResult } from './store.js';

// Jobs stand in as numbers: the batcher only groups, splits and routes them.
const call = (...ns: number[]) => ({ jobs: ns as unknown as NewJob[], data: ns.map((n) => n * 10) });
const result = (n: number): EnqueueResult => ({ id: String(n), created: true, job: null });
const ids = (rs: EnqueueResult[]) => rs.map((r) => Number(r.id));
const runOf = (fn: (jobs: number[], data: unknown[]) => Promise<number[]>) => vi.fn(async (jobs: NewJob[], data: unknown[]) => (await fn(jobs as unknown as number[], data)).map(result));
const tick = () => new Promise((r) => setImmediate(r));

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((res) => (resolve = res));
  return { promise, resolve };
}

describe('EnqueueBatcher', () => {
  it('groups calls made in the same tick into one run, payloads alongside, each caller getting its own results', async () => {
    const run = runOf(async (jobs) => jobs);
    const b = new EnqueueBatcher(run, { maxInFlight: 1, maxJobs: 100 });
    const results = await Promise.all([call(1), call(2, 3), call(4)].map((c) => b.submit(c)));
    expect(results.map(ids)).toEqual([[1], [2, 3], [4]]);
    expect(run).toHaveBeenCalledExactlyOnceWith([1, 2, 3, 4], [10, 20, 30, 40]);
  });

  it('collects calls made while every run slot is busy into the next run', async () => {
    const gate = deferred<void>();
    const run = runOf(async (jobs) => {
      if (run.mock.calls.length === 1) await gate.promise;
      return jobs;
    });
    const b = new EnqueueBatcher(run, { maxInFlight: 1, maxJobs: 100 });
    const first = b.submit(call(1));
    await tick();
    const later = [b.submit(call(2)), b.submit(call(3))];
    await tick();
    expect(run).toHaveBeenCalledTimes(1);
    expect(b.size).toBe(2);
    gate.resolve();
    expect((await Promise.all([first, ...later])).map(ids)).toEqual([[1], [2], [3]]);
    expect(run.mock.calls.map((c) => c[0])).toEqual([[1], [2, 3]]);
  });

  it('runs up to maxInFlight groups at once', async () => {
    const gates = [deferred<void>(), deferred<void>()];
    const run = runOf(async (jobs) => {
      await gates[run.mock.calls.length - 1]?.promise;
      return jobs;
    });
    const b = new EnqueueBatcher(run, { maxInFlight: 2, maxJobs: 100 });
    const first = b.submit(call(1));
    await tick();
    const second = b.submit(call(2));
    await tick();
    const third = b.submit(call(3));
    await tick();
    expect(run.mock.calls.map((c) => c[0])).toEqual([[1], [2]]);
    gates[0]!.resolve();
    gates[1]!.resolve();
    expect((await Promise.all([first, second, third])).map(ids)).toEqual([[1], [2], [3]]);
  });

  it('runs the calls of a failed group again one by one, so one failing call fails alone', async () => {
    const run = runOf(async (jobs) => {
      if (jobs.includes(2)) throw new Error(`bad ${jobs.join(',')}`);
      return jobs;
    });
    const b = new EnqueueBatcher(run, { maxInFlight: 1, maxJobs: 100 });
    const results = await Promise.allSettled([call(1), call(2), call(3)].map((c) => b.submit(c)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason.message).toBe('bad 2');
  });

  it('caps the jobs of one group; a larger call runs alone', async () => {
    const run = runOf(async (jobs) => jobs);
    const b = new EnqueueBatcher(run, { maxInFlight: 1, maxJobs: 3 });
    await Promise.all([call(0), call(1, 2), call(3), call(4, 5, 6, 7), call(8)].map((c) => b.submit(c)));
    expect(run.mock.calls.map((c) => c[0])).toEqual([[0, 1, 2], [3], [4, 5, 6, 7], [8]]);
  });
});
