import type { ClaimedJob } from '../../core/job.js';
import { outcomeDelayMs, outcomeFailure, outcomeRefundsAttempt, outcomeState, type LeasedTransition, type TransitionResult } from '../../core/outcome.js';
import type { ClaimParams } from '../../store/store.js';
import type { HotQueries, NamedQuery } from './hot-queries.js';
import { failureJson, parseJobId, toClaimedJob, type ClaimRow } from './job-row.js';

type Run = <R>(query: NamedQuery, values: unknown[], operation: string) => Promise<{ rows: R[] }>;

/** A batch of outcomes turned into statement parameters. */
interface Batch {
  /** In input order; 'lease_lost' until the statement says applied. */
  results: TransitionResult[];
  /** Input positions that go to the server (valid ids, first of each job). */
  idx: number[];
  /** Every outcome is `complete`: the leaner statement (3 arrays) applies. */
  completeOnly: boolean;
  values: unknown[];
}

/**
 * Applies worker outcomes in one statement: every one guarded by state
 * `active` and its lease token, the target state from core (outcomeState).
 * A batch of completions (the hot path) takes a leaner statement. Returns the
 * results in input order and the queues that got a job back to `waiting`.
 */
export async function applyTransitions(all: LeasedTransition[], qs: HotQueries, run: Run): Promise<{ results: TransitionResult[]; wake: Set<string> }> {
  const batch = toBatch(all);
  const wake = new Set<string>();
  if (batch.idx.length === 0) return { results: batch.results, wake };
  if (batch.completeOnly) {
    const { rows } = await run<{ id: string }>(qs.completeJobs, batch.values, 'applyTransitions');
    markApplied(all, batch, rows.map((r) => r.id));
    return { results: batch.results, wake };
  }
  const { rows } = await run<{ id: string; queue: string; state: string }>(qs.applyTransitions, batch.values, 'applyTransitions');
  markApplied(all, batch, rows.map((r) => r.id));
  for (const r of rows) if (r.state === 'waiting') wake.add(r.queue);
  return { results: batch.results, wake };
}

/**
 * applyTransitions and a claim in one statement (one round trip, one
 * commit). `claim.queues` must hold only positive limits and `claim.names`
 * at least one name (the caller checks). Claimed jobs come back sorted by
 * the caller, as claimJobs sorts them.
 */
export async function applyAndClaim(
  all: LeasedTransition[],
  claim: ClaimParams,
  tokenPrefix: string,
  qs: HotQueries,
  run: Run,
): Promise<{ results: TransitionResult[]; wake: Set<string>; jobs: ClaimedJob[] }> {
  const batch = toBatch(all);
  const claimValues = [claim.queues.map((q) => q.queue), claim.queues.map((q) => q.limit), claim.names, claim.leaseMs, claim.workerId, tokenPrefix];
  // Nothing valid to apply: the statement still runs for the claim, with empty arrays.
  const query = batch.completeOnly ? qs.completeAndClaim : qs.applyAndClaim;
  const { rows } = await run<ClaimRow & { applied: string[] | null; wake: string[] | null }>(query, [...batch.values, ...claimValues], 'applyAndClaim');
  const jobs: ClaimedJob[] = [];
  const wake = new Set<string>();
  for (const r of rows) {
    if (r.applied !== null) {
      markApplied(all, batch, r.applied);
      for (const q of r.wake ?? []) wake.add(q);
    } else {
      jobs.push(toClaimedJob(r, claim.leaseMs, claim.workerId));
    }
  }
  return { results: batch.results, wake, jobs };
}

function toBatch(all: LeasedTransition[]): Batch {
  const results = new Array<TransitionResult>(all.length).fill('lease_lost');
  // The same job twice in one call: the first wins, as if applied in order.
  const seen = new Set<string>();
  const idx: number[] = [];
  let completeOnly = true;
  for (let i = 0; i < all.length; i++) {
    const t = all[i]!;
    const id = parseJobId(t.jobId);
    if (id === null || seen.has(id)) continue;
    seen.add(id);
    idx.push(i);
    if (t.outcome.kind !== 'complete') completeOnly = false;
  }
  if (completeOnly) {
    const ids = new Array<string>(idx.length), tokens = new Array<string>(idx.length), resultJson = new Array<string | null>(idx.length);
    idx.forEach((i, k) => {
      const t = all[i]!;
      ids[k] = t.jobId;
      tokens[k] = t.leaseToken;
      resultJson[k] = (t.outcome as { resultJson: string | null }).resultJson;
    });
    return { results, idx, completeOnly, values: [ids, tokens, resultJson] };
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
  return { results, idx, completeOnly, values: [ids, tokens, states, delays, refunds, setResult, resultJson, errors, reasons] };
}

function markApplied(all: LeasedTransition[], batch: Batch, appliedIds: Iterable<string>): void {
  const applied = new Set(appliedIds);
  for (const i of batch.idx) if (applied.has(all[i]!.jobId)) batch.results[i] = 'applied';
}
