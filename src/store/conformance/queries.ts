import { expect } from 'vitest';
import type { JobRecord, JobState } from '../../core/job.js';
import { emptyCounts, type ListJobsParams, type Store } from '../store.js';
import type { Define } from './harness.js';
import { claim, claimJob, enqueueMany, enqueueOne, expectCode, failure, newJob, runToOutcome, settle, sleep, start } from './helpers.js';

async function listAll(store: Store, params: Omit<ListJobsParams, 'limit' | 'cursor'>, limit = 3): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 1000; pages++) {
    const page = await store.listJobs({ ...params, limit, cursor });
    expect(page.jobs.length).toBeLessThanOrEqual(limit);
    ids.push(...page.jobs.map((j) => j.id));
    cursor = page.nextCursor;
    if (cursor === null) return ids;
  }
  throw new Error('paging did not end');
}

/** One job in each state, in queue `q`. */
async function oneOfEach(store: Store, q: string): Promise<Record<JobState, JobRecord>> {
  const waiting = await enqueueOne(store, { queue: q, data: { state: 'waiting' } });
  const delayed = await enqueueOne(store, { queue: q, delayMs: 3_600_000, data: { state: 'delayed' } });
  const active = await enqueueOne(store, { queue: q, name: 'to-activate' });
  await claimJob(store, active);
  const completed = await runToOutcome(store, { kind: 'complete', resultJson: null }, { queue: q, name: 'to-complete' });
  const failed = await runToOutcome(store, { kind: 'fail', failure: failure() }, { queue: q, name: 'to-fail' });
  const cancelled = await enqueueOne(store, { queue: q, name: 'to-cancel' });
  await store.cancelJob({ jobId: cancelled.id, reason: 'x' });
  return { waiting, delayed, active, completed, failed, cancelled };
}

