import type { Logger } from 'pino';
import { SnoozeSignal, ValidationError } from '../core/errors.js';
import type { ClaimedJob, JobProgress } from '../core/job.js';

/** What a handler gets besides its data. */
export interface JobContext {
  /** The job as claimed (state `active`, this attempt's lease). */
  readonly job: ClaimedJob;
  readonly jobId: string;
  /** This attempt, 1-based. */
  readonly attempt: number;
  /**
   * Fires when the handler should stop; `signal.reason` is an `AbortReason`
   * whose `kind` is `timeout`, `cancel`, `shutdown` or `lease-lost`. Pass it
   * to fetch, timers and child processes.
   */
  readonly signal: AbortSignal;
  /** Records progress; writes are coalesced (at most every `worker.progressFlushMs`). */
  progress(current: number, total?: number | null, message?: string | null): void;
  /** A pino child logger with the job's context on every line. */
  readonly log: Logger;
  /** Ends this attempt and runs the job again after `delayMs`, without counting the attempt. */
  snooze(delayMs: number): never;
}

export type ProgressInput = Omit<JobProgress, 'updatedAt'>;

export function createJobContext(job: ClaimedJob, signal: AbortSignal, logger: Logger, onProgress: (p: ProgressInput) => void): JobContext {
  let log: Logger | undefined;
  return {
    job,
    jobId: job.id,
    attempt: job.attempt,
    signal,
    progress(current, total = null, message = null) {
      onProgress(checkProgress(current, total, message));
    },
    // A child logger per job costs an allocation; most handlers never log.
    get log() {
      return (log ??= logger.child({ jobId: job.id, job: job.name, queue: job.queue, attempt: job.attempt }));
    },
    snooze(delayMs: number): never {
      if (typeof delayMs !== 'number' || !Number.isFinite(delayMs) || delayMs < 0) {
        throw new ValidationError('INVALID_OPTION', 'snooze.delayMs', `snooze(delayMs) needs a non-negative number of ms (got ${String(delayMs)})`);
      }
      throw new SnoozeSignal(Math.round(delayMs));
    },
  };
}

function checkProgress(current: unknown, total: unknown, message: unknown): ProgressInput {
  if (typeof current !== 'number' || !Number.isFinite(current)) {
    throw new ValidationError('INVALID_OPTION', 'progress.current', `progress(current) needs a finite number (got ${String(current)})`);
  }
  if (total !== null && (typeof total !== 'number' || !Number.isFinite(total))) {
    throw new ValidationError('INVALID_OPTION', 'progress.total', `progress total must be a finite number or null (got ${String(total)})`);
  }
  if (message !== null && typeof message !== 'string') {
    throw new ValidationError('INVALID_OPTION', 'progress.message', 'progress message must be a string or null');
  }
  return { current, total, message: message === null ? null : message.slice(0, 1_000) };
}
