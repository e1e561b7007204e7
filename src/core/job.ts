/**
 * The job model as every store persists it and every layer reads it.
 */
export const JOB_STATES = ['waiting', 'delayed', 'active', 'completed', 'failed', 'cancelled'] as const;
export type JobState = (typeof JOB_STATES)[number];

/** The states a job ends in; every layer (and each store's SQL) takes the set from here. */
export type FinishedState = Extract<JobState, 'completed' | 'failed' | 'cancelled'>;
export const FINISHED_STATES: readonly FinishedState[] = ['completed', 'failed', 'cancelled'];
export const UNFINISHED_STATES: readonly JobState[] = ['waiting', 'delayed', 'active'];

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface JobProgress {
  current: number;
  total: number | null;
  message: string | null;
  updatedAt: Date;
}

/** What a failed attempt left behind. */
export interface JobFailure {
  message: string;
  name: string;
  code: string | null;
  stack: string | null;
  /** The attempt this failure belongs to. */
  attempt: number;
  at: Date;
}

/** A job as stored. Dates are the store's clock. */
export interface JobRecord {
  /** Store-assigned, increases with insertion order; opaque to callers. */
  id: string;
  name: string;
  queue: string;
  data: unknown;
  state: JobState;
  /** Higher runs first. */
  priority: number;
  /** Earliest time the job may be claimed. */
  runAt: Date;
  createdAt: Date;
  /** When the current/last attempt started. */
  startedAt: Date | null;
  finishedAt: Date | null;
  /** Attempts started so far (a snoozed or released attempt does not count). */
  attempt: number;
  maxAttempts: number;
  timeoutMs: number | null;
  /**
   * A waiting job a worker holds ahead of a free slot (its claim-ahead
   * buffer): `workerId` and `leaseExpiresAt` name the holder; it starts
   * within about 50 ms, or returns to line if that worker dies.
   */
  reserved: boolean;
  /** Times the job was found with an expired lease (its worker vanished). */
  stalls: number;
  leaseToken: string | null;
  leaseExpiresAt: Date | null;
  workerId: string | null;
  cancelRequested: boolean;
  progress: JobProgress | null;
  result: unknown;
  /** Most recent failure, kept on the job after later attempts too. */
  error: JobFailure | null;
  idempotencyKey: string | null;
  /** Set when a schedule produced the job. */
  scheduleName: string | null;
  fireTime: Date | null;
  /**
   * Set only when a stored field could not be read (corrupt JSON, a value of
   * the wrong type or out of docket's range, a newer version's value): the
   * fields named here hold a stand-in (data and result: the raw stored text;
   * numbers and dates: a neutral value), so a read never fails. A claim
   * fails such a job with code `UNREADABLE_JOB` instead of running it.
   */
  unreadable?: UnreadableFields;
}

/** What could not be read of a stored job (see `JobRecord.unreadable`). */
export interface UnreadableFields {
  /** JobRecord field names, e.g. `data`, `maxAttempts`. */
  fields: string[];
  /** One line per field: what was found. */
  message: string;
}

/**
 * A job the store handed to one worker, as stored when the claim returned
 * it: reserved under a lease (`state: 'waiting'`, `reserved: true`), its
 * handler not started, its attempt not counted yet (`attempt` is the
 * attempts before this one). The worker's copy becomes `active` when it
 * starts the handler and records the start.
 */
export interface ClaimedJob extends JobRecord {
  leaseToken: string;
  leaseExpiresAt: Date;
}

/** What a store needs to insert one job (validated and resolved in core). */
export interface NewJob {
  name: string;
  queue: string;
  /** Already JSON-serialised, so size checks and storage see the same bytes. */
  dataJson: string;
  priority: number;
  /** Delay relative to the store's clock; 0 means runnable now. */
  delayMs: number;
  /** An absolute run time wins over delayMs when given. */
  runAt: Date | null;
  maxAttempts: number;
  timeoutMs: number | null;
  idempotencyKey: string | null;
  /** Keep the idempotency key after the job is pruned (run-once jobs). */
  keepKeyForever: boolean;
  /** A job that ends `failed` releases its key, so it may be enqueued again. */
  releaseKeyOnFailure: boolean;
  scheduleName: string | null;
  fireTime: Date | null;
}
