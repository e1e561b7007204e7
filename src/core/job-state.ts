import { InvalidTransitionError } from './errors.js';
import { JOB_STATES, type JobFailure, type JobState } from './job.js';

/**
 * The state machine, in one place: the states a store keeps, the edges
 * between them, and the operations that produce each edge. Stores derive
 * their `state IN (…)` guards from `OPERATIONS`; core decides every target
 * state (outcome.ts, `decideRescue` below); a test checks that the
 * operations produce exactly the edges of `TRANSITIONS`, no more, no less.
 *
 * A store keeps one state more than users see: `reserved`, a job a worker
 * has claimed ahead of a free slot (its claim-ahead buffer). It holds a
 * lease, but its handler has not started, so it is not `active`; users see
 * it as `waiting` with `reserved: true` (see `publicState`). Its attempt
 * counts only when the handler starts (the `start` edge), so a dead
 * worker's reserved jobs go back without costing an attempt.
 *
 *   waiting/delayed --claim--> reserved
 *   reserved --start--> active                      (the handler started)
 *   reserved|active --end--> completed | failed | delayed | waiting | cancelled
 *                                                    (the attempt's outcome; from reserved
 *                                                     when start and end reach the store together)
 *                                                    (and release/cancel of a job never started: nothing counted)
 *   active --rescue--> waiting | failed | cancelled (lease expired; a stall)
 *   reserved --unreserve--> waiting | cancelled     (reservation expired; no attempt, no stall;
 *                                                    cancelled when a cancel was requested)
 *   waiting/delayed --cancel--> cancelled           (a reserved or active job is asked instead:
 *                                                    its worker ends it by `end`)
 *   delayed --promote--> waiting                    (run now)
 *   completed/failed/cancelled --retry--> waiting   (operator, fresh attempts)
 */
export const STORED_STATES = [...JOB_STATES, 'reserved'] as const;
export type StoredState = (typeof STORED_STATES)[number];

export const TRANSITIONS: Readonly<Record<StoredState, readonly StoredState[]>> = {
  waiting: ['reserved', 'cancelled'],
  delayed: ['reserved', 'waiting', 'cancelled'],
  reserved: ['active', 'completed', 'failed', 'delayed', 'waiting', 'cancelled'],
  active: ['completed', 'failed', 'delayed', 'waiting', 'cancelled'],
  completed: ['waiting'],
  failed: ['waiting'],
  cancelled: ['waiting'],
};

export type OperationName = 'claim' | 'start' | 'end' | 'rescue' | 'unreserve' | 'cancel' | 'promote' | 'retry';

/** One kind of state change: the states it may apply to (the store's guard) and those it may produce. */
export interface Operation {
  readonly from: readonly StoredState[];
  readonly to: readonly StoredState[];
}

/**
 * Every operation that changes a job's state. A store's guard for an
 * operation is `state IN (from)`; anything else is refused (the job moved
 * on: a stale lease, a finished job).
 */
export const OPERATIONS: Readonly<Record<OperationName, Operation>> = {
  claim: { from: ['waiting', 'delayed'], to: ['reserved'] },
  start: { from: ['reserved'], to: ['active'] },
  /**
   * An attempt's outcome (outcome.ts decides which target and the attempt
   * count). From reserved when the start reaches the store with the end, or
   * when a job never started is released (shutdown) or cancelled in the
   * worker's buffer.
   */
  end: { from: ['reserved', 'active'], to: ['completed', 'failed', 'delayed', 'waiting', 'cancelled'] },
  /** An active job whose lease expired (`decideRescue`). */
  rescue: { from: ['active'], to: ['waiting', 'failed', 'cancelled'] },
  /** A reserved job whose lease expired: back in line (or cancelled, if asked), nothing counted. */
  unreserve: { from: ['reserved'], to: ['waiting', 'cancelled'] },
  /**
   * Operator cancel of a job no worker holds. A reserved or active job is
   * asked instead (`cancelRequested`): the worker holding it is the one
   * writer of its end, so a handler it already started is never cut off by a
   * state change it has not seen.
   */
  cancel: { from: ['waiting', 'delayed'], to: ['cancelled'] },
  promote: { from: ['delayed'], to: ['waiting'] },
  retry: { from: ['completed', 'failed', 'cancelled'], to: ['waiting'] },
};

