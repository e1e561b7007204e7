import { describe, expect, it } from 'vitest';
import type { ClaimedJob } from '../core/job.js';
import { CLAIM_AHEAD_BATCHES, CLAIM_AHEAD_HORIZON_MS, ClaimAhead } from './claim-ahead.js';
import { JobBuffer } from './job-buffer.js';

describe('ClaimAhead', () => {
  const o = { concurrency: 10, claimBatchSize: 10, leaseMs: 30_000 };

  it('holds nothing ahead until it has seen a handler run', () => {
    expect(new ClaimAhead(o).target).toBe(0);
  });

  it('holds what the slots would start within the horizon, capped at CLAIM_AHEAD_BATCHES batches', () => {
    const fast = new ClaimAhead(o);
    fast.observe(0);
    expect(fast.target).toBe(CLAIM_AHEAD_BATCHES * 10);
    const medium = new ClaimAhead(o);
    medium.observe(50);
    // 10 slots turning over every 50 ms: 10 starts within a 50 ms horizon.
    expect(medium.target).toBe(Math.floor((10 * CLAIM_AHEAD_HORIZON_MS) / 50));
    const slow = new ClaimAhead(o);
    slow.observe(1_000);
    expect(slow.target).toBe(0);
  });

  it('follows the run time as it changes (a running mean)', () => {
    const a = new ClaimAhead(o);
    a.observe(0);
    const before = a.target;
    for (let i = 0; i < 50; i++) a.observe(1_000);
    expect(before).toBe(CLAIM_AHEAD_BATCHES * 10);
    expect(a.target).toBe(0);
  });

  it('uses the larger of concurrency and claimBatchSize for the cap, and keeps the horizon under a quarter of the lease', () => {
    const big = new ClaimAhead({ concurrency: 4, claimBatchSize: 50, leaseMs: 30_000 });
    big.observe(0);
    expect(big.target).toBe(CLAIM_AHEAD_BATCHES * 50);
    const shortLease = new ClaimAhead({ concurrency: 10, claimBatchSize: 10, leaseMs: 100 });
    shortLease.observe(10);
    // horizon 25 ms (lease / 4), not 50: 10 slots x 25 / 10.
    expect(shortLease.target).toBe(25);
  });
});

function job(id: number, over: Partial<ClaimedJob> = {}): ClaimedJob {
  const t = new Date(0);
  return {
    id: String(id), name: 'j', queue: 'q', data: null, state: "waiting", priority: 0, runAt: t, createdAt: t, startedAt: null, finishedAt: null,
    attempt: 1, maxAttempts: 3, timeoutMs: null, reserved: true, stalls: 0, leaseToken: `tok${id}`, leaseExpiresAt: t, workerId: 'w', cancelRequested: false,
    progress: null, result: null, error: null, idempotencyKey: null, scheduleName: null, fireTime: null, ...over,
  };
}

describe('JobBuffer', () => {
  it('keeps claim order across claims: a later claim with a higher priority goes first', () => {
    const b = new JobBuffer();
    b.add([job(1), job(2)], 0);
    b.add([job(9, { priority: 5 }), job(3)], 1);
    const order: string[] = [];
    for (let x = b.take(null); x; x = b.take(null)) order.push(x.job.id);
    expect(order).toEqual(['9', '1', '2', '3']);
  });

  it('take skips jobs whose queue may not start one more, and counts per queue', () => {
    const b = new JobBuffer();
    b.add([job(1, { queue: 'narrow' }), job(2, { queue: 'wide' }), job(3, { queue: 'narrow' })], 0);
    expect(b.count('narrow')).toBe(2);
    expect(b.take((q) => q !== 'narrow')?.job.id).toBe('2');
    expect(b.take((q) => q !== 'narrow')).toBeUndefined();
    expect(b.size).toBe(2);
    expect(b.take(null)?.job.id).toBe('1');
    expect(b.count('narrow')).toBe(1);
  });

  it('remove matches the lease token when given; drain empties it', () => {
    const b = new JobBuffer();
    b.add([job(1), job(2)], 7);
    expect(b.remove('1', 'other-token')).toBeUndefined();
    expect(b.remove('1', 'tok1')).toMatchObject({ job: { id: '1' }, claimedAt: 7 });
    expect([...b.jobs()].map((j) => j.id)).toEqual(['2']);
    expect(b.drain().map((x) => x.job.id)).toEqual(['2']);
    expect(b.size).toBe(0);
    expect(b.count('q')).toBe(0);
  });
});
