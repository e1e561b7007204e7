import { expect } from 'vitest';
import { applyAndClaimTests } from './apply-and-claim.js';
import type { Define } from './harness.js';
import { claim, claimJob, enqueueMany, enqueueOne, JOB_NAME, newJob, QUEUE, settle, sleep, storeNow } from './helpers.js';

export function claimTests(test: Define): void {
  test('claims by priority desc, then runAt, then insertion order', async (store) => {
    const now = await storeNow(store);
    const at = (ms: number): Date => new Date(now - ms);
    const [a, b, c, d, e] = await enqueueMany(store, 5, (i) =>
      [
        { priority: 0, runAt: at(3000), data: 'a' },
        { priority: 5, runAt: at(1000), data: 'b' },
        { priority: 5, runAt: at(2000), data: 'c' },
        { priority: 0, runAt: at(3000), data: 'd' },
        { priority: -1, runAt: at(9000), data: 'e' },
      ][i]!,
    );
    const order: string[] = [];
    for (let i = 0; i < 5; i++) order.push(...(await claim(store)).map((j) => j.id));
    expect(order).toEqual([c!.id, b!.id, a!.id, d!.id, e!.id]);
  });

  test('a batch claim returns jobs in claim order', async (store) => {
    const now = await storeNow(store);
    const jobs = await enqueueMany(store, 6, (i) => ({ priority: i % 3, runAt: new Date(now - 1000 * (i + 1)) }));
    const claimed = await claim(store, { limit: 10 });
    const expected = [...jobs].sort((x, y) => y.priority - x.priority || x.runAt.getTime() - y.runAt.getTime()).map((j) => j.id);
    expect(claimed.map((j) => j.id)).toEqual(expected);
  });

  test('a claim reserves the job for the worker under a lease and a token; it is not active and its attempt is not counted', async (store) => {
    const job = await enqueueOne(store, { data: { x: 1 }, timeoutMs: 500, maxAttempts: 4 });
    const before = await storeNow(store);
    const [c] = await claim(store, { leaseMs: 10_000, workerId: 'w-77' });
    const after = await storeNow(store);
    expect(c).toMatchObject({ id: job.id, state: 'waiting', reserved: true, attempt: 0, maxAttempts: 4, timeoutMs: 500, workerId: 'w-77', data: { x: 1 }, cancelRequested: false });
    expect(c!.startedAt).toBeNull();
    expect(typeof c!.leaseToken).toBe('string');
    expect(c!.leaseToken.length).toBeGreaterThanOrEqual(16);
    expect(c!.leaseExpiresAt.getTime()).toBeGreaterThanOrEqual(before + 10_000);
    expect(c!.leaseExpiresAt.getTime()).toBeLessThanOrEqual(after + 10_000);
    expect(await store.getJob({ jobId: job.id })).toEqual(c);
  });

  test('every claim gets its own random lease token', async (store) => {
    await enqueueMany(store, 10);
    const claimed = await claim(store, { limit: 10 });
    const tokens = new Set(claimed.map((c) => c.leaseToken));
    expect(tokens.size).toBe(10);
    // A second attempt of the same job gets a new token.
    const first = claimed[0]!;
    expect(await settle(store, first, { kind: 'release' })).toBe('applied');
    const [again] = await claim(store);
    expect(again!.id).toBe(first.id);
    expect(tokens.has(again!.leaseToken)).toBe(false);
  });

  test('a batch claim takes at most the limit of each queue', async (store) => {
    await enqueueMany(store, 5, () => ({ queue: 'qa' }));
    await enqueueMany(store, 5, () => ({ queue: 'qb' }));
    await enqueueMany(store, 5, () => ({ queue: 'qc' }));
    const claimed = await claim(store, { queues: [{ queue: 'qa', limit: 2 }, { queue: 'qb', limit: 3 }, { queue: 'qc', limit: 0 }] });
    const byQueue = (q: string): number => claimed.filter((c) => c.queue === q).length;
    expect([byQueue('qa'), byQueue('qb'), byQueue('qc')]).toEqual([2, 3, 0]);
    const more = await claim(store, { queues: [{ queue: 'qa', limit: 100 }] });
    expect(more).toHaveLength(3);
  });

  test('never hands one job to two concurrent claimers', async (store) => {
    await store.enqueue({ jobs: Array.from({ length: 200 }, (_, i) => newJob({ data: i })) });
    const batches = await Promise.all(Array.from({ length: 20 }, (_, w) => claim(store, { limit: 15, workerId: `w${w}` })));
    const ids = batches.flat().map((j) => j.id);
    expect(ids).toHaveLength(200);
    expect(new Set(ids).size).toBe(200);
    expect(await claim(store, { limit: 10 })).toEqual([]);
    const [counts] = await store.countJobs({ queue: QUEUE });
    // Reserved, not started: they count as waiting (held), none as active.
    expect(counts!.counts).toMatchObject({ waiting: 200, active: 0 });
  });

  test('does not claim from a paused queue, and does again once resumed', async (store) => {
    const job = await enqueueOne(store, { queue: 'mail' });
    await store.setQueuePaused({ queue: 'mail', paused: true });
    expect(await claim(store, { queue: 'mail', limit: 5 })).toEqual([]);
    // Other queues are unaffected.
    await enqueueOne(store, { queue: 'other' });
    expect(await claim(store, { queue: 'other' })).toHaveLength(1);
    await store.setQueuePaused({ queue: 'mail', paused: false });
    expect((await claim(store, { queue: 'mail' })).map((j) => j.id)).toEqual([job.id]);
  });

  test('does not claim jobs whose name is not in names', async (store) => {
    const mine = await enqueueOne(store, { name: 'mine' });
    const theirs = await enqueueOne(store, { name: 'theirs', priority: 10 });
    expect((await claim(store, { names: ['mine'], limit: 10 })).map((j) => j.id)).toEqual([mine.id]);
    expect(await claim(store, { names: [], limit: 10 })).toEqual([]);
    expect((await store.getJob({ jobId: theirs.id }))!.state).toBe('waiting');
  });

  test('claims a delayed job only once its time has come', async (store) => {
    const job = await enqueueOne(store, { delayMs: 400 });
    expect(await claim(store)).toEqual([]);
    await sleep(600);
    expect((await store.getJob({ jobId: job.id }))!.state).toBe('waiting');
    expect((await claim(store)).map((j) => j.id)).toEqual([job.id]);
  });

  test('does not claim active or finished jobs', async (store) => {
    const [a, b] = await enqueueMany(store, 2);
    const ca = await claimJob(store, a!);
    expect(await settle(store, ca, { kind: 'complete', resultJson: null })).toBe('applied');
    await claimJob(store, b!);
    expect(await claim(store, { limit: 10 })).toEqual([]);
  });

  test('only claims from the queues asked for', async (store) => {
    await enqueueOne(store, { queue: 'elsewhere' });
    expect(await claim(store, { queue: QUEUE, limit: 10, names: [JOB_NAME] })).toEqual([]);
  });

  applyAndClaimTests(test);
}
