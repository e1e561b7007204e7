/**
 * Typed errors with stable codes. The `code` is the contract: HTTP problem
 * mapping, CLI exit codes and users' `catch` blocks switch on it, never on
 * the message or the class name.
 */
export const ERROR_CODES = [
  'INVALID_NAME',
  'INVALID_DATA',
  'PAYLOAD_TOO_LARGE',
  'INVALID_OPTION',
  'INVALID_CONFIG',
  'UNKNOWN_JOB',
  'DUPLICATE_JOB_DEFINITION',
  'JOB_NOT_FOUND',
  'INVALID_TRANSITION',
  'LEASE_LOST',
  'JOB_FAILED',
  'JOB_CANCELLED',
  'WAIT_TIMEOUT',
  'JOB_TIMEOUT',
  'NOT_STARTED',
  'STORE_CLOSED',
  'STORE_ERROR',
  'INVALID_CRON',
  'INVALID_TIMEZONE',
  'INVALID_TRIGGER',
  'SCHEDULE_NOT_FOUND',
  'UNREADABLE_JOB',
  'OUT_OF_MEMORY',
  'HANDLER_CRASHED',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export class DocketError extends Error {
  readonly code: ErrorCode;
  /** Machine-readable context (the offending field, the job id, ...). */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }

  toJSON(): { name: string; code: ErrorCode; message: string; details: Readonly<Record<string, unknown>> } {
    return { name: this.name, code: this.code, message: this.message, details: this.details };
  }
}

/** Bad input from the caller: a name, a payload, an option. Nothing was written. */
export class ValidationError extends DocketError {
  constructor(
    code: Extract<ErrorCode, 'INVALID_NAME' | 'INVALID_DATA' | 'PAYLOAD_TOO_LARGE' | 'INVALID_OPTION' | 'INVALID_CONFIG' | 'INVALID_CRON' | 'INVALID_TIMEZONE' | 'INVALID_TRIGGER'>,
    /** Dotted path of the offending field, e.g. `retry.backoff.delayMs`. */
    readonly field: string,
    message: string,
    details: Record<string, unknown> = {},
  ) {
    super(code, message, { field, ...details });
  }
}

export class UnknownJobError extends DocketError {
  constructor(readonly jobName: string) {
    super('UNKNOWN_JOB', `no job named "${jobName}" is defined`, { jobName });
  }
}

export class JobNotFoundError extends DocketError {
  constructor(readonly jobId: string) {
    super('JOB_NOT_FOUND', `job ${jobId} does not exist`, { jobId });
  }
}

/** A schedule name that no schedule in the store has (trigger, pause, resume of an unknown schedule). */
export class ScheduleNotFoundError extends DocketError {
  constructor(readonly scheduleName: string) {
    super('SCHEDULE_NOT_FOUND', `no schedule named "${scheduleName}" exists`, { scheduleName });
  }
}

export class InvalidTransitionError extends DocketError {
  constructor(readonly from: string, readonly to: string, jobId?: string) {
    super('INVALID_TRANSITION', `a job cannot go from ${from} to ${to}`, { from, to, ...(jobId ? { jobId } : {}) });
  }
}

/**
 * A write carried a lease token that is no longer the job's: the lease expired
 * and the job was rescued, or it was cancelled. The attempt's result is void.
 */
export class LeaseLostError extends DocketError {
  constructor(readonly jobId: string) {
    super('LEASE_LOST', `the lease on job ${jobId} was lost; this attempt's outcome is discarded`, { jobId });
  }
}

/** `waitFor` on a job that ended in `failed`. */
export class JobFailedError extends DocketError {
  constructor(
    readonly jobId: string,
    readonly failure: { message: string; name?: string; code?: string; stack?: string } | null,
  ) {
    super('JOB_FAILED', `job ${jobId} failed: ${failure?.message ?? 'unknown error'}`, { jobId, failure });
  }
}

