import type Database from 'better-sqlite3';
import { decideRescue } from '../../core/job-state.js';
import { attemptDelta, outcomeFailure, outcomeState, transitionStarted, type LeasedTransition, type TransitionResult } from '../../core/outcome.js';
import type { RescueResult } from '../../store/store.js';
import { SQL } from './queries.js';
import { parseJobId, serializeFailure } from './job-rows.js';

type Prepare = (sql: string, pluck?: boolean) => Database.Statement;

/**
 * Applies a batch of a worker's leased writes in order; the caller holds the
 * write transaction. Completions, the bulk of any batch, go in one statement
 * when no job appears twice (then order within the batch cannot matter).
 */
export function applyTransitionBatch(ts: LeasedTransition[], now: number, prepare: Prepare, available: Set<string>): TransitionResult[] {
  const completes: number[] = [];
  const ids = new Set<string>();
  ts.forEach((t, i) => {
    if (t.outcome?.kind === 'complete') completes.push(i);
    ids.add(t.jobId);
  });
  if (completes.length < 2 || ids.size !== ts.length) return ts.map((t) => applyTransition(t, now, prepare, available));
  const results = new Array<TransitionResult>(ts.length);
  const rows: Array<[number, string, string | null, number]> = [];
  for (const i of completes) {
    const t = ts[i]!;
    const id = parseJobId(t.jobId);
    if (id === null) results[i] = 'lease_lost';
    else rows.push([id, t.leaseToken, (t.outcome as { resultJson: string | null }).resultJson, startedAt(t, now)!]);
  }
  const applied = new Set(prepare(SQL.applyTransitions.completeMany, true).all(now, JSON.stringify(rows)) as number[]);
  for (const i of completes) results[i] ??= applied.has(Number(ts[i]!.jobId)) ? 'applied' : 'lease_lost';
  ts.forEach((t, i) => {
    if (t.outcome?.kind !== 'complete') results[i] = applyTransition(t, now, prepare, available);
  });
  return results;
}

/** When the handler started, on the store's clock; null for a job that never started. */
function startedAt(t: LeasedTransition, now: number): number | null {
  return transitionStarted(t) ? now - Math.round(t.startedAgoMs ?? 0) : null;
}

/**
 * Applies one leased write under the guard of its operation (core's
 * transitionOperation): a start, or an end (from reserved or active); the
 * caller holds the write transaction. The target state comes
 * from core's `outcomeState`, the attempt count from `attemptDelta`. Queues
 * that got a runnable job are added to `available`.
 */
export function applyTransition(t: LeasedTransition, now: number, prepare: Prepare, available: Set<string>): TransitionResult {
  const id = parseJobId(t.jobId);
  if (id === null) return 'lease_lost';
  const q = SQL.applyTransitions;
  const o = t.outcome;
  if (o === null) return prepare(q.start).run({ id, token: t.leaseToken, startedAt: startedAt(t, now) }).changes === 1 ? 'applied' : 'lease_lost';
  const state = outcomeState(o);
  const base = {
    id,
    token: t.leaseToken,
    state,
    now,
    startedAt: startedAt(t, now),
    deltaReserved: attemptDelta(t, 'reserved'),
    deltaActive: attemptDelta(t, 'active'),
  };
  switch (o.kind) {
    case 'complete':
      return prepare(q.complete).run({ ...base, result: o.resultJson }).changes === 1 ? 'applied' : 'lease_lost';
    case 'fail': {
      const row = prepare(q.fail).get({ ...base, error: serializeFailure(o.failure) }) as { idempotency_key: string | null } | undefined;
      if (!row) return 'lease_lost';
      if (row.idempotency_key !== null) prepare(q.releaseKeyOnFailure).run(row.idempotency_key, id);
      return 'applied';
    }
    case 'cancel':
      return prepare(q.cancel).run({ ...base, reason: o.reason }).changes === 1 ? 'applied' : 'lease_lost';
    case 'retry':
    case 'snooze':
    case 'release': {
      // A released job keeps its run time (its place in line); retry and snooze wait their delay.
      const runAt = o.kind === 'release' ? null : now + Math.round(o.delayMs);
      const failure = outcomeFailure(o);
      const row = prepare(q.requeue).get({ ...base, runAt, error: failure ? serializeFailure(failure) : null }) as { queue: string } | undefined;
      if (!row) return 'lease_lost';
      if (state === 'waiting') available.add(row.queue);
      return 'applied';
    }
  }
}

type Expired = { id: number; queue: string; state: 'reserved' | 'active'; stalls: number; attempt: number; idempotency_key: string | null; worker_id: string | null; cancel_requested: number };

/**
 * The rescuer's pass: every expired lease gets core's `decideRescue`, applied
 * under its operation's guard. The caller holds the write transaction.
 */
export function rescue(maxStalls: number, limit: number, now: number, prepare: Prepare, available: Set<string>): RescueResult {
  const q = SQL.rescueExpired;
  const result: RescueResult = { requeued: [], failed: [], unreserved: [] };
  for (const row of prepare(q.expired).all(now, limit) as Expired[]) {
    const d = decideRescue(
      { state: row.state, stalls: row.stalls, attempt: row.attempt, workerId: row.worker_id, cancelRequested: row.cancel_requested === 1 },
      maxStalls,
      new Date(now),
    );
    if (d.op === 'unreserve') {
      prepare(q.unreserve).run({ state: d.to, now, id: row.id });
      if (d.to === 'waiting') {
        result.unreserved.push(String(row.id));
        available.add(row.queue);
      }
    } else if (d.to === 'cancelled') {
      prepare(q.cancel).run(d.stalls, now, row.id);
    } else if (d.to === 'failed') {
      prepare(q.fail).run(d.stalls, serializeFailure(d.failure), now, row.id);
      if (row.idempotency_key !== null) prepare(SQL.applyTransitions.releaseKeyOnFailure).run(row.idempotency_key, row.id);
      result.failed.push(String(row.id));
    } else {
      prepare(q.requeue).run(d.stalls, serializeFailure(d.failure), row.id);
      result.requeued.push(String(row.id));
      available.add(row.queue);
    }
  }
  return result;
}
