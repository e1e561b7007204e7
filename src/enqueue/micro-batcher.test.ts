import { describe, expect, it, vi } from 'vitest';
import { MicroBatcher } from './micro-batcher.js';

describe('MicroBatcher', () => {
  it('groups calls made in the same tick into one run, each caller getting its own result', async () => {
    const run = vi.fn(async (items: number[]) => items.map((i) => i * 10));
    const batcher = new MicroBatcher(run);
    const results = await Promise.all([1, 2, 3].map((i) => batcher.add(i)));
    expect(results).toEqual([10, 20, 30]);
    expect(run).toHaveBeenCalledOnce();
  });

  it('collects calls made while a run is in flight into the next run', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const run = vi.fn(async (items: number[]) => {
      if (run.mock.calls.length === 1) await gate;
      return items;
    });
    const batcher = new MicroBatcher(run);
    const first = batcher.add(1);
    await new Promise((r) => setImmediate(r));
    const later = [batcher.add(2), batcher.add(3)];
    await new Promise((r) => setImmediate(r));
    expect(run).toHaveBeenCalledTimes(1);
    release();
    await expect(Promise.all([first, ...later])).resolves.toEqual([1, 2, 3]);
    expect(run.mock.calls.map((c) => c[0])).toEqual([[1], [2, 3]]);
  });

  it('retries a failed batch one item at a time, so one bad item fails alone', async () => {
    const run = vi.fn(async (items: number[]) => {
      if (items.includes(2)) throw new Error(`bad ${items.join(',')}`);
      return items;
    });
    const batcher = new MicroBatcher(run);
    const results = await Promise.allSettled([1, 2, 3].map((i) => batcher.add(i)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason.message).toBe('bad 2');
  });

  it('respects the maximum batch size', async () => {
    const run = vi.fn(async (items: number[]) => items);
    const batcher = new MicroBatcher(run, 2);
    await Promise.all([1, 2, 3, 4, 5].map((i) => batcher.add(i)));
    expect(run.mock.calls.map((c) => c[0].length)).toEqual([2, 2, 1]);
  });
});
