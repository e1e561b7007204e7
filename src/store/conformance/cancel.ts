import { expect } from 'vitest';
import type { Define } from './harness.js';
import { claim, claimJob, enqueueOne, expectCode, expectUnchanged, failure, nextNotification, runToOutcome, settle } from './helpers.js';

export function cancelTests(test: Define): void {
  test('cancelling a waiting job cancels it at once', async (store) => {
    const job = await enqueueOne(store);
    const r = await store.cancelJob({ jobId: job.id, reason: 'not needed' });
    expect(r.outcome).toBe('cancelled');
    expect(r.job).toMatchObject({ id: job.id, state: 'cancelled' });
    expect(r.job!.finishedAt).not.toBeNull();
    expect(await store.getJob({ jobId: job.id })).toEqual(r.job);
    expect(await claim(store)).toEqual([]);
  });

  test('cancelling a delayed job cancels it at once', async (store) => {
    const job = await enqueueOne(store, { delayMs: 60_000 });
    const r = await store.cancelJob({ jobId: job.id, reason: 'x' });
    expect(r.outcome).toBe('cancelled');
    expect(r.job!.state).toBe('cancelled');
  });

  test('cancelling an active job requests it; the heartbeat reports it; the worker records cancelled', async (store) => {
    const job = await enqueueOne(store);
    const c = await claimJob(store, job);
    const r = await store.cancelJob({ jobId: job.id, reason: 'operator' });
    expect(r.outcome).toBe('cancel_requested');
    expect(r.job).toMatchObject({ id: job.id, state: 'active', cancelRequested: true, leaseToken: c.leaseToken });
    // The lease is still held, and the worker learns of the request at its next heartbeat.
    const hb = await store.extendLeases({ workerId: 'worker-1', leases: [{ jobId: c.id, leaseToken: c.leaseToken }], leaseMs: 30_000 });
    expect(hb).toEqual({ lost: [], cancelRequested: [job.id] });
    // Asking again is still a request, not a second state change.
    expect((await store.cancelJob({ jobId: job.id, reason: 'again' })).outcome).toBe('cancel_requested');
    expect(await settle(store, c, { kind: 'cancel', reason: 'operator' })).toBe('applied');
    expect(await store.getJob({ jobId: job.id })).toMatchObject({ state: 'cancelled', leaseToken: null });
  });

  test('a cancel request for an active job is pushed to subscribers', async (store) => {
    const job = await enqueueOne(store);
    await claimJob(store, job);
    const next = nextNotification(store, (n) => n.type === 'cancel-requested' && n.jobId === job.id);
    await store.cancelJob({ jobId: job.id, reason: 'operator' });
    expect(await next.promise).toEqual({ type: 'cancel-requested', jobId: job.id });
  });

  test('cancelling a finished job changes nothing', async (store) => {
    for (const outcome of [{ kind: 'complete', resultJson: null }, { kind: 'fail', failure: failure() }, { kind: 'cancel', reason: 'r' }] as const) {
      const job = await runToOutcome(store, outcome);
      await expectUnchanged(store, async () => {
        const r = await store.cancelJob({ jobId: job.id, reason: 'late' });
        expect(r.outcome).toBe('already_finished');
        expect(r.job).toEqual(job);
      });
    }
  });

  test('cancelling an unknown job reports not_found', async (store) => {
    expect(await store.cancelJob({ jobId: '424242424', reason: 'x' })).toEqual({ outcome: 'not_found', job: null });
    expect(await store.cancelJob({ jobId: 'not-an-id', reason: 'x' })).toEqual({ outcome: 'not_found', job: null });
  });

  test('retryJob puts a failed job back to waiting with a fresh set of attempts', async (store) => {
    const failed = await runToOutcome(store, { kind: 'fail', failure: failure() }, { maxAttempts: 1 });
    const r = await store.retryJob({ jobId: failed.id });
    expect(r).toMatchObject({ id: failed.id, state: 'waiting', attempt: 0, finishedAt: null, leaseToken: null });
    const c = await claimJob(store, failed);
    expect(c.attempt).toBe(1);
  });

  test('retryJob runs completed and cancelled jobs again, clearing the old result', async (store) => {
    const done = await runToOutcome(store, { kind: 'complete', resultJson: '"old"' });
    expect(await store.retryJob({ jobId: done.id })).toMatchObject({ state: 'waiting', result: null, attempt: 0 });
    await claimJob(store, done).then((c) => settle(store, c, { kind: 'complete', resultJson: null }));
    const cancelled = await enqueueOne(store);
    await store.cancelJob({ jobId: cancelled.id, reason: 'x' });
    expect(await store.retryJob({ jobId: cancelled.id })).toMatchObject({ state: 'waiting' });
  });

  test('retryJob of an unfinished or unknown job returns null and changes nothing', async (store) => {
    const waiting = await enqueueOne(store);
    const active = await enqueueOne(store, { queue: 'other' });
    await claimJob(store, active);
    await expectUnchanged(store, async () => {
      expect(await store.retryJob({ jobId: waiting.id })).toBeNull();
      expect(await store.retryJob({ jobId: active.id })).toBeNull();
      expect(await store.retryJob({ jobId: '31337000' })).toBeNull();
    });
  });

  test('promoteJob makes a delayed job runnable now', async (store) => {
    const job = await enqueueOne(store, { delayMs: 3_600_000 });
    expect(await claim(store)).toEqual([]);
    const r = await store.promoteJob({ jobId: job.id });
    expect(r).toMatchObject({ id: job.id, state: 'waiting' });
    expect((await claim(store)).map((j) => j.id)).toEqual([job.id]);
  });

  test('promoteJob of a job that is not delayed returns null and changes nothing', async (store) => {
    const waiting = await enqueueOne(store);
    await expectUnchanged(store, async () => {
      expect(await store.promoteJob({ jobId: waiting.id })).toBeNull();
      expect(await store.promoteJob({ jobId: '777777777' })).toBeNull();
    });
  });

  test('deleteJob removes a waiting or finished job', async (store) => {
    const waiting = await enqueueOne(store);
    const done = await runToOutcome(store, { kind: 'complete', resultJson: null }, { queue: 'other' });
    expect(await store.deleteJob({ jobId: waiting.id })).toBe(true);
    expect(await store.deleteJob({ jobId: done.id })).toBe(true);
    expect(await store.getJob({ jobId: waiting.id })).toBeNull();
    expect(await store.getJob({ jobId: done.id })).toBeNull();
    expect(await store.deleteJob({ jobId: done.id })).toBe(false);
    expect(await store.deleteJob({ jobId: 'nope' })).toBe(false);
  });

  test('deleteJob refuses an active job and changes nothing', async (store) => {
    const job = await enqueueOne(store);
    await claimJob(store, job);
    await expectUnchanged(store, () => expectCode(store.deleteJob({ jobId: job.id }), 'INVALID_TRANSITION'));
  });
}
