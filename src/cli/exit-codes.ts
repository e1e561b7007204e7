import { isDocketError, type ErrorCode } from '../core/errors.js';

/** The CLI's exit codes (docs/cli.md lists them). Scripts may switch on these. */
export const EXIT = {
  OK: 0,
  /** Unexpected failure (a bug, an I/O error without a docket code). */
  ERROR: 1,
  /** Bad command line or bad input: unknown flag, bad JSON, invalid name/option/data. */
  USAGE: 2,
  /** No such job, schedule or job definition. */
  NOT_FOUND: 3,
  /** The job's state does not allow it (cancel a finished job, retry a waiting one). */
  CONFLICT: 4,
  /** Bad or missing configuration (config file, store URL, API keys, schedules). */
  CONFIG: 5,
  /** The store is unreachable, closed, or not migrated. */
  STORE: 6,
  /** `doctor` found problems; `bench` lost jobs. */
  CHECK_FAILED: 7,
  /** `enqueue --wait`: the job failed, was cancelled, or did not finish in time. */
  JOB_FAILED: 8,
  /** A second SIGINT/SIGTERM during graceful shutdown (128 + SIGINT). */
  INTERRUPTED: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/**
 * The one table from a docket error code to an exit code. A code missing here
 * exits 1; exit-codes.test.ts fails until every code is listed.
 */
export const EXIT_CODE_BY_ERROR: Partial<Record<ErrorCode, ExitCode>> = {
  INVALID_NAME: EXIT.USAGE,
  INVALID_DATA: EXIT.USAGE,
  PAYLOAD_TOO_LARGE: EXIT.USAGE,
  INVALID_OPTION: EXIT.USAGE,
  INVALID_CONFIG: EXIT.CONFIG,
  UNKNOWN_JOB: EXIT.NOT_FOUND,
  DUPLICATE_JOB_DEFINITION: EXIT.CONFIG,
  JOB_NOT_FOUND: EXIT.NOT_FOUND,
  INVALID_TRANSITION: EXIT.CONFLICT,
  LEASE_LOST: EXIT.CONFLICT,
  JOB_FAILED: EXIT.JOB_FAILED,
  JOB_CANCELLED: EXIT.JOB_FAILED,
  WAIT_TIMEOUT: EXIT.JOB_FAILED,
  JOB_TIMEOUT: EXIT.JOB_FAILED,
  OUT_OF_MEMORY: EXIT.JOB_FAILED,
  UNREADABLE_JOB: EXIT.JOB_FAILED,
  HANDLER_CRASHED: EXIT.JOB_FAILED,
  NOT_STARTED: EXIT.STORE,
  STORE_CLOSED: EXIT.STORE,
  STORE_ERROR: EXIT.STORE,
  INVALID_CRON: EXIT.CONFIG,
  INVALID_TIMEZONE: EXIT.CONFIG,
  INVALID_TRIGGER: EXIT.CONFIG,
  SCHEDULE_NOT_FOUND: EXIT.NOT_FOUND,
};

/**
 * An error the CLI itself raises (bad flag value, missing config file), with
 * its exit code and a stable code of its own for `--json` output.
 */
export class CliError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly exitCode: ExitCode,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const usageError = (message: string, details?: Record<string, unknown>): CliError => new CliError('USAGE', message, EXIT.USAGE, details);
export const configError = (message: string, details?: Record<string, unknown>): CliError => new CliError('CONFIG', message, EXIT.CONFIG, details);

/** The exit code for anything thrown out of a command. */
export function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof CliError) return error.exitCode;
  if (isDocketError(error)) return EXIT_CODE_BY_ERROR[error.code] ?? EXIT.ERROR;
  // an error from a second copy of docket (e.g. a config importing another build) still carries its code
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code in EXIT_CODE_BY_ERROR) return EXIT_CODE_BY_ERROR[code as ErrorCode]!;
  return EXIT.ERROR;
}

/** `{ code, message, details }` for `--json` error output and the human line. */
export function describeError(error: unknown): { code: string; message: string; details: Record<string, unknown> } {
  if (error instanceof CliError) return { code: error.code, message: error.message, details: error.details };
  if (isDocketError(error)) return { code: error.code, message: error.message, details: { ...error.details } };
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { code: typeof code === 'string' ? code : 'ERROR', message: error.message, details: {} };
  }
  return { code: 'ERROR', message: String(error), details: {} };
}
