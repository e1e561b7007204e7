import { expect } from 'vitest';
import type { Define } from './harness.js';
import { claimJob, enqueueOne, expectCode, expectUnchanged, failure, JOB_NAME, newJob, QUEUE, runToOutcome, settle, storeNow } from './helpers.js';

export function enqueueTests(test: Define): void {
  test('inserts one job as waiting with every field stored', async (store) => {
    const before = await storeNow(store);
    const fireTime = new Date(Date.UTC(2026, 0, 1, 12));
    const [r] = await store.enqueue({
      jobs: [
        newJob({
          data: { to: 'a@b', n: [1, 2.5, null, true], nested: { s: 'é"\\' } },
          priority: 7,
          maxAttempts: 5,
          timeoutMs: 1234,
          scheduleName: 'nightly',
          fireTime,
        }),
      ],
    });
    const after = await storeNow(store);
    expect(r!.created).toBe(true);
    const job = r!.job!;
    expect(job.id).toBe(r!.id);
    expect(typeof job.id).toBe('string');
    expect(job).toMatchObject({
      name: JOB_NAME,
      queue: QUEUE,
      data: { to: 'a@b', n: [1, 2.5, null, true], nested: { s: 'é"\\' } },
      state: 'waiting',
      priority: 7,
      attempt: 0,
      maxAttempts: 5,
      timeoutMs: 1234,
      stalls: 0,
      leaseToken: null,
      leaseExpiresAt: null,
      workerId: null,
      cancelRequested: false,
      progress: null,
      result: null,
      error: null,
      startedAt: null,
      finishedAt: null,
      idempotencyKey: null,
      scheduleName: 'nightly',
      fireTime,
    });
    expect(job.createdAt.getTime()).toBeGreaterThanOrEqual(before);
    expect(job.createdAt.getTime()).toBeLessThanOrEqual(after);
    expect(job.runAt.getTime()).toBeLessThanOrEqual(after);
    expect(await store.getJob({ jobId: job.id })).toEqual(job);
  });

  test('bulk enqueue inserts in order, one result per job', async (store) => {
    const results = await store.enqueue({ jobs: Array.from({ length: 50 }, (_, i) => newJob({ data: { i } })) });
    expect(results).toHaveLength(50);
    expect(results.every((r) => r.created)).toBe(true);
    expect(new Set(results.map((r) => r.id)).size).toBe(50);
    expect(results.map((r) => (r.job!.data as { i: number }).i)).toEqual([...Array(50).keys()]);
    // Ids increase with insertion order: oldest-first listing is the enqueue order.
    const page = await store.listJobs({ limit: 100, order: 'asc' });
    expect(page.jobs.map((j) => j.id)).toEqual(results.map((r) => r.id));
  });

  test('any JSON value is a payload (null and scalars too) on every insert path: same options, mixed options, keyed', async (store) => {
    const values = ['null', '0', '"text"', 'false', '[]'];
    const expected = [null, 0, 'text', false, []];
    const same = await store.enqueue({ jobs: values.map((dataJson) => ({ ...newJob(), dataJson })) });
    const mixed = await store.enqueue({ jobs: values.map((dataJson, i) => ({ ...newJob({ priority: i }), dataJson })) });
    const keyed = await store.enqueue({ jobs: values.map((dataJson, i) => ({ ...newJob(), dataJson, idempotencyKey: `payload-${i}` })) });
    for (const batch of [same, mixed, keyed]) {
      expect(batch.map((r) => r.job!.data)).toEqual(expected);
      const stored = new Map((await store.getJobs({ jobIds: batch.map((r) => r.id) })).map((j) => [j.id, j.data]));
      expect(batch.map((r) => stored.get(r.id))).toEqual(expected);
    }
  });

  test('an empty batch inserts nothing', async (store) => {
    expect(await store.enqueue({ jobs: [] })).toEqual([]);
    expect((await store.listJobs({ limit: 10 })).jobs).toEqual([]);
  });

  test('delayMs makes a delayed job with runAt in the future', async (store) => {
    const before = await storeNow(store);
    const job = await enqueueOne(store, { delayMs: 60_000 });
    expect(job.state).toBe('delayed');
    expect(job.runAt.getTime()).toBeGreaterThanOrEqual(before + 60_000);
    expect(job.runAt.getTime()).toBeLessThanOrEqual((await storeNow(store)) + 60_000);
    expect((await store.getJob({ jobId: job.id }))!.state).toBe('delayed');
  });

  test('runAt wins over delayMs; a runAt in the past is waiting', async (store) => {
    const now = await storeNow(store);
    const future = new Date(now + 3_600_000);
    const a = await enqueueOne(store, { runAt: future, delayMs: 5 });
    expect(a.state).toBe('delayed');
    expect(a.runAt).toEqual(future);
    const past = new Date(now - 3_600_000);
    const b = await enqueueOne(store, { runAt: past });
    expect(b.state).toBe('waiting');
    expect(b.runAt).toEqual(past);
  });

  test('an idempotency key returns the existing job instead of a new one', async (store) => {
    const [first] = await store.enqueue({ jobs: [newJob({ idempotencyKey: 'import-42', data: { v: 1 } })] });
    expect(first!.created).toBe(true);
    expect(first!.job!.idempotencyKey).toBe('import-42');
    const [second] = await store.enqueue({ jobs: [newJob({ idempotencyKey: 'import-42', data: { v: 2 } })] });
    expect(second!.created).toBe(false);
    expect(second!.id).toBe(first!.id);
    expect(second!.job!.data).toEqual({ v: 1 });
    expect((await store.listJobs({ limit: 10 })).jobs).toHaveLength(1);
    // Another key is another job.
    const [third] = await store.enqueue({ jobs: [newJob({ idempotencyKey: 'import-43' })] });
    expect(third!.created).toBe(true);
  });

  test('a key repeated within one batch yields the first job of the batch', async (store) => {
    const results = await store.enqueue({
      jobs: [newJob({ idempotencyKey: 'k', data: 1 }), newJob({ data: 2 }), newJob({ idempotencyKey: 'k', data: 3 })],
    });
    expect(results.map((r) => r.created)).toEqual([true, true, false]);
    expect(results[2]!.id).toBe(results[0]!.id);
    expect(results[2]!.job!.data).toBe(1);
    expect((await store.listJobs({ limit: 10 })).jobs).toHaveLength(2);
  });

  test('a finished job keeps holding its key until it is pruned', async (store) => {
    const done = await runToOutcome(store, { kind: 'complete', resultJson: null }, { idempotencyKey: 'once' });
    const [again] = await store.enqueue({ jobs: [newJob({ idempotencyKey: 'once' })] });
    expect(again).toMatchObject({ id: done.id, created: false });
    expect(again!.job!.state).toBe('completed');
    expect(await store.pruneJobs({ queue: QUEUE, state: 'completed', maxAgeMs: null, maxCount: 0, limit: 100 })).toBe(1);
    const [fresh] = await store.enqueue({ jobs: [newJob({ idempotencyKey: 'once' })] });
    expect(fresh!.created).toBe(true);
    expect(fresh!.id).not.toBe(done.id);
  });

  test('keepKeyForever: the key survives pruning of its job', async (store) => {
    const done = await runToOutcome(store, { kind: 'complete', resultJson: null }, { idempotencyKey: 'run-once', keepKeyForever: true });
    expect(await store.pruneJobs({ queue: QUEUE, state: 'completed', maxAgeMs: null, maxCount: 0, limit: 100 })).toBe(1);
    expect(await store.getJob({ jobId: done.id })).toBeNull();
    const [again] = await store.enqueue({ jobs: [newJob({ idempotencyKey: 'run-once', keepKeyForever: true })] });
    expect(again).toEqual({ id: done.id, created: false, job: null });
    expect((await store.listJobs({ limit: 10 })).jobs).toEqual([]);
  });

  test('keepKeyForever: the key survives deleting its job', async (store) => {
    const job = await enqueueOne(store, { idempotencyKey: 'kept', keepKeyForever: true });
    expect(await store.deleteJob({ jobId: job.id })).toBe(true);
    const [again] = await store.enqueue({ jobs: [newJob({ idempotencyKey: 'kept' })] });
    expect(again).toEqual({ id: job.id, created: false, job: null });
  });

  test('deleting a job frees a key that is not kept', async (store) => {
    const job = await enqueueOne(store, { idempotencyKey: 'free-me' });
    expect(await store.deleteJob({ jobId: job.id })).toBe(true);
    const [again] = await store.enqueue({ jobs: [newJob({ idempotencyKey: 'free-me' })] });
    expect(again!.created).toBe(true);
  });

  test('releaseKeyOnFailure frees the key when the job fails', async (store) => {
    const failed = await runToOutcome(store, { kind: 'fail', failure: failure() }, { idempotencyKey: 'import', keepKeyForever: true, releaseKeyOnFailure: true });
    expect(failed.state).toBe('failed');
    const [again] = await store.enqueue({ jobs: [newJob({ idempotencyKey: 'import' })] });
    expect(again!.created).toBe(true);
    expect(again!.id).not.toBe(failed.id);
  });

  test('without releaseKeyOnFailure a failed job keeps its key', async (store) => {
    const failed = await runToOutcome(store, { kind: 'fail', failure: failure() }, { idempotencyKey: 'import' });
    const [again] = await store.enqueue({ jobs: [newJob({ idempotencyKey: 'import' })] });
    expect(again).toMatchObject({ id: failed.id, created: false });
  });

  test('releaseKeyOnFailure keeps the key while the job only retries', async (store) => {
    const job = await enqueueOne(store, { idempotencyKey: 'retrying', releaseKeyOnFailure: true });
    const claimed = await claimJob(store, job);
    expect(await settle(store, claimed, { kind: 'retry', delayMs: 0, failure: failure() })).toBe('applied');
    const [again] = await store.enqueue({ jobs: [newJob({ idempotencyKey: 'retrying' })] });
    expect(again).toMatchObject({ id: job.id, created: false });
  });

  test('a batch with one invalid job is rejected whole and writes nothing', async (store) => {
    await enqueueOne(store, { data: 'existing' });
    await expectUnchanged(store, () =>
      expectCode(store.enqueue({ jobs: [newJob({ data: 'ok', idempotencyKey: 'x' }), newJob({ queue: 'not a valid queue!' })] }), 'INVALID_NAME'),
    );
    await expectUnchanged(store, () => expectCode(store.enqueue({ jobs: [newJob(), newJob({ name: '' })] }), 'INVALID_NAME'));
    // The key of the rejected batch was not taken.
    const [r] = await store.enqueue({ jobs: [newJob({ idempotencyKey: 'x' })] });
    expect(r!.created).toBe(true);
  });

  test('bad field values are rejected with a typed error', async (store) => {
    const bad: Array<Partial<Parameters<typeof newJob>[0]>> = [
      { priority: 1.5 },
      { priority: 1_000_001 },
      { maxAttempts: 0 },
      { delayMs: -1 },
      { runAt: new Date(Number.NaN) },
      { timeoutMs: 0 },
      { dataJson: undefined as unknown as string },
    ];
    for (const b of bad) {
      await expectUnchanged(store, async () => {
        const e = await store.enqueue({ jobs: [newJob(b)] }).then(
          () => null,
          (err: unknown) => err,
        );
        expect(e, JSON.stringify(b)).toBeInstanceOf(Error);
        expect(typeof (e as { code?: unknown }).code, JSON.stringify(b)).toBe('string');
      });
    }
  });

  test('a payload that is not one JSON value, and NUL in stored text, are refused alike by every store', async (store) => {
    await enqueueOne(store, { data: 'existing' });
    await expectUnchanged(store, async () => {
      const e = await expectCode(store.enqueue({ jobs: [newJob(), { ...newJob(), dataJson: '{"a":1} {"b":2}' }] }), 'INVALID_DATA');
      expect(e).toMatchObject({ field: 'jobs[1].dataJson' });
      await expectCode(store.enqueue({ jobs: [{ ...newJob(), dataJson: '' }] }), 'INVALID_DATA');
      expect(await expectCode(store.enqueue({ jobs: [newJob({ idempotencyKey: 'a\u0000b' })] }), 'INVALID_OPTION')).toMatchObject({ field: 'jobs[0].idempotencyKey' });
      expect(await expectCode(store.enqueue({ jobs: [newJob({ scheduleName: 'a\u0000b' })] }), 'INVALID_OPTION')).toMatchObject({ field: 'jobs[0].scheduleName' });
    });
  });

  test('concurrent enqueue calls each get their own results, in order, and one bad call fails alone', async (store) => {
    const calls = Array.from({ length: 20 }, (_, i) => (i === 7 ? [newJob({ data: i }), newJob({ queue: 'bad queue!' })] : [newJob({ data: i }), newJob({ data: i, idempotencyKey: `k${i % 5}` })]));
    const settled = await Promise.allSettled(calls.map((jobs) => store.enqueue({ jobs })));
    expect(settled.map((r) => r.status)).toEqual(calls.map((_, i) => (i === 7 ? 'rejected' : 'fulfilled')));
    settled.forEach((r, i) => {
      if (r.status !== 'fulfilled') return;
      // The second job's key k(i % 5) is held by the earliest call that used it.
      expect(r.value.map((x) => x.job?.data)).toEqual([i, i % 5]);
    });
    // A key taken by an earlier call is returned, not inserted again.
    const keyed = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value[1]!] : []));
    expect(new Set(keyed.map((x) => x.id)).size).toBe(5);
  });
}
