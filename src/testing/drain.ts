import type { Docket } from '../docket.js';
import type { DocketEventName } from '../runtime/events.js';

export interface DrainOptions {
  /** Also wait for delayed jobs (retry backoff, snooze, `delayMs`) to run. Default false. */
  includeDelayed?: boolean;
  /** Real milliseconds before drain gives up and throws. Default 30 000. */
  timeoutMs?: number;
}

const SETTLE_EVENTS: DocketEventName[] = ['job:completed', 'job:failed', 'job:cancelled', 'job:retrying', 'job:snoozed', 'job:released', 'job:lease-lost'];
/** Real-time re-check, for jobs run by other processes and delayed jobs coming due. */
const RECHECK_MS = 25;

/**
 * Runs the docket's worker until its queues hold no waiting or active job
 * (nor delayed ones, with `includeDelayed`). Starts the docket if it was not
 * running and stops it again afterwards.
 */
export async function drain(docket: Docket, options: DrainOptions = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const wasRunning = docket.isRunning;
  if (!wasRunning) await docket.start();
  const deadline = Date.now() + timeoutMs;
  let wake: (() => void) | null = null;
  const offs = SETTLE_EVENTS.map((e) => docket.on(e, () => wake?.()));
  let drained = false;
  try {
    for (;;) {
      const pending = await pendingJobs(docket, options.includeDelayed ?? false);
      if (pending === 0) {
        drained = true;
        return;
      }
      if (Date.now() > deadline) throw new Error(`drain: ${pending} job(s) still pending after ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => resolve(), RECHECK_MS);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = null;
    }
  } finally {
    for (const off of offs) off();
    // After a timeout, stuck jobs are released at once rather than after the shutdown grace.
    if (!wasRunning) await docket.stop(drained ? {} : { graceMs: 0 });
  }
}

async function pendingJobs(docket: Docket, includeDelayed: boolean): Promise<number> {
  const queues = new Set(docket.worker.queues());
  let n = 0;
  for (const { queue, counts } of await docket.store.countJobs()) {
    if (!queues.has(queue)) continue;
    n += counts.waiting + counts.active + (includeDelayed ? counts.delayed : 0);
  }
  return n;
}
