import type { Logger } from 'pino';
import type { DeclaredQueuePolicies } from '../core/config.js';
import { ALL_QUEUES, declaredChanges, isEmptyOverrides, overridesToPatch, type QueuePolicyOverrides } from '../core/queue-policy.js';
import type { Store } from '../store/store.js';

/**
 * Writes the queue policy a config declares to the store (at `Docket.start()`),
 * one merge per queue: declared keys are set, keys the config leaves out keep
 * their stored value (a run-time change, or the default). Last writer wins:
 * when a declared key replaces a different stored value (set at run time
 * through API/CLI/dashboard, or declared otherwise by another process's
 * config) it is logged at warn, once per start. Returns the queues written.
 */
export async function declareQueuePolicies(deps: { store: Store; logger: Logger; declared: DeclaredQueuePolicies }): Promise<string[]> {
  const { store, logger, declared } = deps;
  const entries: Array<[string, QueuePolicyOverrides]> = [[ALL_QUEUES, declared.all], ...Object.entries(declared.queues)];
  const written: string[] = [];
  for (const [queue, overrides] of entries) {
    if (isEmptyOverrides(overrides)) continue;
    const { previous } = await store.setQueuePolicy({ queue, policy: overridesToPatch(overrides) });
    written.push(queue);
    const changes = declaredChanges(previous, overrides);
    const replaced = changes.filter((c) => c.stored !== undefined);
    const label = queue === ALL_QUEUES ? 'every queue (config `retention`)' : `queue ${queue}`;
    if (replaced.length > 0) {
      const list = replaced.map((c) => `${c.key} ${String(c.stored)} -> ${String(c.declared)}`).join(', ');
      logger.warn(
        { queue, changes: replaced },
        `${label}: the declared policy replaced a different stored value (${list}); it was set at run time or declared otherwise by another process — the last declaration wins`,
      );
    } else if (changes.length > 0) {
      logger.info({ queue, changes }, `${label}: declared policy stored (${changes.map((c) => `${c.key} = ${String(c.declared)}`).join(', ')})`);
    }
  }
  return written;
}
