import { describe, expect, it } from 'vitest';
import { EnqueueBatcher } from './enqueue-batcher.js';

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('EnqueueBatcher', () => {
  it('runs a lone call at once and groups calls that arrive while all slots are busy', async () => {
    const runs: Array<{ jobs: number[]; done: ReturnType<typeof deferred<number[]>> }> = [];
    const b = new EnqueueBatcher<number, number>(
      (jobs) => {
        const done = deferred<number[]>();
        runs.push({ jobs, done });
        return done.promise;
      },
      1,
      100,
    );
    const first = b.submit([1]);
    const second = b.submit([2, 3]);
    const third = b.submit([4]);
    expect(runs.map((r) => r.jobs)).toEqual([[1]]);
    runs[0]!.done.resolve([10]);
    expect(await first).toEqual([10]);
    expect(runs.map((r) => r.jobs)).toEqual([[1], [2, 3, 4]]);
    runs[1]!.done.resolve([20, 30, 40]);
    expect(await second).toEqual([20, 30]);
    expect(await third).toEqual([40]);
  });

  it('fails every grouped call when the shared statement fails', async () => {
    let n = 0;
    const gate = deferred<number[]>();
    const b = new EnqueueBatcher<number, number>(
      (jobs) => (n++ === 0 ? gate.promise : Promise.reject(new Error(`failed ${jobs.join(',')}`))),
      1,
      100,
    );
    const first = b.submit([1]);
    const a = b.submit([2]);
    const c = b.submit([3]);
    gate.resolve([1]);
    await first;
    await expect(a).rejects.toThrow('failed 2,3');
    await expect(c).rejects.toThrow('failed 2,3');
  });

  it('caps the jobs of one grouped statement', async () => {
    const seen: number[][] = [];
    const gate = deferred<number[]>();
    const b = new EnqueueBatcher<number, number>(
      (jobs) => {
        seen.push(jobs);
        return seen.length === 1 ? gate.promise : Promise.resolve(jobs);
      },
      1,
      3,
    );
    const calls = [b.submit([0]), b.submit([1, 2]), b.submit([3]), b.submit([4, 5])];
    gate.resolve([0]);
    await Promise.all(calls);
    expect(seen).toEqual([[0], [1, 2, 3], [4, 5]]);
  });
});
