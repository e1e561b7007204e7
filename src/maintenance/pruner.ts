import type { Logger } from 'pino';
import { retentionFor, type CoreConfig } from '../core/config.js';
import { FINISHED_STATES } from '../core/job.js';
import type { Store } from '../store/store.js';

/** Deletions per store call, so one prune never holds the writer for long. */
export const PRUNE_BATCH_SIZE = 1_000;

/**
 * Applies retention to every queue the store knows: finished jobs older than
 * the queue's `maxAgeMs`, or beyond its `maxCount` newest, are deleted.
 * Returns how many jobs were deleted.
 */
export async function pruneFinishedJobs(deps: { store: Store; config: CoreConfig; logger: Logger }): Promise<number> {
  const { store, config } = deps;
  let total = 0;
  for (const { queue } of await store.listQueues()) {
    const policy = retentionFor(config, queue);
    for (const state of FINISHED_STATES) {
      const { maxAgeMs, maxCount } = policy[state];
      if (maxAgeMs === null && maxCount === null) continue;
      for (;;) {
        const n = await store.pruneJobs({ queue, state, maxAgeMs, maxCount, limit: PRUNE_BATCH_SIZE });
        total += n;
        if (n < PRUNE_BATCH_SIZE) break;
      }
    }
  }
  if (total > 0) deps.logger.debug({ deleted: total }, `pruned ${total} finished job(s)`);
  return total;
}
