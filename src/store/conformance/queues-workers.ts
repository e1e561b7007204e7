import { expect } from 'vitest';
import type { WorkerInfoInput } from '../store.js';
import { emptyCounts } from '../store.js';
import type { Define } from './harness.js';
import { claimJob, enqueueOne, nextNotification, sleep, storeNow } from './helpers.js';

function worker(overrides: Partial<WorkerInfoInput> = {}): WorkerInfoInput {
  return {
    id: 'worker-a',
    host: 'host-1',
    pid: 1234,
    queues: ['default', 'mail'],
    concurrency: 8,
    activeJobs: 2,
    startedAt: new Date(Date.UTC(2026, 0, 1)),
    ...overrides,
  };
}

export function queueWorkerTests(test: Define): void {
  test('a paused queue is listed even without jobs, and resumes', async (store) => {
    expect(await store.listQueues()).toEqual([]);
    await store.setQueuePaused({ queue: 'mail', paused: true });
    await store.setQueuePaused({ queue: 'mail', paused: true });
    expect(await store.listQueues()).toEqual([{ queue: 'mail', paused: true, counts: emptyCounts(), policy: { paused: true } }]);
    expect(await store.countJobs()).toEqual([{ queue: 'mail', counts: emptyCounts() }]);
    await store.setQueuePaused({ queue: 'mail', paused: false });
    const after = await store.listQueues();
    expect(after.filter((q) => q.paused)).toEqual([]);
  });

  test('listQueues shows every queue with jobs, its counts and pause flag', async (store) => {
    await enqueueOne(store, { queue: 'alpha' });
    const b = await enqueueOne(store, { queue: 'beta' });
    await claimJob(store, b);
    await store.setQueuePaused({ queue: 'beta', paused: true });
    const queues = (await store.listQueues()).sort((x, y) => x.queue.localeCompare(y.queue));
    expect(queues).toEqual([
      { queue: 'alpha', paused: false, counts: { ...emptyCounts(), waiting: 1 }, policy: {} },
      { queue: 'beta', paused: true, counts: { ...emptyCounts(), active: 1 }, policy: { paused: true } },
    ]);
  });

  test('a bad queue name is rejected', async (store) => {
    const e = await store.setQueuePaused({ queue: 'bad queue!', paused: true }).then(
      () => null,
      (err: unknown) => err,
    );
    expect((e as { code?: unknown }).code).toBe('INVALID_NAME');
    expect(await store.listQueues()).toEqual([]);
  });

  test('recordWorker registers a worker and updates it; listWorkers reads it back', async (store) => {
    const before = await storeNow(store);
    await store.recordWorker({ worker: worker() });
    let [w] = await store.listWorkers({ aliveWithinMs: 60_000 });
    expect(w).toMatchObject({ ...worker() });
    expect(w!.lastHeartbeatAt.getTime()).toBeGreaterThanOrEqual(before);
    await store.recordWorker({ worker: worker({ activeJobs: 7 }) });
    await store.recordWorker({ worker: worker({ id: 'worker-b', queues: ['x'] }) });
    const all = await store.listWorkers({ aliveWithinMs: 60_000 });
    expect(all).toHaveLength(2);
    [w] = all.filter((x) => x.id === 'worker-a');
    expect(w!.activeJobs).toBe(7);
  });

  test('listWorkers leaves out workers not seen within aliveWithinMs', async (store) => {
    await store.recordWorker({ worker: worker({ id: 'stale' }) });
    await sleep(400);
    await store.recordWorker({ worker: worker({ id: 'fresh' }) });
    expect((await store.listWorkers({ aliveWithinMs: 200 })).map((w) => w.id)).toEqual(['fresh']);
    expect((await store.listWorkers({ aliveWithinMs: 60_000 })).map((w) => w.id).sort()).toEqual(['fresh', 'stale']);
  });

  test('removeWorker deletes the row', async (store) => {
    await store.recordWorker({ worker: worker() });
    await store.removeWorker({ workerId: 'worker-a' });
    await store.removeWorker({ workerId: 'never-existed' });
    expect(await store.listWorkers({ aliveWithinMs: 60_000 })).toEqual([]);
  });

  test('enqueue notifies subscribers that the queue has jobs', async (store) => {
    const next = nextNotification(store, (n) => n.type === 'jobs-available' && n.queue === 'wake');
    await enqueueOne(store, { queue: 'wake' });
    expect(await next.promise).toEqual({ type: 'jobs-available', queue: 'wake' });
  });

  test('an unsubscribed listener hears nothing more', async (store) => {
    const heard: unknown[] = [];
    const unsubscribe = store.subscribe((n) => heard.push(n));
    unsubscribe();
    // A second listener proves notifications still flow.
    const next = nextNotification(store, (n) => n.type === 'jobs-available');
    await enqueueOne(store, { queue: 'quiet' });
    await next.promise;
    expect(heard).toEqual([]);
  });

  test('now() is the clock the store stamps jobs with', async (store) => {
    const before = await storeNow(store);
    const job = await enqueueOne(store);
    const after = await storeNow(store);
    expect(job.createdAt.getTime()).toBeGreaterThanOrEqual(before);
    expect(job.createdAt.getTime()).toBeLessThanOrEqual(after);
  });
}
