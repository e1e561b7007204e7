import { afterEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../core/clock.js';
import type { NewJob } from '../core/job.js';
import type { Docket } from '../docket.js';
import { createTestDocket } from '../testing/index.js';

const dockets: Docket[] = [];
afterEach(async () => {
  for (const d of dockets.splice(0)) await d.close({ graceMs: 0 });
});

function setup(options: Parameters<typeof createTestDocket>[0] = {}) {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const docket = createTestDocket({ clock, worker: { enabled: false }, ...options });
  dockets.push(docket);
  return { clock, docket, store: docket.store };
}

function newJob(queue = 'q', name = 'j'): NewJob {
  return { name, queue, dataJson: 'null', priority: 0, delayMs: 0, runAt: null, maxAttempts: 5, timeoutMs: null, idempotencyKey: null, keepKeyForever: false, releaseKeyOnFailure: false, scheduleName: null, fireTime: null };
}

/** Enqueues `n` jobs in `queue` and completes them, `stepMs` apart on the clock. */
async function finishJobs(d: ReturnType<typeof setup>, n: number, queue: string, stepMs = 0): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    await d.store.enqueue({ jobs: [newJob(queue)] });
    const [job] = await d.store.claimJobs({ workerId: 'w', queues: [{ queue, limit: 1 }], names: ['j'], leaseMs: 30_000 });
    await d.store.applyTransitions({ transitions: [{ jobId: job!.id, leaseToken: job!.leaseToken, outcome: { kind: 'complete', resultJson: null } }] });
    ids.push(job!.id);
    await d.clock.advance(stepMs);
  }
  return ids;
}

describe('rescuer', () => {
  it('returns jobs with an expired lease to waiting and emits job:stalled; fails them after maxStalls', async () => {
    const d = setup({ maintenance: { enabled: false, maxStalls: 1 } });
    const stalled = vi.fn();
    d.docket.on('job:stalled', stalled);
    await d.docket.getJob('0'); // migrate
    const [enq] = await d.store.enqueue({ jobs: [newJob()] });
    // Claimed and started (a stall is a running job's): a worker that then died.
    const claim = async () => {
      const [c] = await d.store.claimJobs({ workerId: 'dead', queues: [{ queue: 'q', limit: 1 }], names: ['j'], leaseMs: 1_000 });
      expect(await d.store.applyTransitions({ transitions: [{ jobId: c!.id, leaseToken: c!.leaseToken, startedAgoMs: 0, outcome: null }] })).toEqual(['applied']);
    };
    await claim();
    await d.clock.advance(999);
    expect(await d.docket.maintenance.rescue()).toBe(0);
    await d.clock.advance(2);
    expect(await d.docket.maintenance.rescue()).toBe(1);
    expect(stalled).toHaveBeenLastCalledWith({ jobId: enq!.id, outcome: 'requeued' });
    expect(await d.docket.getJob(enq!.id)).toMatchObject({ state: 'waiting', stalls: 1 });
    await claim();
    await d.clock.advance(1_001);
    expect(await d.docket.maintenance.rescue()).toBe(1);
    expect(stalled).toHaveBeenLastCalledWith({ jobId: enq!.id, outcome: 'failed' });
    expect(await d.docket.getJob(enq!.id)).toMatchObject({ state: 'failed' });
  });

  it("returns a dead worker's reserved (never started) jobs with nothing counted, and no job:stalled", async () => {
    const d = setup({ maintenance: { enabled: false, maxStalls: 0 } });
    const stalled = vi.fn();
    d.docket.on('job:stalled', stalled);
    await d.docket.getJob('0'); // migrate
    const [enq] = await d.store.enqueue({ jobs: [newJob()] });
    await d.store.claimJobs({ workerId: 'dead', queues: [{ queue: 'q', limit: 1 }], names: ['j'], leaseMs: 1_000 });
    await d.clock.advance(1_001);
    expect(await d.docket.maintenance.rescue()).toBe(1);
    expect(stalled).not.toHaveBeenCalled();
    expect(await d.docket.getJob(enq!.id)).toMatchObject({ state: 'waiting', reserved: false, stalls: 0, attempt: 0 });
  });

  it('runs every rescueIntervalMs once started', async () => {
    const d = setup({ maintenance: { rescueIntervalMs: 100, pruneIntervalMs: 1_000_000 } });
    const rescue = vi.spyOn(d.store, 'rescueExpired');
    await d.docket.start();
    await d.clock.advance(0);
    expect(rescue).toHaveBeenCalledTimes(1);
    await d.clock.advance(300);
    expect(rescue).toHaveBeenCalledTimes(4);
    await d.docket.stop();
    await d.clock.advance(1_000);
    expect(rescue).toHaveBeenCalledTimes(4);
  });

  it('reports a failing pass as maintenance:error and keeps running', async () => {
    const d = setup({ maintenance: { rescueIntervalMs: 100 } });
    vi.spyOn(d.store, 'rescueExpired').mockRejectedValue(new Error('disk on fire'));
    const errors = vi.fn();
    d.docket.on('maintenance:error', errors);
    await d.docket.start();
    await d.clock.advance(200);
    expect(errors).toHaveBeenCalledWith({ task: 'rescue', error: new Error('disk on fire') });
    expect(errors.mock.calls.length).toBeGreaterThanOrEqual(2);
  });
});

describe('pruner', () => {
  it('keeps at most maxCount finished jobs per queue (the newest), per the queue retention', async () => {
    const d = setup({
      maintenance: { enabled: false },
      retention: { completed: { maxCount: 3, maxAgeMs: null } },
      queues: { keepall: { retention: { completed: { maxCount: null } } } },
    });
    await d.docket.start(); // stores the declared policy (nothing else is enabled)
    const ids = await finishJobs(d, 5, 'q', 10);
    await finishJobs(d, 5, 'keepall');
    expect(await d.docket.maintenance.prune()).toBe(2);
    const left = (await d.docket.listJobs({ queue: 'q', limit: 100 })).jobs.map((j) => j.id).sort();
    expect(left).toEqual(ids.slice(2).sort());
    expect((await d.docket.listJobs({ queue: 'keepall', limit: 100 })).jobs).toHaveLength(5);
  });

  it('deletes finished jobs older than maxAgeMs and leaves unfinished ones alone', async () => {
    const d = setup({ maintenance: { enabled: false }, retention: { completed: { maxAgeMs: 60_000, maxCount: null } } });
    await d.docket.start();
    const [old] = await finishJobs(d, 1, 'q');
    await d.store.enqueue({ jobs: [newJob('q')] });
    await d.clock.advance(30_000);
    const [recent] = await finishJobs(d, 1, 'q');
    await d.clock.advance(30_001);
    expect(await d.docket.maintenance.prune()).toBe(1);
    expect(await d.docket.getJob(old!)).toBeNull();
    expect(await d.docket.getJob(recent!)).not.toBeNull();
    expect((await d.docket.listJobs({ state: 'waiting' })).jobs).toHaveLength(1);
  });
});
