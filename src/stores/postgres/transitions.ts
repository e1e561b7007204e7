import type { ClaimedJob } from '../../core/job.js';
import { OPERATIONS } from '../../core/job-state.js';
import {
  attemptDelta,
  outcomeDelayMs,
  outcomeFailure,
  outcomeState,
  transitionOperation,
  transitionStarted,
  type LeasedTransition,
  type TransitionResult,
} from '../../core/outcome.js';
import type { ClaimParams } from '../../store/store.js';
import type { HotQueries } from './hot-queries.js';
import { failureJson, parseJobId, toClaimedJob, type ClaimRow } from './job-rows.js';
import type { Run, Transaction } from './transaction.js';


/** Where a start takes a job (reserved -> active). */
const STARTED = OPERATIONS.start.to[0]!;

/** One statement's worth of writes turned into parameters. */
interface Batch {
  /** Input positions that go to the server (valid ids, at most one per job). */
  idx: number[];
  /** Every write is a completion or a start: the leaner statement (5 arrays) applies. */
  lean: boolean;
  values: unknown[];
}

/**
 * Applies a worker's writes (starts and ends), each under the
 * guard of its operation and its lease token, with target states and attempt
 * deltas from core. Normally one statement: a batch of completions and starts
 * (the hot path) takes a leaner one. A job named twice (a start, then its
 * end) needs its writes in order, which one UPDATE cannot give (it changes a
 * row once): then the batch runs as rounds, the k-th write of each job in
 * round k, in one transaction. Returns the results in input order and the
 * queues that got a job back to `waiting`.
 */
export async function applyTransitions(
  all: LeasedTransition[],
  qs: HotQueries,
  run: Run,
  transaction: Transaction,
): Promise<{ results: TransitionResult[]; wake: Set<string> }> {
  const results = new Array<TransitionResult>(all.length).fill('lease_lost');
  const wake = new Set<string>();
  const rounds = toRounds(all);
  if (rounds.length === 0) return { results, wake };
  if (rounds.length === 1) {
    await applyRound(all, rounds[0]!, qs, run, results, wake);
    return { results, wake };
  }
  await transaction('applyTransitions', async (runTx) => {
    for (const round of rounds) await applyRound(all, round, qs, runTx, results, wake);
  });
  return { results, wake };
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
  transaction: Transaction,
): Promise<{ results: TransitionResult[]; wake: Set<string>; jobs: ClaimedJob[] }> {
  const results = new Array<TransitionResult>(all.length).fill('lease_lost');
  const wake = new Set<string>();
  const jobs: ClaimedJob[] = [];
  const claimValues = [claim.queues.map((q) => q.queue), claim.queues.map((q) => q.limit), claim.names, claim.leaseMs, claim.workerId, tokenPrefix];
  const rounds = toRounds(all);
  if (rounds.length > 1) {
    // A job named twice: its writes in order (rounds), then the claim, in one transaction.
    await transaction('applyAndClaim', async (runTx) => {
      for (const round of rounds) await applyRound(all, round, qs, runTx, results, wake);
      const { rows } = await runTx<ClaimRow>(qs.claimJobs, claimValues, 'applyAndClaim');
      for (const r of rows) jobs.push(toClaimedJob(r, claim.leaseMs, claim.workerId));
    });
    return { results, wake, jobs };
  }
  // Nothing valid to apply: the statement still runs for the claim, with empty arrays.
  const batch = toBatch(all, rounds[0] ?? []);
  const query = batch.lean ? qs.completeAndClaim : qs.applyAndClaim;
  const { rows } = await run<ClaimRow & { applied: string[] | null; wake: string[] | null }>(query, [...batch.values, ...claimValues], 'applyAndClaim');
  for (const r of rows) {
    if (r.applied !== null) {
      markApplied(all, batch, r.applied, results);
      for (const q of r.wake ?? []) wake.add(q);
    } else {
      jobs.push(toClaimedJob(r, claim.leaseMs, claim.workerId));
    }
  }
  return { results, wake, jobs };
}

