/**
 * The seed's error categories (network, data, system) and the retry strategy
 * of each. docket stores `error.code` with the failure, so the category
 * survives into the job's status; `PermanentError` tells docket not to retry.
 */
import { PermanentError } from 'docket';

export type ErrorCategory = 'network' | 'data' | 'system';

/** A remote site was unreachable, slow or answered 429/5xx: worth retrying soon. */
export class NetworkError extends Error {
  readonly code = 'NETWORK';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'NetworkError';
  }
}

/** The input or the page cannot be used (404, not HTML, unknown company): retrying will not help. */
export class DataError extends PermanentError {
  readonly code = 'DATA';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DataError';
  }
}

/** The category of what a handler threw, or of a stored failure's `code`. Anything unexpected is `system`. */
export function errorCategory(errorOrCode: unknown): ErrorCategory {
  const code = typeof errorOrCode === 'string' || errorOrCode === null ? errorOrCode : (errorOrCode as { code?: unknown })?.code;
  if (code === 'NETWORK') return 'network';
  if (code === 'DATA') return 'data';
  return 'system';
}

/**
 * Exponential backoff per category: network errors from 2 s (2, 4, 8 s),
 * system errors from 10 s (10, 20, 40 s), giving a broken dependency time to
 * recover. docket adds the jitter (`retry.jitter`) and the cap on top.
 */
export function backoffByCategory(attempt: number, error: unknown): number {
  const base = errorCategory(error) === 'network' ? 2_000 : 10_000;
  return base * 2 ** (attempt - 1);
}

/** "Failed tasks are automatically retried up to 3 times; exponential backoff with jitter." */
export const RETRY_OPTIONS = {
  maxAttempts: 4,
  retry: { backoff: backoffByCategory, jitter: 0.3, maxDelayMs: 10 * 60_000 },
} as const;
