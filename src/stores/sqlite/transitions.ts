import type Database from 'better-sqlite3';
import type { JobFailure } from '../../core/job.js';
import { outcomeFailure, outcomeRefundsAttempt, outcomeState, type LeasedTransition, type TransitionResult } from '../../core/outcome.js';
import type { RescueResult } from '../../store/store.js';
import { SQL } from './queries.js';
import { parseJobId, serializeFailure } from './rows.js';

type Prepare = (sql: string, pluck?: boolean) => Database.Statement;

/**
 * Applies a batch of outcomes in order; the caller holds the write
 * transaction. Completions, the bulk of any batch, go in one statement when
 * no job appears twice (then order within the batch cannot matter).
 */
export function applyTransitionBatch(ts: LeasedTransition[], now: number, prepare: Prepare, available: Set<string>): TransitionResult[] {
  const completes: number[] = [];
  const ids = new Set<string>();
  ts.forEach((t, i) => {
    if (t.outcome.kind === 'complete') completes.push(i);
    ids.add(t.jobId);
  });
  if (completes.length < 2 || ids.size !== ts.length) return ts.map((t) => applyTransition(t, now, prepare, available));
  const results = new Array<TransitionResult>(ts.length);
  const rows: Array<[number, string, string | null]> = [];
  for (const i of completes) {
    const t = ts[i]!;
    const id = parseJobId(t.jobId);
    if (id === null) results[i] = 'lease_lost';
    else rows.push([id, t.leaseToken, (t.outcome as { resultJson: string | null }).resultJson]);
  }
  const applied = new Set(prepare(SQL.applyTransitions.completeMany, true).all(now, JSON.stringify(rows)) as number[]);
  for (const i of completes) results[i] ??= applied.has(Number(ts[i]!.jobId)) ? 'applied' : 'lease_lost';
  ts.forEach((t, i) => {
    if (t.outcome.kind !== 'complete') results[i] = applyTransition(t, now, prepare, available);
  });
  return results;
}

/**
 * Applies one worker outcome under its guard (active, same lease token); the
 * caller holds the write transaction. The target state comes from core's
 * `outcomeState`. Queues that got a runnable job are added to `available`.
 */
export function applyTransition(t: LeasedTransition, now: number, prepare: Prepare, available: Set<string>): TransitionResult {
  const id = parseJobId(t.jobId);
  if (id === null) return 'lease_lost';
  const o = t.outcome;
  const state = outcomeState(o);
  const q = SQL.applyTransitions;
  switch (o.kind) {
    case 'complete':
      return prepare(q.complete).run(state, now, o.resultJson, id, t.leaseToken).changes === 1 ? 'applied' : 'lease_lost';
    case 'fail': {
      const row = prepare(q.fail).get(state, now, serializeFailure(o.failure), id, t.leaseToken) as { idempotency_key: string | null } | undefined;
      if (!row) return 'lease_lost';
      if (row.idempotency_key !== null) prepare(q.releaseKeyOnFailure).run(row.idempotency_key, id);
      return 'applied';
    }
    case 'cancel':
      return prepare(q.cancel).run(state, now, o.reason, id, t.leaseToken).changes === 1 ? 'applied' : 'lease_lost';
    case 'retry':
    case 'snooze':
    case 'release': {
      // A released job keeps its run time (its place in line); retry and snooze wait their delay.
      const runAt = o.kind === 'release' ? null : now + Math.round(o.delayMs);
      const failure = outcomeFailure(o);
      const refund = outcomeRefundsAttempt(o) ? 1 : 0;
      const row = prepare(q.requeue).get(state, runAt, refund, failure ? serializeFailure(failure) : null, id, t.leaseToken) as
        | { queue: string }
        | undefined;
      if (!row) return 'lease_lost';
      if (state === 'waiting') available.add(row.queue);
      return 'applied';
    }
  }
}

type Expired = { id: number; queue: string; stalls: number; attempt: number; idempotency_key: string | null; worker_id: string | null; cancel_requested: number };

/**
 * Returns jobs whose lease expired to waiting, counting a stall, or fails
 * them once they stalled more than `maxStalls` times. A job whose cancel was
 * requested is cancelled instead (reported in neither list): running it again
 * would undo the operator's cancel. The caller holds the write transaction.
 */
export function rescue(maxStalls: number, limit: number, now: number, prepare: Prepare, available: Set<string>): RescueResult {
  const q = SQL.rescueExpired;
  const requeued: string[] = [];
  const failed: string[] = [];
  for (const row of prepare(q.expired).all(now, limit) as Expired[]) {
    const stalls = row.stalls + 1;
    const worker = row.worker_id ?? 'unknown';
    if (row.cancel_requested === 1) {
      prepare(q.cancel).run(now, row.id);
    } else if (stalls > maxStalls) {
      const message = `job stalled ${stalls} times (maxStalls ${maxStalls}): its worker (${worker}) stopped renewing the lease, so it was failed`;
      prepare(q.fail).run(failure('StalledJobError', 'STALLED', message, row.attempt, now), now, row.id);
      if (row.idempotency_key !== null) prepare(SQL.applyTransitions.releaseKeyOnFailure).run(row.idempotency_key, row.id);
      failed.push(String(row.id));
    } else {
      const message = `the lease of worker ${worker} expired (stall ${stalls}, maxStalls ${maxStalls}); the job was put back to waiting`;
      prepare(q.requeue).run(failure('LeaseExpiredError', 'LEASE_EXPIRED', message, row.attempt, now), row.id);
      requeued.push(String(row.id));
      available.add(row.queue);
    }
  }
  return { requeued, failed };
}

function failure(name: string, code: string, message: string, attempt: number, at: number): string {
  const f: JobFailure = { name, code, message, stack: null, attempt, at: new Date(at) };
  return serializeFailure(f);
}
