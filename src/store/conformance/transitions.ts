import { expect } from 'vitest';
import type { AttemptOutcome } from '../../core/outcome.js';
import type { Define } from './harness.js';
import { claim, claimJob, enqueueMany, enqueueOne, expectUnchanged, failure, settle, sleep, storeNow } from './helpers.js';

const EVERY_OUTCOME: AttemptOutcome[] = [
  { kind: 'complete', resultJson: '{"ok":true}' },
  { kind: 'retry', delayMs: 1000, failure: failure() },
  { kind: 'retry', delayMs: 0, failure: failure() },
  { kind: 'fail', failure: failure() },
  { kind: 'snooze', delayMs: 1000 },
  { kind: 'snooze', delayMs: 0 },
  { kind: 'release' },
  { kind: 'cancel', reason: 'operator' },
];

export function transitionTests(test: Define): void {
  test('complete: completed with the result, finishedAt set, lease cleared', async (store) => {
    const job = await enqueueOne(store);
    const c = await claimJob(store, job);
    expect(await settle(store, c, { kind: 'complete', resultJson: JSON.stringify({ sent: 3, ids: ['a'] }) })).toBe('applied');
    const after = (await store.getJob({ jobId: job.id }))!;
    expect(after).toMatchObject({ state: 'completed', result: { sent: 3, ids: ['a'] }, attempt: 1, leaseToken: null, leaseExpiresAt: null });
    expect(after.finishedAt!.getTime()).toBeGreaterThanOrEqual(c.startedAt!.getTime());
  });

  test('complete without a result stores null', async (store) => {
    const job = await enqueueOne(store);
    const c = await claimJob(store, job);
    expect(await settle(store, c, { kind: 'complete', resultJson: null })).toBe('applied');
    expect((await store.getJob({ jobId: job.id }))!.result).toBeNull();
  });

  test('fail: failed with the failure stored', async (store) => {
    const job = await enqueueOne(store);
    const c = await claimJob(store, job);
    const f = failure('bad input', 1, new Date(Date.UTC(2026, 1, 2, 3, 4, 5, 678)));
    expect(await settle(store, c, { kind: 'fail', failure: f })).toBe('applied');
    const after = (await store.getJob({ jobId: job.id }))!;
    expect(after).toMatchObject({ state: 'failed', error: f, attempt: 1, leaseToken: null });
    expect(after.finishedAt).not.toBeNull();
  });

  test('retry with a delay: delayed until then, the attempt counted, the failure kept', async (store) => {
    const job = await enqueueOne(store);
    const c = await claimJob(store, job);
    const before = await storeNow(store);
    expect(await settle(store, c, { kind: 'retry', delayMs: 400, failure: failure('flaky') })).toBe('applied');
    const after = (await store.getJob({ jobId: job.id }))!;
    expect(after).toMatchObject({ state: 'delayed', attempt: 1, leaseToken: null, finishedAt: null });
    expect(after.error!.message).toBe('flaky');
    expect(after.runAt.getTime()).toBeGreaterThanOrEqual(before + 400);
    expect(await claim(store)).toEqual([]);
    await sleep(600);
    expect((await claimJob(store, job)).attempt).toBe(2);
  });

  test('retry without a delay: waiting at once, next claim is attempt 2', async (store) => {
    const job = await enqueueOne(store);
    const c = await claimJob(store, job);
    expect(await settle(store, c, { kind: 'retry', delayMs: 0, failure: failure() })).toBe('applied');
    expect((await store.getJob({ jobId: job.id }))!.state).toBe('waiting');
    expect((await claimJob(store, job)).attempt).toBe(2);
  });

  test('snooze: delayed, and the attempt is not counted', async (store) => {
    const job = await enqueueOne(store);
    const c = await claimJob(store, job);
    expect(await settle(store, c, { kind: 'snooze', delayMs: 60_000 })).toBe('applied');
    expect(await store.getJob({ jobId: job.id })).toMatchObject({ state: 'delayed', attempt: 0, error: null, leaseToken: null });
    const d = await enqueueOne(store);
    const cd = await claimJob(store, d);
    expect(await settle(store, cd, { kind: 'snooze', delayMs: 0 })).toBe('applied');
    expect(await store.getJob({ jobId: d.id })).toMatchObject({ state: 'waiting', attempt: 0 });
  });

  test('release: straight back to waiting, attempt not counted, first in line again', async (store) => {
    const [first, second] = await enqueueMany(store, 2);
    const c = await claimJob(store, first!);
    expect(await settle(store, c, { kind: 'release' })).toBe('applied');
    expect(await store.getJob({ jobId: first!.id })).toMatchObject({ state: 'waiting', attempt: 0, leaseToken: null });
    expect((await claimJob(store, first!)).attempt).toBe(1);
    expect(second).toBeTruthy();
  });

  test('cancel outcome: cancelled with finishedAt', async (store) => {
    const job = await enqueueOne(store);
    const c = await claimJob(store, job);
    expect(await settle(store, c, { kind: 'cancel', reason: 'asked to' })).toBe('applied');
    const after = (await store.getJob({ jobId: job.id }))!;
    expect(after).toMatchObject({ state: 'cancelled', leaseToken: null });
    expect(after.finishedAt).not.toBeNull();
  });

  test('a stale lease token is rejected with lease_lost and changes nothing, for every outcome', async (store) => {
    for (const outcome of EVERY_OUTCOME) {
      const job = await enqueueOne(store);
      const c = await claimJob(store, job);
      await expectUnchanged(store, async () => {
        const r = await store.applyTransitions({ transitions: [{ jobId: job.id, leaseToken: `${c.leaseToken}-stale`, outcome }] });
        expect(r, outcome.kind).toEqual(['lease_lost']);
      });
      expect(await settle(store, c, { kind: 'complete', resultJson: null })).toBe('applied');
    }
  });

  test('an outcome applies once; the same token again is lease_lost, for every outcome', async (store) => {
    for (const outcome of EVERY_OUTCOME) {
      const job = await enqueueOne(store);
      const c = await claimJob(store, job);
      expect(await settle(store, c, outcome), outcome.kind).toBe('applied');
      await expectUnchanged(store, async () => {
        expect(await settle(store, c, { kind: 'complete', resultJson: '1' }), outcome.kind).toBe('lease_lost');
      });
      // Leave nothing runnable for the next round.
      if (!['complete', 'fail', 'cancel'].includes(outcome.kind)) await store.deleteJob({ jobId: job.id });
    }
  });

  test('a job that was never claimed rejects any token', async (store) => {
    const job = await enqueueOne(store);
    await expectUnchanged(store, async () => {
      const r = await store.applyTransitions({ transitions: [{ jobId: job.id, leaseToken: 'made-up', outcome: { kind: 'complete', resultJson: null } }] });
      expect(r).toEqual(['lease_lost']);
    });
  });

  test('a batch gets one result per transition, in order', async (store) => {
    const jobs = await enqueueMany(store, 4);
    const claimed = await claim(store, { limit: 4 });
    const [a, b, c, d] = jobs.map((j) => claimed.find((x) => x.id === j.id)!);
    const results = await store.applyTransitions({
      transitions: [
        { jobId: a!.id, leaseToken: a!.leaseToken, outcome: { kind: 'complete', resultJson: '"a"' } },
        { jobId: b!.id, leaseToken: 'stale', outcome: { kind: 'complete', resultJson: '"b"' } },
        { jobId: c!.id, leaseToken: c!.leaseToken, outcome: { kind: 'fail', failure: failure() } },
        { jobId: '999999999', leaseToken: 'x', outcome: { kind: 'complete', resultJson: null } },
        { jobId: d!.id, leaseToken: d!.leaseToken, outcome: { kind: 'complete', resultJson: '"d"' } },
        { jobId: a!.id, leaseToken: a!.leaseToken, outcome: { kind: 'complete', resultJson: '"again"' } },
      ],
    });
    expect(results).toEqual(['applied', 'lease_lost', 'applied', 'lease_lost', 'applied', 'lease_lost']);
    const states = await store.getJobs({ jobIds: jobs.map((j) => j.id) });
    expect(states.map((j) => [j.state, j.reserved])).toEqual([['completed', false], ['waiting', true], ['failed', false], ['completed', false]]);
    expect(states[0]!.result).toBe('a');
  });

  test('many completions in one batch all apply', async (store) => {
    await enqueueMany(store, 100);
    const claimed = await claim(store, { limit: 100 });
    const results = await store.applyTransitions({
      transitions: claimed.map((c, i) => ({ jobId: c.id, leaseToken: i % 10 === 0 ? 'stale' : c.leaseToken, outcome: { kind: 'complete', resultJson: JSON.stringify({ i }) } })),
    });
    expect(results.filter((r) => r === 'applied')).toHaveLength(90);
    expect(results.map((r, i) => (i % 10 === 0 ? r === 'lease_lost' : r === 'applied')).every(Boolean)).toBe(true);
    const done = await store.getJobs({ jobIds: claimed.map((c) => c.id) });
    expect(done.filter((j) => j.state === 'completed')).toHaveLength(90);
    expect(done[1]!.result).toEqual({ i: 1 });
  });

  test('an invalid outcome is rejected and nothing of the batch is applied', async (store) => {
    const [a, b] = await enqueueMany(store, 2);
    const claimed = await claim(store, { limit: 2 });
    const ca = claimed.find((c) => c.id === a!.id)!;
    const cb = claimed.find((c) => c.id === b!.id)!;
    await expectUnchanged(store, async () => {
      const e = await store
        .applyTransitions({
          transitions: [
            { jobId: ca.id, leaseToken: ca.leaseToken, outcome: { kind: 'complete', resultJson: null } },
            { jobId: cb.id, leaseToken: cb.leaseToken, outcome: { kind: 'explode' } as unknown as AttemptOutcome },
          ],
        })
        .then(
          () => null,
          (err: unknown) => err,
        );
      expect(e).toBeInstanceOf(Error);
    });
  });
}
