import type { Logger } from 'pino';
import type { Clock } from '../core/clock.js';
import type { ClaimedJob } from '../core/job.js';
import type { AttemptOutcome } from '../core/outcome.js';
import type { DocketEventEmitter } from '../runtime/events.js';
import { Attempt } from './attempt.js';

/** An outcome on its way to the store: a started attempt's, or that of a buffered job never started (released, cancelled). */
export type Ended = Attempt | UnstartedEnd;
export interface UnstartedEnd {
  job: ClaimedJob;
  outcome: AttemptOutcome;
}

/**
 * The `job:*` events of one worker's attempts, each emitted once the store
 * has what it reports, so a listener that reads the job sees the same:
 * `job:started` when the start is written (alone, or with the outcome of a
 * job that started and ended between two store rounds), the outcome events
 * when the outcome is, `job:lease-lost` when a write was refused. Wait
 * times are measured to the handler's real start, not to the write.
 */
export class JobAnnouncer {
  /** Started attempts whose start the store has not confirmed yet, with their wait (ms). */
  private readonly waiting = new Map<Attempt, number>();

  constructor(
    private readonly events: DocketEventEmitter,
    private readonly log: Logger,
    private readonly clock: Clock,
    private readonly workerId: string,
  ) {}

  /** The handler started after waiting `waitMs` since the job's run time; announced when the store has it. */
  starting(attempt: Attempt, waitMs: number): void {
    this.waiting.set(attempt, waitMs);
  }

  /** The store has the start. */
  started(attempt: Attempt): void {
    const waitMs = this.waiting.get(attempt);
    if (waitMs === undefined) return;
    this.waiting.delete(attempt);
    const { job } = attempt;
    this.events.emit('job:started', { jobId: job.id, name: job.name, queue: job.queue, attempt: job.attempt, workerId: this.workerId, waitMs });
  }

  /** The attempt is done with (its outcome written or discarded): nothing more to announce for it. */
  forget(attempt: Attempt): void {
    this.waiting.delete(attempt);
  }

  /** The store has the outcome (and, for a short job, the start with it). */
  ended(ended: Ended, outcome: AttemptOutcome): void {
    const { events } = this;
    const { job } = ended;
    const started = ended instanceof Attempt;
    if (started) this.started(ended);
    const durationMs = started ? this.clock.now() - ended.startedAt : 0;
    // CPU time and peak memory of an isolated attempt (null in-process).
    const usage = started ? ended.usage : null;
    if (outcome.kind === 'complete') {
      // The hot path: built in one literal (no spread).
      const result = started ? ended.result : undefined;
      events.emit('job:completed', { jobId: job.id, name: job.name, queue: job.queue, attempt: job.attempt, result, durationMs, usage });
      return;
    }
    const base = { jobId: job.id, name: job.name, queue: job.queue };
    switch (outcome.kind) {
      case 'retry':
        this.log.info({ jobId: job.id, job: job.name, attempt: job.attempt, delayMs: outcome.delayMs, err: outcome.failure.message }, 'job failed; retrying');
        events.emit('job:retrying', { ...base, attempt: job.attempt, error: outcome.failure, delayMs: outcome.delayMs, durationMs, usage });
        return;
      case 'fail':
        this.log.warn({ jobId: job.id, job: job.name, attempt: job.attempt, err: outcome.failure.message }, 'job failed');
        events.emit('job:failed', { ...base, attempt: job.attempt, error: outcome.failure, durationMs, usage });
        return;
      case 'snooze':
        events.emit('job:snoozed', { ...base, attempt: job.attempt, delayMs: outcome.delayMs });
        return;
      case 'release':
        events.emit('job:released', { ...base, attempt: job.attempt });
        return;
      case 'cancel':
        events.emit('job:cancelled', { ...base, reason: outcome.reason });
        return;
    }
  }

  /** A write was refused: the job is no longer this worker's. */
  leaseLost(job: ClaimedJob): void {
    this.log.warn({ jobId: job.id, job: job.name, attempt: job.attempt }, 'lease lost; this attempt is discarded');
    this.events.emit('job:lease-lost', { jobId: job.id, name: job.name, queue: job.queue, attempt: job.attempt });
  }
}
