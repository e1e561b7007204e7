import type { JobFailure, JobState } from './job.js';

/**
 * How one attempt ended, as the worker decided it (with `decideNextState`).
 * A store applies it to the job only if the job is still `active` under the
 * same lease token; the target state comes from `outcomeState`, never from
 * the store's own logic.
 */
export type AttemptOutcome =
  | { kind: 'complete'; resultJson: string | null }
  /** The attempt failed and counted; run again after `delayMs` (0: at once). */
  | { kind: 'retry'; delayMs: number; failure: JobFailure }
  /** No attempts left, or the error is permanent. */
  | { kind: 'fail'; failure: JobFailure }
  /** "Not yet": run again after `delayMs`; this attempt is not counted. */
  | { kind: 'snooze'; delayMs: number }
  /** Graceful shutdown put the job straight back; the attempt is not counted. */
  | { kind: 'release' }
  /** Cancelled while running. */
  | { kind: 'cancel'; reason: string };

export type OutcomeKind = AttemptOutcome['kind'];

/** A guarded transition: applied only while the job is active under `leaseToken`. */
export interface LeasedTransition {
  jobId: string;
  leaseToken: string;
  outcome: AttemptOutcome;
}

export type TransitionResult = 'applied' | 'lease_lost';

/** The state a job moves to for an outcome: the single source for stores. */
export function outcomeState(outcome: AttemptOutcome): JobState {
  switch (outcome.kind) {
    case 'complete':
      return 'completed';
    case 'fail':
      return 'failed';
    case 'cancel':
      return 'cancelled';
    case 'release':
      return 'waiting';
    case 'retry':
    case 'snooze':
      return outcome.delayMs > 0 ? 'delayed' : 'waiting';
  }
}

/** Whether the outcome gives the attempt back (the job's attempt count drops by one). */
export function outcomeRefundsAttempt(outcome: AttemptOutcome): boolean {
  return outcome.kind === 'snooze' || outcome.kind === 'release';
}

/** Delay before the job may run again, for outcomes that re-queue it. */
export function outcomeDelayMs(outcome: AttemptOutcome): number {
  return outcome.kind === 'retry' || outcome.kind === 'snooze' ? outcome.delayMs : 0;
}

/** The failure to record on the job, when the outcome has one. */
export function outcomeFailure(outcome: AttemptOutcome): JobFailure | null {
  return outcome.kind === 'retry' || outcome.kind === 'fail' ? outcome.failure : null;
}
