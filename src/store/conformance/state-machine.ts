import { expect } from 'vitest';
import type { JobRecord } from '../../core/job.js';
import type { OperationName, StoredState } from '../../core/job-state.js';
import type { AttemptOutcome } from '../../core/outcome.js';
import type { Store } from '../store.js';
import type { Define } from './harness.js';
import { claim, claimJob, enqueueOne, failure, nextNotification, reserveJob, runToOutcome, settle, sleep, start } from './helpers.js';

/** A store's view of the job after the case ran: the public state plus the reserved marker. */
type Seen = { state: string; reserved: boolean };

/**
 * One case per edge of the state machine (core/job-state.ts TRANSITIONS):
 * the store is driven through the operation that produces the edge, and the
 * job must end in the edge's target. `state-machine.test.ts` checks that
 * these cases cover every edge of the table and nothing outside it.
 */
export interface EdgeCase {
  from: StoredState;
  to: StoredState;
  op: OperationName;
  title: string;
  run(store: Store): Promise<JobRecord>;
}

const SHORT_LEASE_MS = 60;
const PAST_SHORT_LEASE_MS = 160;

const complete: AttemptOutcome = { kind: 'complete', resultJson: '"done"' };
const fail: AttemptOutcome = { kind: 'fail', failure: failure('permanent') };
const retryLater: AttemptOutcome = { kind: 'retry', delayMs: 60_000, failure: failure('flaky') };
const retryNow: AttemptOutcome = { kind: 'retry', delayMs: 0, failure: failure('flaky') };
const cancel: AttemptOutcome = { kind: 'cancel', reason: 'operator' };

async function get(store: Store, id: string): Promise<JobRecord> {
  return (await store.getJob({ jobId: id }))!;
}

async function reserved(store: Store): Promise<{ job: JobRecord; held: Awaited<ReturnType<typeof reserveJob>> }> {
  const job = await enqueueOne(store);
  return { job, held: await reserveJob(store, job) };
}

/** Ends a reserved job with an outcome that carries its start (start and end in one write). */
async function endFromReserved(store: Store, outcome: AttemptOutcome): Promise<JobRecord> {
  const { job, held } = await reserved(store);
  const [r] = await store.applyTransitions({ transitions: [{ jobId: held.id, leaseToken: held.leaseToken, startedAgoMs: 5, outcome }] });
  expect(r).toBe('applied');
  const after = await get(store, job.id);
  // The start came with the end: the attempt counted (unless given back) and startedAt is set.
  expect(after.startedAt).not.toBeNull();
  return after;
}

async function endFromActive(store: Store, outcome: AttemptOutcome): Promise<JobRecord> {
  const job = await enqueueOne(store);
  const running = await claimJob(store, job);
  expect(await settle(store, running, outcome)).toBe('applied');
  return get(store, job.id);
}

