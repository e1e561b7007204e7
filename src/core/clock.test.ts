import { describe, expect, it } from 'vitest';
import { ManualClock } from './clock.js';

describe('ManualClock', () => {
  it('fires timers in time order as it advances, and not before', async () => {
    const clock = new ManualClock(0);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(`b@${clock.now()}`), 200);
    clock.setTimeout(() => fired.push(`a@${clock.now()}`), 100);
    const c = clock.setTimeout(() => fired.push('c'), 150);
    clock.clearTimeout(c);
    await clock.advance(150);
    expect(fired).toEqual(['a@100']);
    await clock.advance(100);
    expect(fired).toEqual(['a@100', 'b@200']);
    expect(clock.now()).toBe(250);
  });

  it('fires timers that timers set, within the same advance', async () => {
    const clock = new ManualClock(0);
    let ticks = 0;
    const tick = () => {
      ticks++;
      clock.setTimeout(tick, 10);
    };
    clock.setTimeout(tick, 10);
    await clock.advance(100);
    expect(ticks).toBe(10);
  });
});
