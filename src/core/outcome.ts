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

/**
 * A guarded write of a worker about one job it holds (reserved or active
 * under `leaseToken`): the start of its handler, its outcome, or both at
 * once (a short job starts and ends between two store rounds).
 */
export interface LeasedTransition {
  jobId: string;
  leaseToken: string;
  /**
   * The handler started this long ago (worker clock; the store subtracts it
   * from its own now, so clocks need not agree). Absent only for a job that
   * never started (released or cancelled while reserved).
   */
  startedAgoMs?: number;
  /** How the attempt ended; null when this write only records the start. */
  outcome: AttemptOutcome | null;
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

/**
 * Whether the write itself says the handler started: a start, a given
 * `startedAgoMs`, or an outcome only a run can have. A release or cancel
 * without `startedAgoMs` started exactly when the store has the job active.
 */
export function transitionStarted(t: LeasedTransition): boolean {
  return t.startedAgoMs !== undefined || t.outcome === null || RAN.has(t.outcome.kind);
}

/** Outcomes only a handler that ran can have. */
const RAN = new Set<OutcomeKind>(['complete', 'retry', 'fail', 'snooze']);

/**
 * The operation a leased write is, which decides its guard: `start` (from
 * reserved) or `end` (from reserved or active: the start may reach the store
 * with the end, and a job released or cancelled before it started ends from
 * reserved too).
 */
export function transitionOperation(t: LeasedTransition): 'start' | 'end' {
  return t.outcome === null ? 'start' : 'end';
}

/**
 * How the write changes the job's attempt count, from the state it finds:
 * +1 when it records the start (the job was reserved and the write says it
 * started), -1 when the outcome gives a started attempt back (snooze,
 * release). A job released or cancelled unstarted counts nothing.
 */
export function attemptDelta(t: LeasedTransition, from: 'reserved' | 'active'): number {
  const started = transitionStarted(t) || from === 'active';
  const counted = from === 'reserved' && started ? 1 : 0;
  const refunded = started && t.outcome !== null && outcomeRefundsAttempt(t.outcome) ? 1 : 0;
  return counted - refunded;
}
