import { isPermanentError, isSnoozeSignal } from './errors.js';
import type { JobFailure } from './job.js';
import type { AttemptOutcome } from './outcome.js';

/** Backoff between attempts: a fixed delay, an exponential one, or your own function. */
export type Backoff =
  | { type: 'fixed'; delayMs: number }
  | { type: 'exponential'; delayMs: number; factor?: number }
  | ((attempt: number, error: unknown) => number);

export interface RetryPolicy {
  backoff: Backoff;
  /**
   * Random spread as a fraction of the delay: 0.2 means the delay is drawn
   * from [0.8 d, 1.2 d]. Spreads retries of jobs that failed together.
   */
  jitter: number;
  /** Upper bound on any computed delay (before jitter is applied, and after). */
  maxDelayMs: number;
}

export const DEFAULT_MAX_ATTEMPTS = 3;
export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  backoff: Object.freeze({ type: 'exponential', delayMs: 1_000, factor: 2 }) as Backoff,
  jitter: 0.2,
  maxDelayMs: 60 * 60 * 1_000,
});

export interface DecideInput {
  /** The attempt that just ended (1-based). */
  attempt: number;
  maxAttempts: number;
  /** What the handler threw. */
  error: unknown;
  policy: RetryPolicy;
  now: Date;
  /** A number in [0, 1); injected so tests are deterministic. */
  random?: () => number;
}

/**
 * What happens to a job whose attempt threw: snooze, retry after a backoff,
 * or fail for good. Pure: stores and workers never compute backoff themselves.
 */
export function decideNextState(input: DecideInput): AttemptOutcome {
  const { attempt, maxAttempts, error, policy, now } = input;
  if (isSnoozeSignal(error)) return { kind: 'snooze', delayMs: Math.max(0, error.delayMs) };
  const failure = toFailure(error, attempt, now);
  if (isPermanentError(error) || attempt >= maxAttempts) return { kind: 'fail', failure };
  return { kind: 'retry', delayMs: backoffDelay(attempt, error, policy, input.random ?? Math.random), failure };
}

/** The delay after `attempt` failed, jitter and cap applied. */
export function backoffDelay(attempt: number, error: unknown, policy: RetryPolicy, random: () => number): number {
  const { backoff } = policy;
  let base: number;
  if (typeof backoff === 'function') base = backoff(attempt, error);
  else if (backoff.type === 'fixed') base = backoff.delayMs;
  else base = backoff.delayMs * Math.pow(backoff.factor ?? 2, attempt - 1);
  if (!Number.isFinite(base) || base < 0) base = 0;
  base = Math.min(base, policy.maxDelayMs);
  const spread = base * policy.jitter;
  const jittered = base - spread + random() * 2 * spread;
  return Math.round(Math.min(Math.max(0, jittered), policy.maxDelayMs));
}

/** Turns anything a handler threw into the failure stored on the job. */
export function toFailure(error: unknown, attempt: number, at: Date): JobFailure {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      message: error.message,
      name: error.name,
      code: typeof code === 'string' ? code : null,
      stack: error.stack ?? null,
      attempt,
      at,
    };
  }
  return { message: safeString(error), name: 'NonError', code: null, stack: null, attempt, at };
}

function safeString(value: unknown): string {
  try {
    return typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
