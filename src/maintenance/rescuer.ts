import type { Logger } from 'pino';
import type { DocketEventEmitter } from '../runtime/events.js';
import type { Store } from '../store/store.js';

/** Jobs one rescue call handles; a full batch means "run again at once". */
export const RESCUE_BATCH_SIZE = 500;

/**
 * Returns jobs whose lease expired (their worker died or froze) to
 * `waiting`; after `maxStalls` stalls the store fails them instead (core's
 * decideRescue). Reserved jobs the worker never started go back with nothing
 * counted: not a stall. Expiry is judged on the store's clock, so any process
 * may run the rescuer.
 */
export async function rescueExpiredJobs(deps: { store: Store; events: DocketEventEmitter; logger: Logger; maxStalls: number }): Promise<number> {
  let total = 0;
  for (;;) {
    const { requeued, failed, unreserved } = await deps.store.rescueExpired({ maxStalls: deps.maxStalls, limit: RESCUE_BATCH_SIZE });
    for (const jobId of requeued) deps.events.emit('job:stalled', { jobId, outcome: 'requeued' });
    for (const jobId of failed) deps.events.emit('job:stalled', { jobId, outcome: 'failed' });
    const stalled = requeued.length + failed.length;
    if (stalled > 0) deps.logger.warn({ requeued, failed }, `rescued ${stalled} job(s) with an expired lease`);
    if (unreserved.length > 0) deps.logger.info({ unreserved }, `returned ${unreserved.length} reserved job(s) a vanished worker never started`);
    const n = stalled + unreserved.length;
    total += n;
    if (n < RESCUE_BATCH_SIZE) return total;
  }
}
