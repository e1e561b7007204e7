import type { Logger } from 'pino';
import { FINISHED_STATES } from '../core/job.js';
import { ALL_QUEUES, resolveQueuePolicy } from '../core/queue-policy.js';
import type { Store } from '../store/store.js';

/** Deletions per store call, so one prune never holds the writer for long. */
export const PRUNE_BATCH_SIZE = 1_000;

/**
 * Applies retention to every queue the store knows: finished jobs older than
 * the queue's `maxAgeMs`, or beyond its `maxCount` newest, are deleted.
 * Retention is queue policy read from the store (the ALL_QUEUES overrides,
 * then the queue's own, over core's defaults), never from this process's
 * config, so every process prunes a queue the same way.
 * Returns how many jobs were deleted.
 */
export async function pruneFinishedJobs(deps: { store: Store; logger: Logger }): Promise<number> {
  const { store } = deps;
  let total = 0;
  const all = await store.getQueuePolicy({ queue: ALL_QUEUES });
  for (const q of await store.listQueues()) {
    const { retention } = resolveQueuePolicy(all, q.policy);
    for (const state of FINISHED_STATES) {
      const { maxAgeMs, maxCount } = retention[state];
      if (maxAgeMs === null && maxCount === null) continue;
      for (;;) {
        const n = await store.pruneJobs({ queue: q.queue, state, maxAgeMs, maxCount, limit: PRUNE_BATCH_SIZE });
        total += n;
        if (n < PRUNE_BATCH_SIZE) break;
      }
    }
  }
  if (total > 0) deps.logger.debug({ deleted: total }, `pruned ${total} finished job(s)`);
  return total;
}
