import { afterEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../core/clock.js';
import { AbortReason, PermanentError } from '../core/errors.js';
import type { Docket } from '../docket.js';
import type { DocketEventName, DocketEvents } from '../runtime/events.js';
import { createTestDocket } from '../testing/index.js';

const dockets: Docket[] = [];
afterEach(async () => {
  for (const d of dockets.splice(0)) await d.close({ graceMs: 0 });
});

function setup(options: Parameters<typeof createTestDocket>[0] = {}) {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const docket = createTestDocket({ clock, ...options });
  dockets.push(docket);
  return { clock, docket };
}

/** The next event of that kind (matching `where`), as a promise. */
function next<E extends DocketEventName>(docket: Docket, event: E, where: (e: DocketEvents[E]) => boolean = () => true): Promise<DocketEvents[E]> {
  return new Promise((resolve) => {
    const off = docket.on(event, (e) => {
      if (!where(e)) return;
      off();
      resolve(e);
    });
  });
}

/** A handler body that waits for its signal and reports the reason. */
function waitForAbort(signal: AbortSignal): Promise<AbortReason> {
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(signal.reason as AbortReason), { once: true }));
}

describe('Worker on in-memory SQLite', () => {
  it('runs a job and stores its result', async () => {
    const { docket } = setup();
    const add = docket.defineJob('add', { handler: async (d: { a: number; b: number }) => d.a + d.b });
    await docket.start();
    const job = await add.enqueue({ a: 2, b: 3 });
    await expect(job.wait()).resolves.toBe(5);
    expect(await docket.getJob(job.id)).toMatchObject({ state: 'completed', result: 5, attempt: 1, leaseToken: null });
  });

  it('a timeout stops the handler through its AbortSignal and the attempt is retried', async () => {
    const { clock, docket } = setup();
    const reasons: AbortReason[] = [];
    const slow = docket.defineJob('slow', {
      timeoutMs: 1_000,
      maxAttempts: 2,
      retry: { backoff: { type: 'fixed', delayMs: 5_000 }, jitter: 0 },
      handler: async (_: null, ctx) => {
        const reason = await waitForAbort(ctx.signal);
        reasons.push(reason);
        throw reason;
      },
    });
    await docket.start();
    const started = next(docket, 'job:started');
    const job = await slow.enqueue(null);
    await started;
    const retrying = next(docket, 'job:retrying');
    await clock.advance(1_000);
    const e = await retrying;
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toMatchObject({ kind: 'timeout' });
    expect(e).toMatchObject({ jobId: job.id, attempt: 1, delayMs: 5_000, error: { code: 'JOB_TIMEOUT' } });
    expect(await docket.getJob(job.id)).toMatchObject({ state: 'delayed', attempt: 1, error: { code: 'JOB_TIMEOUT' } });
  });

  it('cancelling an active job aborts its signal with a cancel reason and records cancelled', async () => {
    const { docket } = setup();
    let reason: AbortReason | undefined;
    const long = docket.defineJob('long', {
      handler: async (_: null, ctx) => {
        reason = await waitForAbort(ctx.signal);
        throw reason;
      },
    });
    await docket.start();
    const started = next(docket, 'job:started');
    const job = await long.enqueue(null);
    await started;
    const cancelled = next(docket, 'job:cancelled');
    await expect(docket.cancel(job.id)).resolves.toMatchObject({ outcome: 'cancel_requested' });
    await cancelled;
    expect(reason).toBeInstanceOf(AbortReason);
    expect(reason?.kind).toBe('cancel');
    expect(await docket.getJob(job.id)).toMatchObject({ state: 'cancelled' });
    await expect(job.wait()).rejects.toMatchObject({ code: 'JOB_CANCELLED' });
  });

  it('records cancelled after cancelGraceMs when the handler ignores its signal', async () => {
    const { clock, docket } = setup({ worker: { cancelGraceMs: 2_000 } });
    let aborted = false;
    const stuck = docket.defineJob('stuck', {
      handler: (_: null, ctx) => {
        ctx.signal.addEventListener('abort', () => (aborted = true));
        return new Promise(() => undefined);
      },
    });
    await docket.start();
    const started = next(docket, 'job:started');
    const job = await stuck.enqueue(null);
    await started;
    await docket.cancel(job.id);
    expect(aborted).toBe(true);
    expect(await docket.getJob(job.id)).toMatchObject({ state: 'active', cancelRequested: true });
    const cancelled = next(docket, 'job:cancelled');
    await clock.advance(2_000);
    await cancelled;
    expect(await docket.getJob(job.id)).toMatchObject({ state: 'cancelled' });
    expect(docket.worker.activeCount).toBe(0);
  });

  it('retries with backoff until attempts run out, then fails with the last error', async () => {
    const { clock, docket } = setup();
    const attempts: number[] = [];
    const flaky = docket.defineJob('flaky', {
      maxAttempts: 3,
      retry: { backoff: { type: 'exponential', delayMs: 1_000, factor: 2 }, jitter: 0 },
      handler: async (_: null, ctx) => {
        attempts.push(ctx.attempt);
        throw new Error(`boom ${ctx.attempt}`);
      },
    });
    await docket.start();
    const first = next(docket, 'job:retrying');
    const job = await flaky.enqueue(null);
    expect(await first).toMatchObject({ attempt: 1, delayMs: 1_000 });
    const second = next(docket, 'job:retrying');
    await clock.advance(999);
    expect(attempts).toEqual([1]);
    await clock.advance(1);
    expect(await second).toMatchObject({ attempt: 2, delayMs: 2_000 });
    const failed = next(docket, 'job:failed');
    await clock.advance(2_000);
    expect(await failed).toMatchObject({ attempt: 3, error: { message: 'boom 3' } });
    expect(attempts).toEqual([1, 2, 3]);
    await expect(job.wait()).rejects.toMatchObject({ code: 'JOB_FAILED', failure: { message: 'boom 3' } });
  });

  it('events carry how long an attempt waited to start (waitMs) and how long a failing attempt ran (durationMs)', async () => {
    const { clock, docket } = setup();
    const gates: Array<() => void> = [];
    const job = docket.defineJob('gated', {
      queue: 'g',
      maxAttempts: 2,
      retry: { backoff: { type: 'fixed', delayMs: 0 }, jitter: 0 },
      handler: async (_: null, ctx) => {
        await new Promise<void>((resolve) => gates.push(resolve));
        throw new Error(`attempt ${ctx.attempt}`);
      },
    });
    await docket.pauseQueue('g');
    await docket.start();
    const handle = await job.enqueue(null);
    await clock.advance(5_000); // runnable all along, but its queue is paused
    const firstStart = next(docket, 'job:started');
    await docket.resumeQueue('g');
    expect(await firstStart).toMatchObject({ jobId: handle.id, attempt: 1, waitMs: 5_000 });

    const retrying = next(docket, 'job:retrying');
    const secondStart = next(docket, 'job:started', (e) => e.attempt === 2);
    await clock.advance(250);
    gates.shift()!();
    expect(await retrying).toMatchObject({ attempt: 1, delayMs: 0, durationMs: 250 });
    // the retry was runnable at once and claimed at once: it waited for nothing
    expect(await secondStart).toMatchObject({ attempt: 2, waitMs: 0 });
    const failed = next(docket, 'job:failed');
    await clock.advance(40);
    gates.shift()!();
    expect(await failed).toMatchObject({ attempt: 2, durationMs: 40, error: { message: 'attempt 2' } });
  });

  it('a PermanentError fails the job at once', async () => {
    const { docket } = setup();
    const handler = vi.fn(async () => {
      throw new PermanentError('bad address');
    });
    const mail = docket.defineJob('mail', { maxAttempts: 5, handler });
    await docket.start();
    const job = await mail.enqueue(null);
    await expect(job.wait()).rejects.toMatchObject({ code: 'JOB_FAILED', failure: { name: 'PermanentError', message: 'bad address' } });
    expect(handler).toHaveBeenCalledOnce();
    expect(await docket.getJob(job.id)).toMatchObject({ state: 'failed', attempt: 1 });
  });

  it('snooze runs the job again later without counting the attempt', async () => {
    const { clock, docket } = setup();
    const seen: number[] = [];
    const poll = docket.defineJob('poll', {
      maxAttempts: 1,
      handler: async (_: null, ctx) => {
        seen.push(ctx.attempt);
        if (seen.length === 1) ctx.snooze(60_000);
        return 'ready';
      },
    });
    await docket.start();
    const snoozed = next(docket, 'job:snoozed');
    const job = await poll.enqueue(null);
    expect(await snoozed).toMatchObject({ delayMs: 60_000 });
    expect(await docket.getJob(job.id)).toMatchObject({ state: 'delayed', attempt: 0 });
    await clock.advance(60_000);
    await expect(job.wait()).resolves.toBe('ready');
    expect(seen).toEqual([1, 1]);
  });

  it('coalesces progress: many reports, one write per progressFlushMs, the last value stored', async () => {
    const { clock, docket } = setup({ worker: { progressFlushMs: 250 } });
    const saveProgress = vi.spyOn(docket.store, 'saveProgress');
    let finish!: () => void;
    const gate = new Promise<void>((r) => (finish = r));
    const work = docket.defineJob('work', {
      handler: async (_: null, ctx) => {
        for (let i = 1; i <= 500; i++) ctx.progress(i, 1_000, `step ${i}`);
        await gate;
        ctx.progress(1_000, 1_000, 'done');
        return 'ok';
      },
    });
    const progress: number[] = [];
    docket.on('job:progress', (e) => progress.push(e.progress.current));
    await docket.start();
    const started = next(docket, 'job:started');
    const job = await work.enqueue(null);
    await started;
    expect(saveProgress).not.toHaveBeenCalled();
    await clock.advance(250);
    expect(saveProgress).toHaveBeenCalledOnce();
    expect(await docket.getJob(job.id)).toMatchObject({ progress: { current: 500, total: 1_000, message: 'step 500' } });
    finish();
    // The final report is written before the completion, without waiting for the interval.
    await expect(job.wait()).resolves.toBe('ok');
    expect(saveProgress).toHaveBeenCalledTimes(2);
    expect(progress).toEqual([500, 1_000]);
    expect(await docket.getJob(job.id)).toMatchObject({ progress: { current: 1_000, message: 'done' } });
  });

  it('graceful shutdown waits for the grace, then aborts and puts unfinished jobs straight back', async () => {
    const { clock, docket } = setup({ worker: { concurrency: 3 } });
    const reasons: AbortReason[] = [];
    let releaseQuick!: () => void;
    const quickGate = new Promise<void>((r) => (releaseQuick = r));
    docket.defineJob('quick', { handler: async () => quickGate.then(() => 'quick done') });
    docket.defineJob('slow', {
      handler: async (_: null, ctx) => {
        reasons.push(await waitForAbort(ctx.signal));
        return 'too late';
      },
    });
    await docket.start();
    const running = new Promise<void>((resolve) => {
      let n = 0;
      docket.on('job:started', () => ++n === 3 && resolve());
    });
    const quick = await docket.enqueue('quick', null);
    const slow = await docket.enqueueMany([{ name: 'slow', data: null }, { name: 'slow', data: null }]);
    await running;
    const stopped = docket.stop({ graceMs: 5_000 });
    releaseQuick();
    await expect(quick.wait()).resolves.toBe('quick done');
    expect(reasons).toEqual([]);
    const released: string[] = [];
    docket.on('job:released', (e) => released.push(e.jobId));
    await clock.advance(5_000);
    await stopped;
    expect(reasons.map((r) => r.kind)).toEqual(['shutdown', 'shutdown']);
    expect(released.sort()).toEqual(slow.map((j) => j.id).sort());
    for (const j of slow) {
      // Back to waiting at once (no lease to expire), the attempt not counted.
      expect(await docket.getJob(j.id)).toMatchObject({ state: 'waiting', attempt: 0, leaseToken: null });
    }
    expect(await docket.store.listWorkers({ aliveWithinMs: 60_000 })).toEqual([]);
  });

  it('respects the per-worker and per-queue concurrency', async () => {
    const { docket } = setup({ worker: { concurrency: 3 }, queues: { narrow: { concurrency: 1 } } });
    let running = 0;
    let peak = 0;
    const peakByQueue = new Map<string, number>();
    const runningByQueue = new Map<string, number>();
    const handler = async (_: null, ctx: { job: { queue: string } }) => {
      const q = ctx.job.queue;
      running++;
      runningByQueue.set(q, (runningByQueue.get(q) ?? 0) + 1);
      peak = Math.max(peak, running);
      peakByQueue.set(q, Math.max(peakByQueue.get(q) ?? 0, runningByQueue.get(q)!));
      await new Promise((r) => setImmediate(r));
      running--;
      runningByQueue.set(q, runningByQueue.get(q)! - 1);
    };
    docket.defineJob('n', { queue: 'narrow', handler });
    docket.defineJob('w', { queue: 'wide', handler });
    const jobs = await docket.enqueueMany([...Array.from({ length: 10 }, () => ({ name: 'n', data: null })), ...Array.from({ length: 10 }, () => ({ name: 'w', data: null }))]);
    await docket.start();
    await Promise.all(jobs.map((j) => j.wait()));
    expect(peak).toBe(3);
    expect(peakByQueue.get('narrow')).toBe(1);
  });

  it('a lost lease aborts the handler with lease-lost and discards its outcome', async () => {
    const { clock, docket } = setup({ worker: { leaseMs: 3_000 } });
    let reason: AbortReason | undefined;
    const j = docket.defineJob('j', {
      handler: async (_: null, ctx) => {
        reason = await waitForAbort(ctx.signal);
        return 'late';
      },
    });
    await docket.start();
    const started = next(docket, 'job:started');
    const job = await j.enqueue(null);
    await started;
    vi.spyOn(docket.store, 'extendLeases').mockResolvedValueOnce({ lost: [job.id], cancelRequested: [] });
    const lost = next(docket, 'job:lease-lost');
    await clock.advance(1_000); // the heartbeat (leaseMs / 3)
    expect(await lost).toMatchObject({ jobId: job.id });
    expect(reason?.kind).toBe('lease-lost');
    expect(docket.worker.activeCount).toBe(0);
    // Nothing was applied: the store still has the job active (the rescuer will return it).
    expect(await docket.getJob(job.id)).toMatchObject({ state: 'active' });
  });

  it('keeps its liveness row with the active job count', async () => {
    const { docket } = setup({ worker: { id: 'w-1' } });
    await docket.start();
    expect(await docket.store.listWorkers({ aliveWithinMs: 60_000 })).toEqual([expect.objectContaining({ id: 'w-1', pid: process.pid, activeJobs: 0 })]);
    await docket.stop();
    expect(await docket.store.listWorkers({ aliveWithinMs: 60_000 })).toEqual([]);
  });

  it('does not claim paused queues until resumed', async () => {
    const { docket } = setup();
    const j = docket.defineJob('j', { queue: 'q', handler: async () => 'ran' });
    await docket.pauseQueue('q');
    await docket.start();
    const job = await j.enqueue(null);
    await new Promise((r) => setImmediate(r));
    expect(await docket.getJob(job.id)).toMatchObject({ state: 'waiting' });
    await docket.resumeQueue('q');
    await expect(job.wait()).resolves.toBe('ran');
  });
});

describe('Worker polling', () => {
  it('keeps polling when a timer fires a little before the clock says the poll is due', async () => {
    // Real timers may fire a millisecond early by Date.now(); this clock's always do.
    class EarlyClock extends ManualClock {
      override setTimeout(fn: () => void, ms: number) {
        return super.setTimeout(fn, Math.max(0, ms - 1));
      }
    }
    const clock = new EarlyClock(Date.UTC(2026, 0, 1));
    const docket = createTestDocket({ clock, worker: { pollIntervalMs: 20 } });
    dockets.push(docket);
    const later = docket.defineJob('later', { handler: async () => 'ran' });
    await docket.start();
    // Runnable in 200 ms; nothing will announce it then: only polling finds it.
    const job = await later.enqueue(null, { delayMs: 200 });
    // 1 ms steps, letting the worker's round (setImmediate) run at each: the clock stands where the timer fired.
    for (let t = 0; t < 300; t++) {
      await clock.advance(1);
      await new Promise((r) => setImmediate(r));
    }
    expect(await docket.getJob(job.id)).toMatchObject({ state: 'completed', result: 'ran' });
  });
});
