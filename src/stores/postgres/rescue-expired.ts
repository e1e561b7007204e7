import { decideRescue } from '../../core/job-state.js';
import type { RescueResult } from '../../store/store.js';
import type { HotQueries } from './hot-queries.js';
import { failureJson } from './job-rows.js';
import type { Transaction } from './transaction.js';

/** An expired lease as the rescuer reads it (hot-queries.ts rescueExpiredRead). */
interface ExpiredRow {
  id: string;
  state: 'reserved' | 'active';
  stalls: number;
  attempt: number;
  worker_id: string | null;
  cancel_requested: boolean;
  /** The statement's now(), epoch ms: the store's clock for the decision. */
  now: number;
}

/**
 * One transaction: read the expired leases of held jobs (locked, SKIP
 * LOCKED, so concurrent rescuers split them), let core's decideRescue judge
 * each on the statement's now, apply the decisions in one statement under
 * each operation's guard (rescue: active; unreserve: reserved). Returns the
 * result and the queues that got a job back to `waiting`.
 */
export async function rescueExpired(
  params: { maxStalls: number; limit: number },
  qs: HotQueries,
  transaction: Transaction,
): Promise<{ result: RescueResult; wake: Set<string> }> {
  const rows = await transaction('rescueExpired', async (run) => {
    const { rows: expired } = await run<ExpiredRow>(qs.rescueExpiredRead, [params.limit], 'rescueExpired');
    if (expired.length === 0) return [];
    const n = expired.length;
    const ids = new Array<string>(n), ops = new Array<string>(n), states = new Array<string>(n);
    const stalls = new Array<number | null>(n), errors = new Array<string | null>(n);
    expired.forEach((e, k) => {
      const d = decideRescue(
        { state: e.state, stalls: e.stalls, attempt: e.attempt, workerId: e.worker_id, cancelRequested: e.cancel_requested },
        params.maxStalls,
        new Date(e.now),
      );
      ids[k] = e.id;
      ops[k] = d.op;
      states[k] = d.to;
      stalls[k] = d.op === 'rescue' ? d.stalls : null;
      errors[k] = 'failure' in d ? failureJson(d.failure) : null;
    });
    return (await run<{ id: string; queue: string; state: string; op: string }>(qs.rescueExpiredApply, [ids, ops, states, stalls, errors], 'rescueExpired')).rows;
  });
  const result: RescueResult = { requeued: [], failed: [], unreserved: [] };
  const wake = new Set<string>();
  for (const r of rows) {
    if (r.state === 'failed') result.failed.push(r.id);
    else if (r.state === 'waiting') {
      (r.op === 'unreserve' ? result.unreserved : result.requeued).push(r.id);
      wake.add(r.queue);
    }
    // cancelled (its cancel was requested, its worker is gone): in neither list
  }
  return { result, wake };
}
