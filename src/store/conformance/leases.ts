import { expect } from 'vitest';
import type { Define } from './harness.js';
import { claim, claimJob, enqueueMany, enqueueOne, expectUnchanged, newJob, settle, sleep, start, storeNow } from './helpers.js';

/** Leases here are short and real: the store's clock decides when they expire. */
const SHORT_LEASE_MS = 60;
const PAST_SHORT_LEASE_MS = 160;

export function leaseTests(test: Define): void {
  test('extendLeases pushes the lease expiry forward', async (store) => {
    const job = await enqueueOne(store);
    const c = await claimJob(store, job, { leaseMs: 1_000 });
    await sleep(5);
    const before = await storeNow(store);
    const r = await store.extendLeases({ workerId: 'worker-1', leases: [{ jobId: c.id, leaseToken: c.leaseToken }], leaseMs: 60_000 });
    expect(r).toEqual({ lost: [], cancelRequested: [] });
    const after = (await store.getJob({ jobId: job.id }))!;
    expect(after.leaseExpiresAt!.getTime()).toBeGreaterThanOrEqual(before + 60_000);
    expect(after).toMatchObject({ state: 'active', leaseToken: c.leaseToken, attempt: 1 });
  });

  test('extendLeases reports stale tokens and unknown jobs as lost and extends the rest', async (store) => {
    await enqueueMany(store, 2);
    const [a, b] = await claim(store, { limit: 2, leaseMs: 1_000 });
    const r = await store.extendLeases({
      workerId: 'worker-1',
      leases: [
        { jobId: a!.id, leaseToken: a!.leaseToken },
        { jobId: b!.id, leaseToken: 'not-the-token' },
        { jobId: '987654321', leaseToken: 'x' },
      ],
      leaseMs: 60_000,
    });
    expect(r.lost.sort()).toEqual([b!.id, '987654321'].sort());
    expect(r.cancelRequested).toEqual([]);
    expect((await store.getJob({ jobId: b!.id }))!.leaseExpiresAt).toEqual(b!.leaseExpiresAt);
    expect((await store.getJob({ jobId: a!.id }))!.leaseExpiresAt!.getTime()).toBeGreaterThan(a!.leaseExpiresAt.getTime());
  });

  test('an expired lease is rescued back to waiting, counting a stall and the attempt', async (store) => {
    const job = await enqueueOne(store);
    const c = await claimJob(store, job, { leaseMs: SHORT_LEASE_MS });
    await sleep(PAST_SHORT_LEASE_MS);
    const r = await store.rescueExpired({ maxStalls: 3, limit: 100 });
    expect(r).toEqual({ requeued: [job.id], failed: [], unreserved: [] });
    const after = (await store.getJob({ jobId: job.id }))!;
    expect(after).toMatchObject({ state: 'waiting', stalls: 1, attempt: 1, leaseToken: null, leaseExpiresAt: null });
    const again = await claimJob(store, job);
    expect(again.attempt).toBe(2);
    expect(again.leaseToken).not.toBe(c.leaseToken);
  });

  test("after a rescue the dead attempt's token is rejected everywhere", async (store) => {
    const job = await enqueueOne(store);
    const dead = await claimJob(store, job, { leaseMs: SHORT_LEASE_MS });
    await sleep(PAST_SHORT_LEASE_MS);
    await store.rescueExpired({ maxStalls: 3, limit: 100 });
    const live = await claimJob(store, job);
    await expectUnchanged(store, async () => {
      expect(await settle(store, dead, { kind: 'complete', resultJson: '"late"' })).toBe('lease_lost');
      expect(await store.extendLeases({ workerId: 'worker-1', leases: [{ jobId: job.id, leaseToken: dead.leaseToken }], leaseMs: 1000 })).toEqual({
        lost: [job.id],
        cancelRequested: [],
      });
      expect(await store.saveProgress({ updates: [{ jobId: job.id, leaseToken: dead.leaseToken, progress: { current: 1, total: 2, message: null } }] })).toEqual([job.id]);
    });
    expect(await settle(store, live, { kind: 'complete', resultJson: '"live"' })).toBe('applied');
    expect((await store.getJob({ jobId: job.id }))!.result).toBe('live');
  });

  test('a live lease is not rescued', async (store) => {
    const job = await enqueueOne(store);
    await claimJob(store, job, { leaseMs: 30_000 });
    await expectUnchanged(store, async () => {
      expect(await store.rescueExpired({ maxStalls: 3, limit: 100 })).toEqual({ requeued: [], failed: [], unreserved: [] });
    });
  });

  test('an extended lease is not rescued when the original would have expired', async (store) => {
    const job = await enqueueOne(store);
    const c = await claimJob(store, job, { leaseMs: 100 });
    await store.extendLeases({ workerId: 'worker-1', leases: [{ jobId: c.id, leaseToken: c.leaseToken }], leaseMs: 30_000 });
    await sleep(200);
    expect(await store.rescueExpired({ maxStalls: 3, limit: 100 })).toEqual({ requeued: [], failed: [], unreserved: [] });
    expect((await store.getJob({ jobId: job.id }))!.state).toBe('active');
  });

  test('past maxStalls a rescued job fails with a clear reason', async (store) => {
    const job = await enqueueOne(store);
    await claimJob(store, job, { leaseMs: SHORT_LEASE_MS });
    await sleep(PAST_SHORT_LEASE_MS);
    expect(await store.rescueExpired({ maxStalls: 1, limit: 100 })).toEqual({ requeued: [job.id], failed: [], unreserved: [] });
    await claimJob(store, job, { leaseMs: SHORT_LEASE_MS });
    await sleep(PAST_SHORT_LEASE_MS);
    expect(await store.rescueExpired({ maxStalls: 1, limit: 100 })).toEqual({ requeued: [], failed: [job.id], unreserved: [] });
    const after = (await store.getJob({ jobId: job.id }))!;
    expect(after).toMatchObject({ state: 'failed', stalls: 2, attempt: 2, leaseToken: null });
    expect(after.finishedAt).not.toBeNull();
    expect(after.error!.message).toMatch(/stall/i);
    expect(after.error!.attempt).toBe(2);
  });

  test('maxStalls 0 fails a job at its first stall', async (store) => {
    const job = await enqueueOne(store);
    await claimJob(store, job, { leaseMs: SHORT_LEASE_MS });
    await sleep(PAST_SHORT_LEASE_MS);
    expect(await store.rescueExpired({ maxStalls: 0, limit: 100 })).toEqual({ requeued: [], failed: [job.id], unreserved: [] });
    expect((await store.getJob({ jobId: job.id }))!.state).toBe('failed');
  });

  test('a job failed by the rescuer releases a releaseKeyOnFailure key', async (store) => {
    const [r] = await store.enqueue({ jobs: [newJob({ idempotencyKey: 'stuck', releaseKeyOnFailure: true })] });
    await claimJob(store, r!.job!, { leaseMs: SHORT_LEASE_MS });
    await sleep(PAST_SHORT_LEASE_MS);
    expect((await store.rescueExpired({ maxStalls: 0, limit: 100 })).failed).toEqual([r!.id]);
    const [again] = await store.enqueue({ jobs: [newJob({ idempotencyKey: 'stuck' })] });
    expect(again!.created).toBe(true);
  });

  test('an expired job whose cancel was requested is cancelled, not run again', async (store) => {
    const job = await enqueueOne(store);
    await claimJob(store, job, { leaseMs: SHORT_LEASE_MS });
    expect((await store.cancelJob({ jobId: job.id, reason: 'operator' })).outcome).toBe('cancel_requested');
    await sleep(PAST_SHORT_LEASE_MS);
    const r = await store.rescueExpired({ maxStalls: 3, limit: 100 });
    expect(r.requeued).toEqual([]);
    expect(await store.getJob({ jobId: job.id })).toMatchObject({ state: 'cancelled', leaseToken: null, cancelRequested: false });
    expect(await claim(store)).toEqual([]);
  });

  test('rescue handles at most `limit` jobs per call', async (store) => {
    await enqueueMany(store, 3);
    const held = await claim(store, { limit: 3, leaseMs: SHORT_LEASE_MS });
    for (const c of held) expect(await start(store, c)).toBe('applied');
    await sleep(PAST_SHORT_LEASE_MS);
    const first = await store.rescueExpired({ maxStalls: 3, limit: 2 });
    expect(first.requeued).toHaveLength(2);
    const second = await store.rescueExpired({ maxStalls: 3, limit: 2 });
    expect(second.requeued).toHaveLength(1);
    expect(new Set([...first.requeued, ...second.requeued]).size).toBe(3);
  });

  test('reserved and active expired leases are rescued in one pass, each by its own rule', async (store) => {
    const [a, b] = await enqueueMany(store, 2);
    const held = await claim(store, { limit: 2, leaseMs: SHORT_LEASE_MS });
    expect(await start(store, held.find((c) => c.id === a!.id)!)).toBe('applied');
    await sleep(PAST_SHORT_LEASE_MS);
    expect(await store.rescueExpired({ maxStalls: 3, limit: 10 })).toEqual({ requeued: [a!.id], failed: [], unreserved: [b!.id] });
    expect(await store.getJob({ jobId: a!.id })).toMatchObject({ state: 'waiting', stalls: 1, attempt: 1 });
    expect(await store.getJob({ jobId: b!.id })).toMatchObject({ state: 'waiting', stalls: 0, attempt: 0 });
  });
}
