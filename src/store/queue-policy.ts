import { ALL_QUEUES, applyPolicyPatch, parseQueuePolicyPatch, readPolicyOverrides, type QueuePolicyOverrides, type QueuePolicyPatch } from '../core/queue-policy.js';
import { assertName, describe } from '../core/validate.js';
import { invalid } from './input.js';
import type { SetQueuePolicyParams } from './store.js';

/**
 * The queue-policy half of the store kernel: the input checks and the merge
 * every store runs, so each stores the same thing for the same call. A store
 * keeps a queue's `paused` flag in its own column (every claim reads it) and
 * the other overrides as one JSON document (`policy`); see ARCHITECTURE.md
 * "Queue policy".
 */

/** A queue name, or ALL_QUEUES (the row every queue's policy starts from). */
export function checkPolicyQueue(queue: unknown): string {
  return queue === ALL_QUEUES ? ALL_QUEUES : assertName('queue', queue);
}

/** Store.setQueuePolicy's input: INVALID_NAME for the queue, INVALID_OPTION naming the policy field; nothing written. */
export function checkSetQueuePolicy(params: SetQueuePolicyParams): { queue: string; patch: QueuePolicyPatch } {
  if (typeof params !== 'object' || params === null) throw invalid('params', `params must be { queue, policy } (got ${describe(params)})`);
  const queue = checkPolicyQueue(params.queue);
  if (typeof params.policy !== 'object' || params.policy === null || Array.isArray(params.policy)) {
    throw invalid('policy', `policy must be an object (got ${describe(params.policy)})`);
  }
  return { queue, patch: parseQueuePolicyPatch(params.policy, 'policy', queue) };
}

/** A stored row as a store reads it: its paused flag (0/1 or boolean) and its JSON overrides (text or parsed). */
export interface QueuePolicyRow {
  paused: number | boolean;
  policy: string | Record<string, unknown> | null;
}

export function rowOverrides(row: QueuePolicyRow | undefined | null): QueuePolicyOverrides {
  if (!row) return {};
  let stored: unknown = row.policy;
  if (typeof stored === 'string') {
    try {
      stored = JSON.parse(stored);
    } catch {
      stored = null; // unreadable: treated as no overrides, like a key this version does not know
    }
  }
  return readPolicyOverrides(stored, row.paused === true || row.paused === 1);
}

/** What one setQueuePolicy writes: the row's new paused flag and JSON, and the overrides before and after. */
export interface PolicyWrite {
  previous: QueuePolicyOverrides;
  policy: QueuePolicyOverrides;
  paused: boolean;
  /** The overrides without `paused` (that is the column), as JSON text. */
  json: string;
}

export function planPolicyWrite(row: QueuePolicyRow | undefined | null, patch: QueuePolicyPatch): PolicyWrite {
  const previous = rowOverrides(row);
  const policy = applyPolicyPatch(previous, patch);
  const { paused, ...rest } = policy;
  return { previous, policy, paused: paused === true, json: JSON.stringify(rest) };
}
