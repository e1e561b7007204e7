import { isDocketError, type ErrorCode } from '../../core/errors.js';

/**
 * Errors as RFC 9457 `application/problem+json`, from ONE table. The `code`
 * member is the stable contract (the same code a library user catches);
 * `type` is a URN built from it, `title` is fixed per code, `detail` is the
 * error's message.
 */

/** Conditions that only exist at the HTTP layer (no DocketError carries them). */
export const HTTP_PROBLEM_CODES = [
  'UNAUTHORIZED',
  'FORBIDDEN',
  'RATE_LIMITED',
  'ROUTE_NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'INVALID_REQUEST',
  'UNSUPPORTED_MEDIA_TYPE',
  'INTERNAL_ERROR',
  // admin-API policy on schedules (the library itself allows both operations or refuses with INVALID_OPTION)
  'SCHEDULE_DECLARED',
  'SCHEDULE_REMOVED',
] as const;
export type HttpProblemCode = (typeof HTTP_PROBLEM_CODES)[number];
export type ProblemCode = ErrorCode | HttpProblemCode;

interface ProblemKind {
  status: number;
  title: string;
}

/**
 * The mapping table. Partial on purpose: an error code added to core/errors.ts
 * must not break compilation of this layer; an unmapped code answers 500 and
 * `problem.test.ts` fails until it is mapped here.
 */
export const PROBLEM_TABLE: Readonly<Partial<Record<ProblemCode, ProblemKind>>> = {
  // bad input: nothing was written
  INVALID_NAME: { status: 400, title: 'Invalid name' },
  INVALID_DATA: { status: 400, title: 'Invalid job data' },
  INVALID_OPTION: { status: 400, title: 'Invalid option' },
  INVALID_REQUEST: { status: 400, title: 'Invalid request' },
  INVALID_CRON: { status: 400, title: 'Invalid cron expression' },
  INVALID_TIMEZONE: { status: 400, title: 'Invalid time zone' },
  INVALID_TRIGGER: { status: 400, title: 'Invalid trigger' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'Payload too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported media type' },
  // a well-formed request naming a job this process has no definition for
  UNKNOWN_JOB: { status: 422, title: 'Unknown job name' },
  // auth
  UNAUTHORIZED: { status: 401, title: 'API key required' },
  FORBIDDEN: { status: 403, title: 'API key lacks the admin scope' },
  RATE_LIMITED: { status: 429, title: 'Too many requests' },
  // missing things
  JOB_NOT_FOUND: { status: 404, title: 'Job not found' },
  SCHEDULE_NOT_FOUND: { status: 404, title: 'Schedule not found' },
  ROUTE_NOT_FOUND: { status: 404, title: 'No such route' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed' },
  // the job is not in a state that allows the operation
  INVALID_TRANSITION: { status: 409, title: 'Operation not allowed in the job state' },
  LEASE_LOST: { status: 409, title: 'Lease lost' },
  SCHEDULE_DECLARED: { status: 409, title: 'Schedule still declared' },
  SCHEDULE_REMOVED: { status: 409, title: 'Schedule removed' },
  JOB_FAILED: { status: 409, title: 'Job failed' },
  JOB_CANCELLED: { status: 409, title: 'Job cancelled' },
  JOB_TIMEOUT: { status: 409, title: 'Job timed out' },
  OUT_OF_MEMORY: { status: 409, title: 'Job ran out of memory' },
  UNREADABLE_JOB: { status: 409, title: 'Job could not be read from the store' },
  HANDLER_CRASHED: { status: 409, title: "Job's handler crashed" },
  WAIT_TIMEOUT: { status: 504, title: 'Timed out waiting for the job' },
  // the server side
  NOT_STARTED: { status: 503, title: 'Docket not started' },
  STORE_CLOSED: { status: 503, title: 'Store closed' },
  STORE_ERROR: { status: 503, title: 'Store error' },
  INVALID_CONFIG: { status: 500, title: 'Invalid server configuration' },
  DUPLICATE_JOB_DEFINITION: { status: 500, title: 'Duplicate job definition' },
  INTERNAL_ERROR: { status: 500, title: 'Internal error' },
};

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ProblemCode;
  /** Dotted path of the offending field, for validation problems. */
  field?: string;
  details?: Record<string, unknown>;
  /** Seconds, for RATE_LIMITED. */
  retryAfter?: number;
}

export function problemStatus(code: ProblemCode): number {
  return PROBLEM_TABLE[code]?.status ?? 500;
}

export function makeProblem(code: ProblemCode, detail: string, extra: Partial<Pick<Problem, 'field' | 'details' | 'retryAfter'>> = {}): Problem {
  const kind = PROBLEM_TABLE[code];
  return {
    type: `urn:docket:problem:${code}`,
    title: kind?.title ?? 'Error',
    status: kind?.status ?? 500,
    detail,
    code,
    ...extra,
  };
}

/**
 * The problem for any thrown value. Only DocketErrors (and HttpProblems) show
 * their message: anything else is an unexpected fault whose message may hold
 * internals, so the client gets a generic 500 and the server logs the error.
 */
export function problemFromError(error: unknown): { problem: Problem; unexpected: boolean } {
  if (error instanceof HttpProblem) return { problem: error.problem, unexpected: error.problem.status >= 500 };
  if (isDocketError(error)) {
    const { field, ...rest } = error.details as { field?: unknown } & Record<string, unknown>;
    const extra: Partial<Problem> = {};
    if (typeof field === 'string') extra.field = field;
    if (Object.keys(rest).length > 0) extra.details = rest;
    const unexpected = problemStatus(error.code) >= 500;
    return { problem: makeProblem(error.code, error.message, extra), unexpected };
  }
  return { problem: makeProblem('INTERNAL_ERROR', 'an unexpected error occurred; see the server log'), unexpected: true };
}

/** Thrown by HTTP-layer code (auth, rate limit, request validation) to answer with a problem. */
export class HttpProblem extends Error {
  readonly problem: Problem;
  readonly headers: Record<string, string>;

  constructor(
    code: ProblemCode,
    detail: string,
    extra: Partial<Pick<Problem, 'field' | 'details' | 'retryAfter'>> = {},
    headers: Record<string, string> = {},
    options?: ErrorOptions,
  ) {
    super(detail, options);
    this.name = 'HttpProblem';
    this.problem = makeProblem(code, detail, extra);
    this.headers = headers;
  }
}

export function problemResponse(problem: Problem, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(problem), {
    status: problem.status,
    headers: { 'content-type': PROBLEM_CONTENT_TYPE, 'cache-control': 'no-store', ...headers },
  });
}