export class JobCancelledError extends DocketError {
  constructor(readonly jobId: string) {
    super('JOB_CANCELLED', `job ${jobId} was cancelled`, { jobId });
  }
}

export class WaitTimeoutError extends DocketError {
  constructor(readonly jobId: string, readonly timeoutMs: number) {
    super('WAIT_TIMEOUT', `job ${jobId} did not finish within ${timeoutMs} ms`, { jobId, timeoutMs });
  }
}

/** What a timed-out attempt records as its failure (the attempt is retried like any failure). */
export class JobTimeoutError extends DocketError {
  /** `detail`: what happened to a handler that ignored its signal (its thread or process was terminated). */
  constructor(readonly jobId: string, readonly timeoutMs: number, detail?: string) {
    super('JOB_TIMEOUT', `job ${jobId} timed out after ${timeoutMs} ms${detail ? `; ${detail}` : ''}`, { jobId, timeoutMs });
  }
}

/**
 * An isolated handler (worker thread or child process) went over its job
 * definition's `memoryLimitMb`: its thread or process was ended, the attempt
 * fails (retried per policy); the worker and its other jobs carry on.
 */
export class OutOfMemoryError extends DocketError {
  constructor(readonly jobId: string, readonly memoryLimitMb: number | null, detail: string) {
    super('OUT_OF_MEMORY', `job ${jobId} ran out of memory${memoryLimitMb ? ` (limit ${memoryLimitMb} MB)` : ''}: ${detail}`, { jobId, memoryLimitMb });
  }
}

/**
 * An isolated handler's thread or process ended under it: `process.exit`,
 * an uncaught exception outside the handler's promise, a native crash or a
 * kill. The attempt fails (retried per policy); the worker carries on.
 */
export class HandlerCrashedError extends DocketError {
  constructor(readonly jobId: string, message: string, details: Record<string, unknown> = {}) {
    super('HANDLER_CRASHED', `job ${jobId}: ${message}`, { jobId, ...details });
  }
}

export class StoreClosedError extends DocketError {
  constructor() {
    super('STORE_CLOSED', 'the store is closed');
  }
}

// ---------------------------------------------------------------- handler outcomes

/*
 * Handler outcomes are recognised by a registry-wide symbol brand as well as by
 * class: a config file or plugin can load a second copy of docket (another
 * install, a tsconfig path), and its PermanentError must still fail the job
 * at once instead of being retried.
 */
const PERMANENT_BRAND = Symbol.for('docket.PermanentError');
const SNOOZE_BRAND = Symbol.for('docket.SnoozeSignal');

/**
 * Thrown by a handler to fail the job at once, without further attempts
 * (bad input that no retry will fix).
 */
export class PermanentError extends Error {
  readonly [PERMANENT_BRAND] = true;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PermanentError';
  }
}

export function isPermanentError(e: unknown): e is PermanentError {
  return e instanceof PermanentError || (typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[PERMANENT_BRAND] === true);
}

/**
 * Thrown by a handler (or via `ctx.snooze(ms)`) to run the job again after
 * `delayMs` without counting this attempt: "not yet", not "failed".
 */
export class SnoozeSignal extends Error {
  readonly [SNOOZE_BRAND] = true;
  constructor(readonly delayMs: number) {
    super(`snoozed for ${delayMs} ms`);
    this.name = 'SnoozeSignal';
  }
}

export function isSnoozeSignal(e: unknown): e is SnoozeSignal {
  return (
    e instanceof SnoozeSignal ||
    (typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[SNOOZE_BRAND] === true && typeof (e as { delayMs?: unknown }).delayMs === 'number')
  );
}

/** The reason an attempt's AbortSignal fires with. */
export class AbortReason extends Error {
  constructor(readonly kind: 'timeout' | 'cancel' | 'shutdown' | 'lease-lost', message: string) {
    super(message);
    this.name = 'AbortReason';
  }
}

export function isDocketError(e: unknown): e is DocketError {
  return e instanceof DocketError;
}
