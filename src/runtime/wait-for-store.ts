import type { Clock } from '../core/clock.js';
import { DocketError } from '../core/errors.js';
import { isTransientStoreError, type OutageReporter } from './outage-reporter.js';

/** First pause between two tries of a start-up that found the store unreachable (doubling up to the reporter's cap, 5 s). */
export const STARTUP_RETRY_BASE_MS = 250;

export interface WaitForStoreOptions {
  clock: Clock;
  /** Logs the outage once (warn), its end once (info), and paces the tries. */
  reporter: OutageReporter;
  /** What failed, for the log line (`migrate`, ...). */
  operation: string;
  /** Aborting gives up: the promise rejects with NOT_STARTED (its cause: the last store error). */
  signal: AbortSignal;
  baseMs?: number;
}

/**
 * Runs `attempt` until it succeeds, waiting out an unreachable store: a
 * transient STORE_ERROR (connection refused or lost; see isTransientStoreError)
 * is reported to the OutageReporter and tried again after its backoff; any
 * other failure rejects at once. What `Docket.start()` does with a store that
 * is down, so `docket worker` / `docket serve` started before their database
 * wait for it instead of exiting.
 */
export async function waitForStore(attempt: () => Promise<void>, options: WaitForStoreOptions): Promise<void> {
  const { clock, reporter, operation, signal } = options;
  for (;;) {
    try {
      await attempt();
      reporter.succeeded();
      return;
    } catch (error) {
      if (!isTransientStoreError(error) || signal.aborted) throw error;
      const delay = reporter.failed(operation, error, options.baseMs ?? STARTUP_RETRY_BASE_MS);
      await pause(clock, delay, signal);
      if (signal.aborted) {
        throw new DocketError('NOT_STARTED', 'start() gave up: stopped while waiting for the store to answer', { waitingFor: 'store' }, { cause: error });
      }
    }
  }
}

function pause(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clock.clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = clock.setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
