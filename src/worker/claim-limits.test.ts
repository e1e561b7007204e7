import { describe, expect, it } from 'vitest';
import { claimLimits } from './claim-limits.js';

const unlimited = () => Infinity;

describe('claimLimits', () => {
  it('gives a single queue all free slots', () => {
    expect(claimLimits({ free: 10, queues: ['a'], rotation: 0, capacity: unlimited })).toEqual([{ queue: 'a', limit: 10 }]);
  });

  it('never asks for more than the free slots in total, sharing them evenly', () => {
    const limits = claimLimits({ free: 5, queues: ['a', 'b', 'c'], rotation: 0, capacity: unlimited });
    expect(limits.reduce((s, l) => s + l.limit, 0)).toBe(5);
    expect(limits).toEqual([{ queue: 'a', limit: 2 }, { queue: 'b', limit: 2 }, { queue: 'c', limit: 1 }]);
  });

  it('rotates which queue comes first', () => {
    expect(claimLimits({ free: 1, queues: ['a', 'b'], rotation: 1, capacity: unlimited })).toEqual([{ queue: 'b', limit: 1 }]);
  });

  it('respects per-queue capacity and gives the rest to other queues', () => {
    const capacity = (q: string) => ({ a: 1, b: 0 })[q as 'a' | 'b'] ?? Infinity;
    expect(claimLimits({ free: 6, queues: ['a', 'b', 'c'], rotation: 0, capacity })).toEqual([{ queue: 'a', limit: 1 }, { queue: 'c', limit: 5 }]);
  });

  it('returns nothing without free slots or queues', () => {
    expect(claimLimits({ free: 0, queues: ['a'], rotation: 0, capacity: unlimited })).toEqual([]);
    expect(claimLimits({ free: 3, queues: [], rotation: 0, capacity: unlimited })).toEqual([]);
  });
});
