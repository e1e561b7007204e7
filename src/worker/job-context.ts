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
  /** The `handler.options` of a handler loaded from a module (JSON; undefined otherwise). */
  readonly handlerOptions: unknown;
}

export type ProgressInput = Omit<JobProgress, 'updatedAt'>;

/** What a context needs of its attempt: the signal (made on first use) and where progress goes. */
export interface ContextOwner {
  readonly signal: AbortSignal;
  reportProgress(progress: ProgressInput): void;
}

/**
 * The handler's context. A class with getters rather than an object of
 * closures: a busy worker makes one per job, and most handlers touch little
 * of it. Destructuring still works (`const { signal, progress, log } = ctx`):
 * the getters run then, and `progress` is a function bound to its attempt.
 */
class AttemptContext implements JobContext {
  readonly jobId: string;
  readonly attempt: number;
  private boundProgress: JobContext['progress'] | undefined;
  private childLog: Logger | undefined;

  constructor(
    readonly job: ClaimedJob,
    private readonly owner: ContextOwner,
    private readonly logger: Logger,
    readonly handlerOptions: unknown,
  ) {
    this.jobId = job.id;
    this.attempt = job.attempt;
  }

  get signal(): AbortSignal {
    return this.owner.signal;
  }

  get progress(): JobContext['progress'] {
    const owner = this.owner;
    return (this.boundProgress ??= (current, total = null, message = null) => owner.reportProgress(checkProgress(current, total, message)));
  }

  // A child logger per job costs an allocation; most handlers never log.
  get log(): Logger {
    const { job } = this;
    return (this.childLog ??= this.logger.child({ jobId: job.id, job: job.name, queue: job.queue, attempt: job.attempt }));
  }

  snooze(delayMs: number): never {
    return snooze(delayMs);
  }
}

function snooze(delayMs: number): never {
  if (typeof delayMs !== 'number' || !Number.isFinite(delayMs) || delayMs < 0) {
    throw new ValidationError('INVALID_OPTION', 'snooze.delayMs', `snooze(delayMs) needs a non-negative number of ms (got ${String(delayMs)})`);
  }
  throw new SnoozeSignal(Math.round(delayMs));
}

export function createJobContext(job: ClaimedJob, owner: ContextOwner, logger: Logger, handlerOptions?: unknown): JobContext {
  return new AttemptContext(job, owner, logger, handlerOptions);
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
