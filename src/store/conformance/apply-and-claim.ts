import { expect } from 'vitest';
import type { LeasedTransition } from '../../core/outcome.js';
import type { ApplyAndClaimParams, ApplyAndClaimResult, ClaimParams, Store } from '../store.js';
import type { Define } from './harness.js';
import { claim, enqueueMany, enqueueOne, expectCode, expectUnchanged, failure, JOB_NAME, newJob, nextNotification, QUEUE } from './helpers.js';

/** The store's applyAndClaim; the suite fails for a store without it. */
function applyAndClaim(store: Store, params: ApplyAndClaimParams): Promise<ApplyAndClaimResult> {
  expect(typeof store.applyAndClaim, 'the store implements applyAndClaim').toBe('function');
  return store.applyAndClaim!(params);
}

function claimParams(o: Partial<ClaimParams> & { limit?: number } = {}): ClaimParams {
  return { workerId: o.workerId ?? 'worker-1', queues: o.queues ?? [{ queue: QUEUE, limit: o.limit ?? 1 }], names: o.names ?? [JOB_NAME], leaseMs: o.leaseMs ?? 30_000 };
}

/** Cases of the claim area: applyAndClaim is applyTransitions then claimJobs, atomically. */
export function applyAndClaimTests(test: Define): void {
  test('applyAndClaim applies the outcomes and claims the next jobs in claim order', async (store) => {
    const jobs = await enqueueMany(store, 6, (i) => ({ priority: i === 5 ? 9 : 0, data: i }));
    const held = await claim(store, { limit: 2 });
    expect(held.map((j) => j.id)).toEqual([jobs[5]!.id, jobs[0]!.id]);
    const transitions: LeasedTransition[] = [
      { jobId: held[0]!.id, leaseToken: held[0]!.leaseToken, outcome: { kind: 'complete', resultJson: '{"n":5}' } },
      { jobId: held[1]!.id, leaseToken: 'not-the-token', outcome: { kind: 'complete', resultJson: null } },
    ];
    const { results, jobs: next } = await applyAndClaim(store, { transitions, claim: claimParams({ limit: 3, workerId: 'w-9', leaseMs: 10_000 }) });
    expect(results).toEqual(['applied', 'lease_lost']);
    expect(next.map((j) => j.id)).toEqual([jobs[1]!.id, jobs[2]!.id, jobs[3]!.id]);
    for (const j of next) {
      expect(j).toMatchObject({ state: 'waiting', reserved: true, attempt: 0, workerId: 'w-9', cancelRequested: false });
      expect(await store.getJob({ jobId: j.id })).toEqual(j);
    }
    expect(new Set(next.map((j) => j.leaseToken)).size).toBe(3);
    expect(await store.getJob({ jobId: held[0]!.id })).toMatchObject({ state: 'completed', result: { n: 5 }, leaseToken: null });
    expect(await store.getJob({ jobId: held[1]!.id })).toMatchObject({ state: 'waiting', reserved: true, leaseToken: held[1]!.leaseToken });
  });

  test('applyAndClaim takes every outcome kind, and a failed job gives up its key if asked', async (store) => {
    const keyed = await enqueueOne(store, { idempotencyKey: 'once', releaseKeyOnFailure: true });
    await enqueueMany(store, 4);
    const held = await claim(store, { limit: 5 });
    expect(held[0]!.id).toBe(keyed.id);
    const outcomes = [
      { kind: 'fail', failure: failure('nope') },
      { kind: 'retry', delayMs: 60_000, failure: failure('later') },
      { kind: 'snooze', delayMs: 60_000 },
      { kind: 'cancel', reason: 'operator' },
      { kind: 'complete', resultJson: '1' },
    ] as const;
    const transitions = held.map((j, i) => ({ jobId: j.id, leaseToken: j.leaseToken, outcome: outcomes[i]! }));
    const other = await enqueueOne(store, { queue: 'other' });
    const { results, jobs } = await applyAndClaim(store, { transitions, claim: claimParams({ queues: [{ queue: 'other', limit: 5 }] }) });
    expect(results).toEqual(['applied', 'applied', 'applied', 'applied', 'applied']);
    expect(jobs.map((j) => j.id)).toEqual([other.id]);
    const states = await Promise.all(held.map(async (j) => (await store.getJob({ jobId: j.id }))!.state));
    expect(states).toEqual(['failed', 'delayed', 'delayed', 'cancelled', 'completed']);
    expect((await store.getJob({ jobId: held[2]!.id }))!.attempt).toBe(0);
    // The key was released: the same key makes a new job.
    const [again] = await store.enqueue({ jobs: [newJob({ idempotencyKey: 'once' })] });
    expect(again!.created).toBe(true);
  });

  test('applyAndClaim with nothing to apply only claims; with nothing to claim only applies', async (store) => {
    const [a, b] = await enqueueMany(store, 2);
    const first = await applyAndClaim(store, { transitions: [], claim: claimParams() });
    expect(first).toEqual({ results: [], jobs: [expect.objectContaining({ id: a!.id, state: 'waiting', reserved: true })] });
    const held = first.jobs[0]!;
    const done = { jobId: held.id, leaseToken: held.leaseToken, outcome: { kind: 'complete', resultJson: null } } as const;
    const second = await applyAndClaim(store, { transitions: [done], claim: claimParams({ limit: 0 }) });
    expect(second).toEqual({ results: ['applied'], jobs: [] });
    expect((await store.getJob({ jobId: b!.id }))!.state).toBe('waiting');
    const third = await applyAndClaim(store, { transitions: [done], claim: claimParams({ names: [], limit: 5 }) });
    expect(third).toEqual({ results: ['lease_lost'], jobs: [] });
  });

  test('applyAndClaim honours paused queues and names like claimJobs', async (store) => {
    await enqueueOne(store);
    const [held] = await claim(store);
    await enqueueOne(store, { queue: 'mail' });
    await store.setQueuePaused({ queue: 'mail', paused: true });
    const theirs = await enqueueOne(store, { name: 'theirs' });
    const done = { jobId: held!.id, leaseToken: held!.leaseToken, outcome: { kind: 'complete', resultJson: null } } as const;
    const r = await applyAndClaim(store, { transitions: [done], claim: claimParams({ queues: [{ queue: 'mail', limit: 5 }, { queue: QUEUE, limit: 5 }] }) });
    expect(r).toEqual({ results: ['applied'], jobs: [] });
    expect((await store.getJob({ jobId: theirs.id }))!.state).toBe('waiting');
  });

  test('applyAndClaim: a job put back to waiting tells subscribers its queue has work', async (store) => {
    await enqueueOne(store, { queue: 'back' });
    const [held] = await claim(store, { queue: 'back' });
    const wake = nextNotification(store, (n) => n.type === 'jobs-available' && n.queue === 'back');
    const release = { jobId: held!.id, leaseToken: held!.leaseToken, outcome: { kind: 'release' } } as const;
    const r = await applyAndClaim(store, { transitions: [release], claim: claimParams({ queues: [{ queue: 'elsewhere', limit: 1 }] }) });
    expect(r.results).toEqual(['applied']);
    await wake.promise;
  });

  test('applyAndClaim refuses bad input in either part and writes nothing', async (store) => {
    await enqueueMany(store, 2);
    const [held] = await claim(store);
    const done = { jobId: held!.id, leaseToken: held!.leaseToken, outcome: { kind: 'complete', resultJson: null } } as const;
    await expectUnchanged(store, () => expectCode(applyAndClaim(store, { transitions: [done], claim: claimParams({ leaseMs: -5 }) }), 'INVALID_OPTION'));
    await expectUnchanged(store, () =>
      expectCode(applyAndClaim(store, { transitions: [done, { jobId: held!.id, leaseToken: 'x', outcome: { kind: 'bogus' } as never }], claim: claimParams() }), 'INVALID_OPTION'),
    );
  });

  test('applyAndClaim never hands one job to two concurrent callers', async (store) => {
    await enqueueMany(store, 120);
    const batches = await Promise.all(Array.from({ length: 8 }, (_, w) => applyAndClaim(store, { transitions: [], claim: claimParams({ limit: 10, workerId: `w${w}` }) })));
    const held = batches.flatMap((b) => b.jobs);
    const more = await Promise.all(
      batches.map((b, w) =>
        applyAndClaim(store, {
          transitions: b.jobs.map((j) => ({ jobId: j.id, leaseToken: j.leaseToken, outcome: { kind: 'complete', resultJson: null } })),
          claim: claimParams({ limit: 10, workerId: `w${w}` }),
        }),
      ),
    );
    expect(more.flatMap((m) => m.results).every((r) => r === 'applied')).toBe(true);
    const ids = [...held, ...more.flatMap((m) => m.jobs)].map((j) => j.id);
    expect(ids).toHaveLength(120);
    expect(new Set(ids).size).toBe(120);
  });
}
