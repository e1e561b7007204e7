import type Database from 'better-sqlite3';
import { InvalidTransitionError } from '../../core/errors.js';
import { CANCELLABLE_STATES, LEASED_STATES, type StoredState } from '../../core/job-state.js';
import type { PruneParams, CancelResult } from '../../store/store.js';
import { SQL } from './queries.js';
import type { JobRecord } from '../../core/job.js';
import { readJobSafely } from './job-rows.js';

/**
 * What an operator (API, dashboard, CLI) or the pruner does to a job. Each
 * runs inside the caller's write transaction.
 */
type Prepare = (sql: string, pluck?: boolean) => Database.Statement;

function readJob(id: number, now: number, prepare: Prepare): JobRecord {
  return readJobSafely(id, now, prepare)!;
}

/** Held by no worker (waiting, delayed): cancelled at once. Reserved or active: the request is recorded for its worker. */
export function cancelJob(id: number, reason: string, now: number, prepare: Prepare): CancelResult {
  const q = SQL.cancelJob;
  const state = prepare(q.state, true).get(id) as StoredState | undefined;
  if (state === undefined) return { outcome: 'not_found', job: null };
  if (CANCELLABLE_STATES.includes(state)) {
    prepare(q.cancelNow).run(now, reason, id);
    return { outcome: 'cancelled', job: readJob(id, now, prepare) };
  }
  if (LEASED_STATES.includes(state)) {
    prepare(q.requestCancel).run(reason, id);
    return { outcome: 'cancel_requested', job: readJob(id, now, prepare) };
  }
  return { outcome: 'already_finished', job: readJob(id, now, prepare) };
}

/** Back to waiting with fresh attempts; returns the job, or undefined when it was not finished. */
export function retryJob(id: number, now: number, prepare: Prepare): JobRecord | undefined {
  const q = SQL.retryJob;
  if (prepare(q.retry, true).get(now, id) === undefined) return undefined;
  // A key released when the job failed is taken back, unless another job holds it now.
  const k = prepare(q.keyOf).get(id) as { idempotency_key: string | null; key_flags: number };
  if (k.idempotency_key !== null) prepare(q.reclaimKey).run(k.idempotency_key, id, k.key_flags & 1, k.key_flags & 2 ? 1 : 0);
  return readJob(id, now, prepare);
}

/** Deletes a job that is not running (a reserved one may go: its worker finds the lease gone), with its key unless kept forever. */
export function deleteJob(id: number, jobId: string, prepare: Prepare): boolean {
  const state = prepare(SQL.deleteJob.state, true).get(id) as string | undefined;
  if (state === undefined) return false;
  if (state === 'active') throw new InvalidTransitionError('active', 'deleted', jobId);
  prepare(SQL.deleteJob.delete).run(id);
  prepare(SQL.deleteJob.releaseKeys).run(id);
  return true;
}

/** Retention for one queue and state; keys of pruned jobs go too, unless kept forever. */
export function pruneJobs(p: PruneParams, now: number, prepare: Prepare): number {
  const ids = prepare(SQL.pruneJobs, true).all({
    queue: p.queue,
    state: p.state,
    cutoff: p.maxAgeMs === null ? null : now - p.maxAgeMs,
    maxCount: p.maxCount,
    limit: p.limit,
  }) as number[];
  if (ids.length > 0) prepare(SQL.pruneKeys).run(JSON.stringify(ids));
  return ids.length;
}
