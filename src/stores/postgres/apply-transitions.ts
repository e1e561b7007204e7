import { outcomeDelayMs, outcomeFailure, outcomeRefundsAttempt, outcomeState, type LeasedTransition, type TransitionResult } from '../../core/outcome.js';
import type { HotQueries, NamedQuery } from './hot-queries.js';
import { failureJson, parseJobId } from './job-row.js';

type Run = <R>(query: NamedQuery, values: unknown[], operation: string) => Promise<{ rows: R[] }>;

/**
 * Applies worker outcomes in one statement: every one guarded by state
 * `active` and its lease token, the target state from core (outcomeState).
 * A batch of completions (the hot path) takes a leaner statement. Returns the
 * results in input order and the queues that got a job back to `waiting`.
 */
export async function applyTransitions(all: LeasedTransition[], qs: HotQueries, run: Run): Promise<{ results: TransitionResult[]; wake: Set<string> }> {
  const results = new Array<TransitionResult>(all.length).fill('lease_lost');
  const wake = new Set<string>();
  // The same job twice in one call: the first wins, as if applied in order.
  const seen = new Set<string>();
  const idx: number[] = [];
  for (let i = 0; i < all.length; i++) {
    const id = parseJobId(all[i]!.jobId);
    if (id === null || seen.has(id)) continue;
    seen.add(id);
    idx.push(i);
  }
  if (idx.length === 0) return { results, wake };
  const mark = (rows: Array<{ id: string }>) => {
    const applied = new Set(rows.map((r) => r.id));
    for (const i of idx) if (applied.has(all[i]!.jobId)) results[i] = 'applied';
  };

  if (idx.every((i) => all[i]!.outcome.kind === 'complete')) {
    const { rows } = await run<{ id: string }>(
      qs.completeJobs,
      [idx.map((i) => all[i]!.jobId), idx.map((i) => all[i]!.leaseToken), idx.map((i) => (all[i]!.outcome as { resultJson: string | null }).resultJson)],
      'applyTransitions',
    );
    mark(rows);
    return { results, wake };
  }

  const n = idx.length;
  const ids = new Array<string>(n), tokens = new Array<string>(n), states = new Array<string>(n), delays = new Array<number | null>(n);
  const refunds = new Array<number>(n), setResult = new Array<boolean>(n), resultJson = new Array<string | null>(n);
  const errors = new Array<string | null>(n), reasons = new Array<string | null>(n);
  for (let k = 0; k < n; k++) {
    const t = all[idx[k]!]!;
    const o = t.outcome;
    ids[k] = t.jobId;
    tokens[k] = t.leaseToken;
    states[k] = outcomeState(o);
    // null keeps the run time: a released job keeps its place in line
    delays[k] = o.kind === 'release' ? null : outcomeDelayMs(o);
    refunds[k] = outcomeRefundsAttempt(o) ? 1 : 0;
    setResult[k] = o.kind === 'complete';
    resultJson[k] = o.kind === 'complete' ? o.resultJson : null;
    const f = outcomeFailure(o);
    errors[k] = f ? failureJson(f) : null;
    reasons[k] = o.kind === 'cancel' ? o.reason : null;
  }
  const { rows } = await run<{ id: string; queue: string; state: string }>(
    qs.applyTransitions,
    [ids, tokens, states, delays, refunds, setResult, resultJson, errors, reasons],
    'applyTransitions',
  );
  mark(rows);
  for (const r of rows) if (r.state === 'waiting') wake.add(r.queue);
  return { results, wake };
}