export function canTransition(from: StoredState, to: StoredState): boolean {
  return TRANSITIONS[from].includes(to);
}

export function assertTransition(from: StoredState, to: StoredState, jobId?: string): void {
  if (!canTransition(from, to)) throw new InvalidTransitionError(from, to, jobId);
}

/** The state users see: a reserved job is waiting (held by a worker, about to start). */
export function publicState(state: StoredState): JobState {
  return state === 'reserved' ? 'waiting' : state;
}

/** The stored states that read as one public state (list filters, counts). */
export function storedStatesOf(state: JobState): readonly StoredState[] {
  return state === 'waiting' ? ['waiting', 'reserved'] : [state];
}

/** `'a', 'b'` for a SQL `IN (…)` list; states are fixed identifiers, never user input. */
export function sqlStates(states: readonly StoredState[]): string {
  return states.map((s) => `'${s}'`).join(', ');
}

/** States from which an operator cancel ends a job at once (a held job is asked instead). */
export const CANCELLABLE_STATES: readonly StoredState[] = OPERATIONS.cancel.from;

/** States from which an operator may put a job back to `waiting` (retry / run again). */
export const RETRYABLE_STATES: readonly JobState[] = ['completed', 'failed', 'cancelled'];

/** States in which a worker holds a lease on the job. */
export const LEASED_STATES: readonly StoredState[] = ['reserved', 'active'];

// ---------------------------------------------------------------- rescue

/** What the rescuer found: a job whose lease expired (store clock). */
export interface ExpiredLease {
  state: 'reserved' | 'active';
  stalls: number;
  attempt: number;
  workerId: string | null;
  cancelRequested: boolean;
}

export type RescueDecision =
  /** Reserved, never started: back to waiting (cancelled if asked); no attempt, no stall. */
  | { op: 'unreserve'; to: 'waiting' | 'cancelled' }
  /** Its worker vanished mid-run: run again, a stall counted. */
  | { op: 'rescue'; to: 'waiting'; stalls: number; failure: JobFailure }
  /** Stalled more than maxStalls times: failed. */
  | { op: 'rescue'; to: 'failed'; stalls: number; failure: JobFailure }
  /** Its cancel was requested and its worker is gone: nobody else will record it. */
  | { op: 'rescue'; to: 'cancelled'; stalls: number };

/** The rescuer's decision for one expired lease; the store applies it under the `op`'s guard. */
export function decideRescue(job: ExpiredLease, maxStalls: number, now: Date): RescueDecision {
  if (job.state === 'reserved') return { op: 'unreserve', to: job.cancelRequested ? 'cancelled' : 'waiting' };
  const stalls = job.stalls + 1;
  const worker = job.workerId ?? 'unknown';
  if (job.cancelRequested) return { op: 'rescue', to: 'cancelled', stalls };
  if (stalls > maxStalls) {
    const message = `job stalled ${stalls} times (maxStalls ${maxStalls}): its worker (${worker}) stopped renewing the lease, so it was failed`;
    return { op: 'rescue', to: 'failed', stalls, failure: { name: 'StalledJobError', code: 'STALLED', message, stack: null, attempt: job.attempt, at: now } };
  }
  const message = `the lease of worker ${worker} expired (stall ${stalls}, maxStalls ${maxStalls}); the job was put back to waiting`;
  return { op: 'rescue', to: 'waiting', stalls, failure: { name: 'LeaseExpiredError', code: 'LEASE_EXPIRED', message, stack: null, attempt: job.attempt, at: now } };
}
