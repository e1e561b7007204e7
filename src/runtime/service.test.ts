import { describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../core/clock.js';
import { IntervalTask } from './service.js';

describe('IntervalTask', () => {
  it('runs at start (if immediate) and then every interval, never overlapping', async () => {
    const clock = new ManualClock();
    let release!: () => void;
    const task = vi.fn(() => new Promise<void>((r) => (release = r)));
    const it = new IntervalTask(clock, 100, task, vi.fn());
    it.start({ immediate: true });
    await clock.advance(0);
    expect(task).toHaveBeenCalledTimes(1);
    await clock.advance(500); // still running: no second run
    expect(task).toHaveBeenCalledTimes(1);
    release();
    await clock.advance(0);
    await clock.advance(100);
    expect(task).toHaveBeenCalledTimes(2);
    release();
    await it.stop();
    await clock.advance(1_000);
    expect(task).toHaveBeenCalledTimes(2);
  });

  it('reports errors and keeps going', async () => {
    const clock = new ManualClock();
    const onError = vi.fn();
    const task = vi.fn(async () => {
      throw new Error('x');
    });
    const it = new IntervalTask(clock, 10, task, onError);
    it.start();
    await clock.advance(30);
    expect(task).toHaveBeenCalledTimes(3);
    expect(onError).toHaveBeenCalledTimes(3);
    await it.stop();
  });
});
