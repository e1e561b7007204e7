import { expect } from 'vitest';
import type { Define } from './harness.js';
import { claimJob, enqueueOne, expectUnchanged, failure, runToOutcome, settle, storeNow } from './helpers.js';

export function progressResultTests(test: Define): void {
  test('saveProgress stores current, total and message with the time', async (store) => {
    const job = await enqueueOne(store);
    const c = await claimJob(store, job);
    const before = await storeNow(store);
    expect(await store.saveProgress({ updates: [{ jobId: c.id, leaseToken: c.leaseToken, progress: { current: 3, total: 10, message: 'rows' } }] })).toEqual([]);
    let p = (await store.getJob({ jobId: job.id }))!.progress!;
    expect(p).toMatchObject({ current: 3, total: 10, message: 'rows' });
    expect(p.updatedAt.getTime()).toBeGreaterThanOrEqual(before);
    await store.saveProgress({ updates: [{ jobId: c.id, leaseToken: c.leaseToken, progress: { current: 0.5, total: null, message: null } }] });
    p = (await store.getJob({ jobId: job.id }))!.progress!;
    expect(p).toMatchObject({ current: 0.5, total: null, message: null });
  });

  test('saveProgress with a stale token reports the job lost and writes nothing', async (store) => {
    const job = await enqueueOne(store);
    const c = await claimJob(store, job);
    await store.saveProgress({ updates: [{ jobId: c.id, leaseToken: c.leaseToken, progress: { current: 1, total: 2, message: 'half' } }] });
    await expectUnchanged(store, async () => {
      const lost = await store.saveProgress({
        updates: [
          { jobId: c.id, leaseToken: 'stale', progress: { current: 2, total: 2, message: 'done' } },
          { jobId: '55555555', leaseToken: 'x', progress: { current: 1, total: null, message: null } },
        ],
      });
      expect(lost.sort()).toEqual([c.id, '55555555'].sort());
    });
  });

  test('progress stays readable after the job completes', async (store) => {
    const job = await enqueueOne(store);
    const c = await claimJob(store, job);
    await store.saveProgress({ updates: [{ jobId: c.id, leaseToken: c.leaseToken, progress: { current: 10, total: 10, message: null } }] });
    await settle(store, c, { kind: 'complete', resultJson: null });
    expect((await store.getJob({ jobId: job.id }))!.progress).toMatchObject({ current: 10, total: 10 });
  });

  test('results of any JSON shape round-trip', async (store) => {
    const values: unknown[] = [{ a: [1, { b: 'c' }], u: 'ü\n"' }, 'text', 42, 1.25, true, [1, 2], null, { big: 'x'.repeat(10_000) }];
    for (const v of values) {
      const job = await runToOutcome(store, { kind: 'complete', resultJson: JSON.stringify(v) });
      expect(job.result).toEqual(v);
    }
  });

  test('the failure of an earlier attempt stays on the job after a later success', async (store) => {
    const job = await enqueueOne(store);
    const first = await claimJob(store, job);
    await settle(store, first, { kind: 'retry', delayMs: 0, failure: failure('transient', 1) });
    const second = await claimJob(store, job);
    await settle(store, second, { kind: 'complete', resultJson: '"ok"' });
    const after = (await store.getJob({ jobId: job.id }))!;
    expect(after).toMatchObject({ state: 'completed', result: 'ok', attempt: 2 });
    expect(after.error).toMatchObject({ message: 'transient', attempt: 1 });
  });
}