export const EDGE_CASES: readonly EdgeCase[] = [
  {
    from: 'waiting', to: 'reserved', op: 'claim', title: 'a claim reserves a waiting job',
    run: async (store) => (await reserved(store)).job,
  },
  {
    from: 'waiting', to: 'cancelled', op: 'cancel', title: 'an operator cancels a waiting job',
    run: async (store) => (await store.cancelJob({ jobId: (await enqueueOne(store)).id, reason: 'x' })).job!,
  },
  {
    from: 'delayed', to: 'reserved', op: 'claim', title: 'a claim reserves a delayed job whose time has come',
    run: async (store) => {
      const job = await enqueueOne(store, { delayMs: 40 });
      expect(await claim(store)).toEqual([]);
      await sleep(120);
      await reserveJob(store, job);
      return job;
    },
  },
  {
    from: 'delayed', to: 'waiting', op: 'promote', title: 'promote makes a delayed job waiting',
    run: async (store) => (await store.promoteJob({ jobId: (await enqueueOne(store, { delayMs: 60_000 })).id }))!,
  },
  {
    from: 'delayed', to: 'cancelled', op: 'cancel', title: 'an operator cancels a delayed job',
    run: async (store) => (await store.cancelJob({ jobId: (await enqueueOne(store, { delayMs: 60_000 })).id, reason: 'x' })).job!,
  },
  {
    from: 'reserved', to: 'active', op: 'start', title: 'a start makes a reserved job active and counts its attempt',
    run: async (store) => {
      const { job, held } = await reserved(store);
      expect(await start(store, held, 25)).toBe('applied');
      const after = await get(store, job.id);
      expect(after).toMatchObject({ state: 'active', reserved: false, attempt: 1, leaseToken: held.leaseToken });
      return after;
    },
  },
  { from: 'reserved', to: 'completed', op: 'end', title: 'start and completion in one write', run: (store) => endFromReserved(store, complete) },
  { from: 'reserved', to: 'failed', op: 'end', title: 'start and failure in one write', run: (store) => endFromReserved(store, fail) },
  { from: 'reserved', to: 'delayed', op: 'end', title: 'start and a retry with backoff in one write', run: (store) => endFromReserved(store, retryLater) },
  { from: 'reserved', to: 'waiting', op: 'end', title: 'start and an immediate retry in one write', run: (store) => endFromReserved(store, retryNow) },
  { from: 'reserved', to: 'cancelled', op: 'end', title: 'start and a cancel in one write', run: (store) => endFromReserved(store, cancel) },
  {
    from: 'reserved', to: 'waiting', op: 'end', title: 'a reserved job released unstarted goes back with nothing counted',
    run: async (store) => {
      const { job, held } = await reserved(store);
      expect(await settle(store, held, { kind: 'release' })).toBe('applied');
      const after = await get(store, job.id);
      expect(after).toMatchObject({ attempt: 0, startedAt: null, leaseToken: null, reserved: false });
      return after;
    },
  },
  {
    from: 'reserved', to: 'cancelled', op: 'end', title: 'a reserved job cancelled in its worker ends unstarted',
    run: async (store) => {
      const { job, held } = await reserved(store);
      expect(await settle(store, held, cancel)).toBe('applied');
      const after = await get(store, job.id);
      expect(after).toMatchObject({ attempt: 0, startedAt: null });
      return after;
    },
  },
  {
    from: 'reserved', to: 'waiting', op: 'unreserve', title: "a dead worker's reservation expires: back to waiting, no attempt, no stall",
    run: async (store) => {
      const job = await enqueueOne(store);
      await reserveJob(store, job, { leaseMs: SHORT_LEASE_MS });
      await sleep(PAST_SHORT_LEASE_MS);
      expect(await store.rescueExpired({ maxStalls: 0, limit: 10 })).toEqual({ requeued: [], failed: [], unreserved: [job.id] });
      const after = await get(store, job.id);
      expect(after).toMatchObject({ attempt: 0, stalls: 0, leaseToken: null, reserved: false });
      return after;
    },
  },
  {
    from: 'reserved', to: 'cancelled', op: 'unreserve', title: 'an expired reservation whose cancel was requested is cancelled, nothing counted',
    run: async (store) => {
      const job = await enqueueOne(store);
      await reserveJob(store, job, { leaseMs: SHORT_LEASE_MS });
      expect((await store.cancelJob({ jobId: job.id, reason: 'x' })).outcome).toBe('cancel_requested');
      await sleep(PAST_SHORT_LEASE_MS);
      expect(await store.rescueExpired({ maxStalls: 0, limit: 10 })).toEqual({ requeued: [], failed: [], unreserved: [] });
      const after = await get(store, job.id);
      expect(after).toMatchObject({ attempt: 0, stalls: 0, leaseToken: null });
      return after;
    },
  },
  { from: 'active', to: 'completed', op: 'end', title: 'an active job completes', run: (store) => endFromActive(store, complete) },
  { from: 'active', to: 'failed', op: 'end', title: 'an active job fails', run: (store) => endFromActive(store, fail) },
  { from: 'active', to: 'delayed', op: 'end', title: 'an active job retries with backoff', run: (store) => endFromActive(store, retryLater) },
  { from: 'active', to: 'waiting', op: 'end', title: 'an active job is released at shutdown', run: (store) => endFromActive(store, { kind: 'release' }) },
  { from: 'active', to: 'cancelled', op: 'end', title: 'an active job ends cancelled', run: (store) => endFromActive(store, cancel) },
  {
    from: 'active', to: 'waiting', op: 'rescue', title: 'an expired active lease is rescued to waiting with a stall',
    run: async (store) => {
      const job = await enqueueOne(store);
      await claimJob(store, job, { leaseMs: SHORT_LEASE_MS });
      await sleep(PAST_SHORT_LEASE_MS);
      expect(await store.rescueExpired({ maxStalls: 3, limit: 10 })).toEqual({ requeued: [job.id], failed: [], unreserved: [] });
      return get(store, job.id);
    },
  },
  {
    from: 'active', to: 'failed', op: 'rescue', title: 'an expired active lease past maxStalls fails',
    run: async (store) => {
      const job = await enqueueOne(store);
      await claimJob(store, job, { leaseMs: SHORT_LEASE_MS });
      await sleep(PAST_SHORT_LEASE_MS);
      expect(await store.rescueExpired({ maxStalls: 0, limit: 10 })).toEqual({ requeued: [], failed: [job.id], unreserved: [] });
      const after = await get(store, job.id);
      expect(after.error).toMatchObject({ code: 'STALLED', attempt: 1 });
      return after;
    },
  },
  {
    from: 'active', to: 'cancelled', op: 'rescue', title: 'an expired active lease whose cancel was requested is cancelled',
    run: async (store) => {
      const job = await enqueueOne(store);
      await claimJob(store, job, { leaseMs: SHORT_LEASE_MS });
      expect((await store.cancelJob({ jobId: job.id, reason: 'x' })).outcome).toBe('cancel_requested');
      await sleep(PAST_SHORT_LEASE_MS);
      expect(await store.rescueExpired({ maxStalls: 3, limit: 10 })).toEqual({ requeued: [], failed: [], unreserved: [] });
      return get(store, job.id);
    },
  },
  {
    from: 'completed', to: 'waiting', op: 'retry', title: 'retry runs a completed job again',
    run: async (store) => (await store.retryJob({ jobId: (await runToOutcome(store, complete)).id }))!,
  },
  {
    from: 'failed', to: 'waiting', op: 'retry', title: 'retry runs a failed job again',
    run: async (store) => (await store.retryJob({ jobId: (await runToOutcome(store, fail)).id }))!,
  },
  {
    from: 'cancelled', to: 'waiting', op: 'retry', title: 'retry runs a cancelled job again',
    run: async (store) => (await store.retryJob({ jobId: (await runToOutcome(store, cancel)).id }))!,
  },
];