export function queryTests(test: Define): void {
  test('getJob of an unknown or malformed id is null', async (store) => {
    await enqueueOne(store);
    expect(await store.getJob({ jobId: '987654321' })).toBeNull();
    expect(await store.getJob({ jobId: 'abc' })).toBeNull();
    expect(await store.getJob({ jobId: '' })).toBeNull();
  });

  test('getJobs returns the jobs asked for, in that order, leaving out unknown ids', async (store) => {
    const [a, b, c] = await enqueueMany(store, 3);
    const got = await store.getJobs({ jobIds: [c!.id, 'nope', a!.id, '99999999', b!.id] });
    expect(got.map((j) => j.id)).toEqual([c!.id, a!.id, b!.id]);
    expect(await store.getJobs({ jobIds: [] })).toEqual([]);
  });

  test('listJobs is newest first by default and oldest first on request', async (store) => {
    const jobs = await enqueueMany(store, 5);
    const ids = jobs.map((j) => j.id);
    expect((await store.listJobs({ limit: 10 })).jobs.map((j) => j.id)).toEqual([...ids].reverse());
    expect((await store.listJobs({ limit: 10, order: 'asc' })).jobs.map((j) => j.id)).toEqual(ids);
    expect((await store.listJobs({ limit: 10, order: 'desc' })).jobs.map((j) => j.id)).toEqual([...ids].reverse());
  });

  test('listJobs filters by queue, name and state', async (store) => {
    const a = await oneOfEach(store, 'qa');
    const b = await oneOfEach(store, 'qb');
    const ids = async (p: Omit<ListJobsParams, 'limit'>): Promise<string[]> => (await store.listJobs({ limit: 100, order: 'asc', ...p })).jobs.map((j) => j.id);
    expect(await ids({ queue: 'qa' })).toEqual([a.waiting.id, a.delayed.id, a.active.id, a.completed.id, a.failed.id, a.cancelled.id]);
    for (const state of ['waiting', 'delayed', 'active', 'completed', 'failed', 'cancelled'] as const) {
      expect(await ids({ states: [state] }), state).toEqual([a[state].id, b[state].id]);
      expect(await ids({ states: [state], queue: 'qb' }), state).toEqual([b[state].id]);
    }
    expect(await ids({ states: ['failed', 'waiting'], queue: 'qa' })).toEqual([a.waiting.id, a.failed.id]);
    expect(await ids({ states: ['active', 'completed'] })).toEqual([a.active.id, a.completed.id, b.active.id, b.completed.id]);
    expect(await ids({ name: 'to-fail' })).toEqual([a.failed.id, b.failed.id]);
    expect(await ids({ name: 'to-fail', queue: 'qb', states: ['failed'] })).toEqual([b.failed.id]);
    expect(await ids({ name: 'to-fail', states: ['completed'] })).toEqual([]);
    expect(await ids({ states: [] })).toEqual([]);
    expect(await ids({ queue: 'nothing-here' })).toEqual([]);
  });

  test('listJobs filters by creation time, data text and schedule', async (store) => {
    const early = await enqueueOne(store, { data: { email: 'ann@example.com' } });
    await sleep(20);
    const late = await enqueueMany(store, 2, (i) => ({ data: { email: i === 0 ? 'bob@example.com' : 'cy@other.org' }, scheduleName: i === 1 ? 'nightly' : null }));
    const ids = async (p: Omit<ListJobsParams, 'limit'>): Promise<string[]> => (await store.listJobs({ limit: 100, order: 'asc', ...p })).jobs.map((j) => j.id);
    const cut = late[0]!.createdAt;
    expect(await ids({ createdAfter: cut })).toEqual(late.map((j) => j.id));
    expect(await ids({ createdBefore: cut })).toEqual([early.id]);
    expect(await ids({ createdAfter: early.createdAt, createdBefore: cut })).toEqual([early.id]);
    expect(await ids({ search: 'example.com' })).toEqual([early.id, late[0]!.id]);
    expect(await ids({ search: 'cy@' })).toEqual([late[1]!.id]);
    expect(await ids({ search: 'nobody' })).toEqual([]);
    expect(await ids({ scheduleName: 'nightly' })).toEqual([late[1]!.id]);
    expect(await ids({ scheduleName: 'nightly', search: 'example' })).toEqual([]);
  });

  test('cursor paging visits every job once, newest first and oldest first', async (store) => {
    const jobs = await enqueueMany(store, 10);
    const ids = jobs.map((j) => j.id);
    expect(await listAll(store, {})).toEqual([...ids].reverse());
    expect(await listAll(store, { order: 'asc' })).toEqual(ids);
    expect(await listAll(store, { order: 'asc' }, 5)).toEqual(ids);
    expect(await listAll(store, { order: 'asc' }, 10)).toEqual(ids);
    const one = await store.listJobs({ limit: 10 });
    expect(one.nextCursor).toBeNull();
  });

  test('cursor paging has no duplicates or gaps while jobs are inserted', async (store) => {
    const original = (await enqueueMany(store, 12)).map((j) => j.id);
    for (const order of ['desc', 'asc'] as const) {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page = await store.listJobs({ limit: 4, order, cursor });
        seen.push(...page.jobs.map((j) => j.id));
        cursor = page.nextCursor;
        await store.enqueue({ jobs: [newJob(), newJob()] });
      } while (cursor !== null);
      expect(new Set(seen).size).toBe(seen.length);
      const fromOriginal = seen.filter((id) => original.includes(id));
      expect(fromOriginal).toEqual(order === 'desc' ? [...original].reverse() : original);
      if (order === 'desc') expect(seen).toEqual(fromOriginal);
    }
  });

  test('cursor paging works with filters', async (store) => {
    const jobs = await enqueueMany(store, 9, (i) => ({ queue: i % 3 === 0 ? 'pick' : 'skip' }));
    const picked = jobs.filter((j) => j.queue === 'pick').map((j) => j.id);
    expect(await listAll(store, { queue: 'pick', order: 'asc' }, 2)).toEqual(picked);
    const claimed = await claim(store, { queue: 'skip', limit: 6 });
    for (const c of claimed.slice(4)) expect(await start(store, c)).toBe('applied');
    const completed = claimed.slice(0, 4).map((c) => c.id);
    for (const c of claimed.slice(0, 4)) await settle(store, c, { kind: 'complete', resultJson: null });
    const newestFirst = jobs.map((j) => j.id).filter((id) => completed.includes(id)).reverse();
    expect(await listAll(store, { states: ['completed'] }, 1)).toEqual(newestFirst);
    expect(await listAll(store, { states: ['completed'] }, 3)).toEqual(newestFirst);
    expect(await listAll(store, { states: ['active'], queue: 'skip', order: 'asc' }, 1)).toEqual(
      jobs.map((j) => j.id).filter((id) => claimed.slice(4).some((c) => c.id === id)),
    );
  });

  test('a cursor that the store did not issue is rejected', async (store) => {
    await enqueueOne(store);
    const e = await store.listJobs({ limit: 10, cursor: '%%%garbage' }).then(
      () => null,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(Error);
    expect(typeof (e as { code?: unknown }).code).toBe('string');
  });

  test('countJobs counts by state per queue', async (store) => {
    await oneOfEach(store, 'qa');
    await oneOfEach(store, 'qb');
    await enqueueMany(store, 2, () => ({ queue: 'qb' }));
    const counts = (await store.countJobs()).sort((x, y) => x.queue.localeCompare(y.queue));
    const one = { waiting: 1, delayed: 1, active: 1, completed: 1, failed: 1, cancelled: 1 };
    expect(counts).toEqual([
      { queue: 'qa', counts: one },
      { queue: 'qb', counts: { ...one, waiting: 3 } },
    ]);
    expect(await store.countJobs({ queue: 'qa' })).toEqual([{ queue: 'qa', counts: one }]);
    expect(await store.countJobs({ queue: 'empty' })).toEqual([{ queue: 'empty', counts: emptyCounts() }]);
  });

  test('a delayed job whose time has come counts, lists and reads as waiting', async (store) => {
    const job = await enqueueOne(store, { delayMs: 400 });
    expect((await store.countJobs())[0]!.counts).toMatchObject({ waiting: 0, delayed: 1 });
    await sleep(600);
    expect((await store.countJobs())[0]!.counts).toMatchObject({ waiting: 1, delayed: 0 });
    expect((await store.getJob({ jobId: job.id }))!.state).toBe('waiting');
    expect((await store.listJobs({ limit: 10, states: ['waiting'] })).jobs.map((j) => j.id)).toEqual([job.id]);
    expect((await store.listJobs({ limit: 10, states: ['delayed'] })).jobs).toEqual([]);
  });

  test('invalid list parameters are rejected with a typed error', async (store) => {
    await expectCode(store.listJobs({ limit: 0 }), 'INVALID_OPTION');
    await expectCode(store.listJobs({ limit: 10, states: ['nope' as JobState] }), 'INVALID_OPTION');
  });
}
