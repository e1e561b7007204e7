import type { Clock, TimerHandle } from '../core/clock.js';
import { JobCancelledError, JobFailedError, JobNotFoundError, WaitTimeoutError } from '../core/errors.js';
import type { JobRecord } from '../core/job.js';
import type { DocketEventEmitter } from '../runtime/events.js';
import type { Store } from '../store/store.js';

/** First and last gap between store reads while waiting (the poll backs off). */
export const WAIT_POLL_MIN_MS = 50;
export const WAIT_POLL_MAX_MS = 1_000;

/**
 * Resolves with the job's result once it completed; rejects with
 * JobFailedError / JobCancelledError when it ended otherwise, JobNotFoundError
 * when it does not (or no longer) exist, WaitTimeoutError after `timeoutMs`.
 *
 * In-process events make it fast when this process ran the job; reading the
 * store (backing off from 50 ms to 1 s) makes it work when another did.
 */
export function waitForJob<T>(deps: { store: Store; waiters: JobEndWaiters; clock: Clock }, jobId: string, timeoutMs?: number): Promise<T> {
  const { store, waiters, clock } = deps;
  return new Promise<T>((resolve, reject) => {
    let done = false;
    let reading = false;
    let readAgain = false;
    let pollMs = WAIT_POLL_MIN_MS;
    let pollTimer: TimerHandle | null = null;
    let timeoutTimer: TimerHandle | null = null;
    const offs: Array<() => void> = [];

    const finish = (settle: () => void): void => {
      if (done) return;
      done = true;
      if (pollTimer) clock.clearTimeout(pollTimer);
      if (timeoutTimer) clock.clearTimeout(timeoutTimer);
      for (const off of offs) off();
      settle();
    };

    const read = async (): Promise<void> => {
      if (done) return;
      if (reading) {
        readAgain = true;
        return;
      }
      reading = true;
      if (pollTimer) clock.clearTimeout(pollTimer);
      pollTimer = null;
      try {
        do {
          readAgain = false;
          const job = await store.getJob({ jobId });
          if (!job) return finish(() => reject(new JobNotFoundError(jobId)));
          const outcome = settledOutcome<T>(job);
          if (outcome) return finish(() => (outcome.ok ? resolve(outcome.value) : reject(outcome.error)));
        } while (readAgain && !done);
      } catch (error) {
        return finish(() => reject(error));
      } finally {
        reading = false;
      }
      if (!done) {
        pollTimer = clock.setTimeout(() => void read(), pollMs);
        pollMs = Math.min(pollMs * 2, WAIT_POLL_MAX_MS);
      }
    };

    offs.push(waiters.add(jobId, () => void read()));
    if (timeoutMs !== undefined) {
      timeoutTimer = clock.setTimeout(() => finish(() => reject(new WaitTimeoutError(jobId, timeoutMs))), timeoutMs);
    }
    void read();
  });
}

/**
 * Routes "job ended" events to the waiters of that job: one listener per
 * event for the whole Docket, so thousands of concurrent waits stay O(1) each.
 */
export class JobEndWaiters {
  private readonly byJob = new Map<string, Set<() => void>>();

  constructor(events: DocketEventEmitter) {
    const notify = (e: { jobId: string }): void => {
      const set = this.byJob.get(e.jobId);
      if (set) for (const fn of [...set]) fn();
    };
    events.on('job:completed', notify);
    events.on('job:failed', notify);
    events.on('job:cancelled', notify);
  }

  add(jobId: string, fn: () => void): () => void {
    let set = this.byJob.get(jobId);
    if (!set) this.byJob.set(jobId, (set = new Set()));
    set.add(fn);
    return () => {
      set.delete(fn);
      if (set.size === 0 && this.byJob.get(jobId) === set) this.byJob.delete(jobId);
    };
  }

  get size(): number {
    return this.byJob.size;
  }
}

type Settled<T> = { ok: true; value: T } | { ok: false; error: Error };

function settledOutcome<T>(job: JobRecord): Settled<T> | null {
  switch (job.state) {
    case 'completed':
      return { ok: true, value: job.result as T };
    case 'failed': {
      const e = job.error;
      return { ok: false, error: new JobFailedError(job.id, e ? { message: e.message, name: e.name, ...(e.code ? { code: e.code } : {}), ...(e.stack ? { stack: e.stack } : {}) } : null) };
    }
    case 'cancelled':
      return { ok: false, error: new JobCancelledError(job.id) };
    default:
      return null;
  }
}