async function applyRound(all: LeasedTransition[], idx: number[], qs: HotQueries, run: Run, results: TransitionResult[], wake: Set<string>): Promise<void> {
  const batch = toBatch(all, idx);
  if (batch.lean) {
    const { rows } = await run<{ id: string }>(qs.completeJobs, batch.values, 'applyTransitions');
    markApplied(all, batch, rows.map((r) => r.id), results);
    return;
  }
  const { rows } = await run<{ id: string; queue: string; state: string }>(qs.applyTransitions, batch.values, 'applyTransitions');
  markApplied(all, batch, rows.map((r) => r.id), results);
  for (const r of rows) if (r.state === 'waiting') wake.add(r.queue);
}

/**
 * The input positions to send, as rounds: round k holds the k-th write of
 * each job, in input order. Almost always one round; none when no id is valid
 * (an id that cannot name a job is 'lease_lost' without a statement).
 */
function toRounds(all: LeasedTransition[]): number[][] {
  const rounds: number[][] = [];
  const seen = new Map<string, number>();
  for (let i = 0; i < all.length; i++) {
    const id = parseJobId(all[i]!.jobId);
    if (id === null) continue;
    const k = seen.get(id) ?? 0;
    seen.set(id, k + 1);
    (rounds[k] ??= []).push(i);
  }
  return rounds;
}

function toBatch(all: LeasedTransition[], idx: number[]): Batch {
  const n = idx.length;
  let lean = true;
  for (const i of idx) {
    const o = all[i]!.outcome;
    if (o !== null && o.kind !== 'complete') {
      lean = false;
      break;
    }
  }
  const ids = new Array<string>(n), tokens = new Array<string>(n), resultJson = new Array<string | null>(n), ago = new Array<number | null>(n);
  if (lean) {
    const start = new Array<boolean>(n);
    for (let k = 0; k < n; k++) {
      const t = all[idx[k]!]!;
      ids[k] = t.jobId;
      tokens[k] = t.leaseToken;
      resultJson[k] = t.outcome === null ? null : (t.outcome as { resultJson: string | null }).resultJson;
      // A completion always ran; one that does not say when it started started now.
      ago[k] = t.startedAgoMs ?? 0;
      start[k] = t.outcome === null;
    }
    return { idx, lean, values: [ids, tokens, resultJson, ago, start] };
  }
  const ops = new Array<string>(n), states = new Array<string>(n), delays = new Array<number | null>(n);
  const deltaReserved = new Array<number>(n), deltaActive = new Array<number>(n);
  const errors = new Array<string | null>(n), reasons = new Array<string | null>(n);
  for (let k = 0; k < n; k++) {
    const t = all[idx[k]!]!;
    const o = t.outcome;
    ids[k] = t.jobId;
    tokens[k] = t.leaseToken;
    ops[k] = transitionOperation(t);
    states[k] = o === null ? STARTED : outcomeState(o);
    // null keeps the run time: a released job keeps its place in line
    delays[k] = o === null || o.kind === 'release' ? null : outcomeDelayMs(o);
    deltaReserved[k] = attemptDelta(t, 'reserved');
    deltaActive[k] = attemptDelta(t, 'active');
    ago[k] = transitionStarted(t) ? (t.startedAgoMs ?? 0) : null;
    resultJson[k] = o?.kind === 'complete' ? o.resultJson : null;
    const f = o === null ? null : outcomeFailure(o);
    errors[k] = f ? failureJson(f) : null;
    reasons[k] = o?.kind === 'cancel' ? o.reason : null;
  }
  return { idx, lean, values: [ids, tokens, ops, states, delays, deltaReserved, deltaActive, ago, resultJson, errors, reasons] };
}

function markApplied(all: LeasedTransition[], batch: Batch, appliedIds: Iterable<string>, results: TransitionResult[]): void {
  const applied = new Set(appliedIds);
  for (const i of batch.idx) if (applied.has(all[i]!.jobId)) results[i] = 'applied';
}
