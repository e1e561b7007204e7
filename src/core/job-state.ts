import { InvalidTransitionError } from './errors.js';
import type { JobState } from './job.js';

/**
 * The state machine, in one place. Every state change any store applies is
 * one of these edges; stores check the guard (expected state, lease token),
 * core checks the edge.
 *
 *   waiting/delayed --claim--> active
 *   active --complete--> completed
 *   active --fail--> failed                    (attempts used up, or PermanentError)
 *   active --retry--> delayed | waiting        (backoff; the attempt counted)
 *   active --snooze--> delayed                 (the attempt did not count)
 *   active --release--> waiting                (graceful shutdown; the attempt did not count)
 *   active --rescue--> waiting | failed        (lease expired; the attempt counted)
 *   waiting/delayed/active --cancel--> cancelled
 *   delayed --promote--> waiting               (run now)
 *   failed/cancelled/completed --retry-manually--> waiting
 */
export const TRANSITIONS: Readonly<Record<JobState, readonly JobState[]>> = {
  waiting: ['active', 'cancelled'],
  delayed: ['active', 'waiting', 'cancelled'],
  active: ['completed', 'failed', 'delayed', 'waiting', 'cancelled'],
  completed: ['waiting'],
  failed: ['waiting'],
  cancelled: ['waiting'],
};

export function canTransition(from: JobState, to: JobState): boolean {
  return TRANSITIONS[from].includes(to);
}

export function assertTransition(from: JobState, to: JobState, jobId?: string): void {
  if (!canTransition(from, to)) throw new InvalidTransitionError(from, to, jobId);
}

/** States from which an operator may cancel a job. */
export const CANCELLABLE_STATES: readonly JobState[] = (Object.keys(TRANSITIONS) as JobState[]).filter((s) =>
  canTransition(s, 'cancelled'),
);

/** States from which an operator may put a job back to `waiting` (retry / run again). */
export const RETRYABLE_STATES: readonly JobState[] = ['completed', 'failed', 'cancelled'];