/** What a stored state looks like from outside. */
function seen(state: StoredState): Seen {
  return state === 'reserved' ? { state: 'waiting', reserved: true } : { state, reserved: false };
}

export function stateMachineTests(test: Define): void {
  for (const c of EDGE_CASES) {
    test(`${c.from} -> ${c.to} (${c.op}): ${c.title}`, async (store) => {
      const job = await c.run(store);
      const after = await get(store, job.id);
      expect({ state: after.state, reserved: after.reserved }).toEqual(seen(c.to));
    });
  }

  test("an operator's cancel of a reserved job is asked of its worker (heartbeat and push), which ends it unstarted", async (store) => {
    const { job, held } = await reserved(store);
    const pushed = store.capabilities.cancelPush ? nextNotification(store, (n) => n.type === 'cancel-requested' && n.jobId === job.id) : null;
    const r = await store.cancelJob({ jobId: job.id, reason: 'operator' });
    expect(r).toMatchObject({ outcome: 'cancel_requested', job: { state: 'waiting', reserved: true, cancelRequested: true } });
    if (pushed) await pushed.promise;
    expect(await store.extendLeases({ workerId: 'worker-1', leases: [{ jobId: held.id, leaseToken: held.leaseToken }], leaseMs: 30_000 })).toEqual({
      lost: [],
      cancelRequested: [job.id],
    });
    expect(await settle(store, held, cancel)).toBe('applied');
    expect(await get(store, job.id)).toMatchObject({ state: 'cancelled', attempt: 0, startedAt: null });
  });

  test('a start is refused for a job not reserved under that token, and changes nothing', async (store) => {
    const { job, held } = await reserved(store);
    expect(await start(store, { ...held, leaseToken: 'not-the-token' })).toBe('lease_lost');
    expect(await start(store, held)).toBe('applied');
    // Started already: a second start is not an edge.
    expect(await start(store, held)).toBe('lease_lost');
    expect(await get(store, job.id)).toMatchObject({ state: 'active', attempt: 1 });
  });

  test('startedAgoMs dates the start back on the store clock; wait and run times come from it', async (store) => {
    const { job, held } = await reserved(store);
    const before = Date.now();
    expect(await start(store, held, 5_000)).toBe('applied');
    const after = await get(store, job.id);
    // Within the test's own clock, give or take what the store call took.
    expect(after.startedAt!.getTime()).toBeLessThanOrEqual(Date.now() - 5_000 + 1);
    expect(after.startedAt!.getTime()).toBeGreaterThanOrEqual(before - 5_000 - 60_000);
  });

  test('reserved jobs count and list as waiting; only started jobs count and list as active', async (store) => {
    const jobs = [await enqueueOne(store), await enqueueOne(store), await enqueueOne(store)];
    const held = await claim(store, { limit: 2 });
    expect(await start(store, held[0]!)).toBe('applied');
    const [counts] = await store.countJobs({ queue: jobs[0]!.queue });
    expect(counts!.counts).toMatchObject({ waiting: 2, active: 1 });
    const active = await store.listJobs({ states: ['active'], limit: 10 });
    expect(active.jobs.map((j) => j.id)).toEqual([held[0]!.id]);
    const waiting = await store.listJobs({ states: ['waiting'], limit: 10, order: 'asc' });
    expect(waiting.jobs.map((j) => [j.id, j.reserved])).toEqual([
      [held[1]!.id, true],
      [jobs[2]!.id, false],
    ]);
  });

  test('a reserved job is held: extendLeases renews it, progress is kept, another claim does not take it', async (store) => {
    const { job, held } = await reserved(store);
    expect(await store.extendLeases({ workerId: 'worker-1', leases: [{ jobId: held.id, leaseToken: held.leaseToken }], leaseMs: 60_000 })).toEqual({
      lost: [],
      cancelRequested: [],
    });
    expect(await claim(store, { workerId: 'worker-2' })).toEqual([]);
    expect(await store.saveProgress({ updates: [{ jobId: job.id, leaseToken: held.leaseToken, progress: { current: 1, total: 2, message: null } }] })).toEqual([]);
  });
}
