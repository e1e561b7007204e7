import { cancelTests } from './cancel.js';
import { claimTests } from './claim.js';
import { enqueueTests } from './enqueue.js';
import { Harness, type StoreConformanceOptions } from './harness.js';
import { inputRuleTests } from './input-rules.js';
import { leaseTests } from './leases.js';
import { progressResultTests } from './progress-result.js';
import { pruneTests } from './prune.js';
import { queryTests } from './queries.js';
import { queuePolicyTests } from './queue-policy.js';
import { queueWorkerTests } from './queues-workers.js';
import { scheduleClaimTests, scheduleTests } from './schedules-index.js';
import { stateMachineTests } from './state-machine.js';
import { statsTests } from './stats.js';
import { timelineTests } from './timeline.js';
import { transitionTests } from './transitions.js';

export type { SkipRule, StoreConformanceOptions } from './harness.js';

/**
 * The shared behaviour every Store must show, as vitest tests. Call it at the
 * top level of a test file:
 *
 *   runStoreConformance({ name: 'sqlite', createStore: async () => { const s = new SqliteStore({ path: ':memory:' }); await s.migrate(); return s; } });
 *
 * Each test gets a fresh store from `createStore` and closes it. A test that
 * cannot apply to a store is skipped only with a written reason, which is
 * printed; skipping a test id the suite does not have is an error. Test ids
 * are `"<area> > <title>"`.
 */
export function runStoreConformance(options: StoreConformanceOptions): void {
  const harness = new Harness(options);
  harness.collect('enqueue', enqueueTests);
  harness.collect('input rules', inputRuleTests);
  harness.collect('claim', claimTests);
  harness.collect('state machine', stateMachineTests);
  harness.collect('transitions', transitionTests);
  harness.collect('leases', leaseTests);
  harness.collect('cancel', cancelTests);
  harness.collect('progress and result', progressResultTests);
  harness.collect('prune', pruneTests);
  harness.collect('queries', queryTests);
  harness.collect('queues and workers', queueWorkerTests);
  harness.collect('queue policy', queuePolicyTests);
  harness.collect('stats', statsTests);
  harness.collect('timeline', timelineTests);
  harness.collect('schedules', scheduleTests);
  harness.collect('schedule fires', scheduleClaimTests);
  harness.register();
}
