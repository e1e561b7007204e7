import type { Clock } from '../core/clock.js';

/** Longest pause between two tries while the store is unreachable (unless a component's own interval is longer). */
export const DEFAULT_OUTAGE_MAX_BACKOFF_MS = 5_000;
/**
 * A transient failure this soon after the store answered again is counted as
 * the tail of the outage just ended (a call that set off before the store
 * came back and failed after another succeeded), not as a new outage: it is
 * logged at debug, not warned about a second time.
 */
export const DEFAULT_OUTAGE_SETTLE_MS = 1_000;

/** pino-compatible subset (a pino Logger fits). */
export interface OutageLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface OutageReporterOptions {
  /** Who is reporting (`worker`, `scheduler`, `maintenance`): the prefix of every line. */
  component: string;
  logger: OutageLogger;
  clock: Clock;
  maxBackoffMs?: number;
  settleMs?: number;
  /** A number in [0, 1) for the jitter (tests pass a fixed one). */
  random?: () => number;
}

/**
 * True for a store failure that waiting may cure: `STORE_ERROR` with
 * `details.transient` (a store sets it on connection loss, e.g. PostgreSQL
 * down or restarting). Duck-typed, so an error from a second copy of docket counts too.
 */
export function isTransientStoreError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { code?: unknown; details?: { transient?: unknown } };
  return e.code === 'STORE_ERROR' && e.details?.transient === true;
}

/**
 * How one long-running component (worker, scheduler, maintenance) reports
 * failing store calls and paces its retries, so that a dead database is
 * neither hammered nor logged on every poll:
 *
 * - a transient failure (see isTransientStoreError) starts an **outage**:
 *   one `warn`; further failures while it lasts go to `debug` only;
 * - the first call that succeeds afterwards ends it: one `info` with how
 *   long it lasted and how many calls failed;
 * - any other failure (a bug, a bad query: waiting will not help) is logged
 *   at `error` every time, as before;
 * - every failure, of either kind, lengthens the pause before the next try:
 *   `baseMs · 2^(n-1)` for the n-th failure in a row, capped at
 *   max(baseMs, maxBackoffMs), with half of it jittered so that many
 *   processes do not reconnect in step. A success resets it.
 *
 * It only logs and computes delays; the component emits its `…:error`
 * event for every failure itself (listeners, e.g. metrics, count failures,
 * not outages) and decides what to do with the delay.
 */
export class OutageReporter {
  private readonly maxBackoffMs: number;
  private readonly settleMs: number;
  private readonly random: () => number;
  /** Consecutive failures, of any kind; what the backoff grows with. */
  private failures = 0;
  private outageStartedAt: number | null = null;
  private outageFailures = 0;
  private recoveredAt = Number.NEGATIVE_INFINITY;
  private retryAt = 0;

  constructor(private readonly opts: OutageReporterOptions) {
    this.maxBackoffMs = opts.maxBackoffMs ?? DEFAULT_OUTAGE_MAX_BACKOFF_MS;
    this.settleMs = opts.settleMs ?? DEFAULT_OUTAGE_SETTLE_MS;
    this.random = opts.random ?? Math.random;
  }

  /** Whether an outage is going on (a transient failure, no success since). */
  get down(): boolean {
    return this.outageStartedAt !== null;
  }

  /**
   * A store call failed: logs as described above and returns how long to wait
   * before trying again. `baseMs` is the component's normal retry interval.
   */
  failed(operation: string, error: unknown, baseMs: number): number {
    const { component, logger, clock } = this.opts;
    const now = clock.now();
    this.failures++;
    const delay = this.backoff(baseMs);
    this.retryAt = now + delay;
    if (!isTransientStoreError(error)) {
      logger.error({ err: error, component, operation, retryInMs: delay }, `${component}: ${operation} failed`);
      return delay;
    }
    if (this.outageStartedAt !== null) {
      this.outageFailures++;
      logger.debug({ err: error, component, operation, retryInMs: delay }, `${component}: ${operation} failed; the store is still unreachable`);
    } else if (now - this.recoveredAt < this.settleMs) {
      logger.debug({ err: error, component, operation, retryInMs: delay }, `${component}: ${operation} failed just after the store came back; not a new outage`);
    } else {
      this.outageStartedAt = now;
      this.outageFailures = 1;
      logger.warn(
        { err: error, component, operation, retryInMs: delay },
        `${component}: store unreachable (${operation} failed); retrying with backoff (up to ${Math.max(baseMs, this.maxBackoffMs)} ms), quiet until it answers`,
      );
    }
    return delay;
  }

  /** A store call succeeded: ends an outage (one info line) and resets the backoff. Cheap when all is well. */
  succeeded(): void {
    if (this.failures === 0) return;
    this.failures = 0;
    this.retryAt = 0;
    if (this.outageStartedAt === null) return;
    const { component, logger, clock } = this.opts;
    const now = clock.now();
    const outageMs = now - this.outageStartedAt;
    logger.info({ component, outageMs, failedCalls: this.outageFailures }, `${component}: store reachable again after ${outageMs} ms (${this.outageFailures} failed calls)`);
    this.outageStartedAt = null;
    this.outageFailures = 0;
    this.recoveredAt = now;
  }

  /** Ms left before the last failure's backoff has passed (0 when healthy): a fixed-interval task skips its store call until then. */
  waitMs(): number {
    return Math.max(0, this.retryAt - this.opts.clock.now());
  }

  private backoff(baseMs: number): number {
    const cap = Math.max(baseMs, this.maxBackoffMs);
    const full = Math.min(cap, baseMs * 2 ** Math.min(this.failures - 1, 30));
    return Math.round(full / 2 + (full / 2) * this.random());
  }
}
