import { MAX_PRIORITY, MIN_PRIORITY } from '../core/config.js';
import { ValidationError } from '../core/errors.js';
import { FINISHED_STATES, JOB_STATES, type JobState, type NewJob } from '../core/job.js';
import type { AttemptOutcome, LeasedTransition } from '../core/outcome.js';
import { assertName, checkJsonText, describe, jsonTextProblem, NAME_PATTERN, textProblem } from '../core/validate.js';
import type { ClaimParams, EnqueueParams, JobStatsParams, JobTimelineParams, ListJobsParams, PruneParams, StoreCapabilities } from './store.js';

/**
 * Checks on what callers hand a store, shared by every store so each refuses
 * the same input with the same codes and messages. Core validates user input
 * first (options, defaults, the payload's JSON shape); these guard the store's
 * own contract, once per Store call, before any write, so a bad batch writes
 * nothing. Every store runs exactly these for enqueue, claimFire and
 * triggerSchedule (NewJob), stats and timeline.
 */

/**
 * Checks a Store.enqueue batch (or a fire's jobs) and returns each job's
 * payload parsed: every store builds the new job's record from it, and a
 * store that embeds `dataJson` in a larger JSON document (PostgreSQL) relies
 * on it being exactly one JSON value.
 */
export function checkNewJobs(jobs: NewJob[]): unknown[] {
  if (!Array.isArray(jobs)) throw invalid('jobs', `jobs must be an array (got ${describe(jobs)})`);
  const data = new Array<unknown>(jobs.length);
  // A plain loop and field names built only for a message: this runs for every job enqueued.
  for (let i = 0; i < jobs.length; i++) data[i] = checkNewJob(jobs[i] as Partial<NewJob>, i);
  return data;
}

const isName = (v: unknown): boolean => typeof v === 'string' && NAME_PATTERN.test(v);
const isInt = (v: unknown, min: number, max: number): boolean => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;

/** `jobs[i].key`, for messages. */
const at = (i: number, key: string): string => `jobs[${i}].${key}`;

/** Checks one job of a batch and returns its parsed payload. */
function checkNewJob(job: Partial<NewJob>, i: number): unknown {
  if (typeof job !== 'object' || job === null) throw invalid(`jobs[${i}]`, `jobs[${i}] must be an object`);
  if (!isName(job.name)) assertName(at(i, 'name'), job.name);
  if (!isName(job.queue)) assertName(at(i, 'queue'), job.queue);
  if (typeof job.dataJson !== 'string') throw new ValidationError('INVALID_DATA', at(i, 'dataJson'), `${at(i, 'dataJson')} must be a JSON string`);
  // One JSON value, at most MAX_JSON_DEPTH deep, no NUL or lone surrogate: what every store can read back.
  const problem = jsonTextProblem(job.dataJson);
  if (problem !== null) throw new ValidationError('INVALID_DATA', at(i, 'dataJson'), `${at(i, 'dataJson')} ${problem}`);
  const data = JSON.parse(job.dataJson) as unknown;
  if (!isInt(job.priority, MIN_PRIORITY, MAX_PRIORITY)) int(at(i, 'priority'), job.priority, MIN_PRIORITY, MAX_PRIORITY);
  if (typeof job.delayMs !== 'number' || !Number.isFinite(job.delayMs) || job.delayMs < 0) num(at(i, 'delayMs'), job.delayMs, 0);
  if (job.runAt !== null && !isDate(job.runAt)) throw invalid(at(i, 'runAt'), `${at(i, 'runAt')} must be a valid Date or null`);
  if (!isInt(job.maxAttempts, 1, 1e9)) int(at(i, 'maxAttempts'), job.maxAttempts, 1, 1e9);
  if (job.timeoutMs !== null && !isInt(job.timeoutMs, 1, Number.MAX_SAFE_INTEGER)) int(at(i, 'timeoutMs'), job.timeoutMs, 1, Number.MAX_SAFE_INTEGER);
  if (job.idempotencyKey !== null && (typeof job.idempotencyKey !== 'string' || job.idempotencyKey.length === 0)) {
    throw invalid(at(i, 'idempotencyKey'), `${at(i, 'idempotencyKey')} must be a non-empty string or null`);
  }
  // Text a store keeps as text: no NUL (PostgreSQL cannot hold it), no lone surrogate.
  if (job.idempotencyKey !== null) text(at(i, 'idempotencyKey'), job.idempotencyKey);
  if (typeof job.keepKeyForever !== 'boolean') bool(at(i, 'keepKeyForever'), job.keepKeyForever);
  if (typeof job.releaseKeyOnFailure !== 'boolean') bool(at(i, 'releaseKeyOnFailure'), job.releaseKeyOnFailure);
  if (job.scheduleName !== null && typeof job.scheduleName !== 'string') throw invalid(at(i, 'scheduleName'), `${at(i, 'scheduleName')} must be a string or null`);
  if (job.scheduleName !== null) text(at(i, 'scheduleName'), job.scheduleName);
  if (job.fireTime !== null && !isDate(job.fireTime)) throw invalid(at(i, 'fireTime'), `${at(i, 'fireTime')} must be a valid Date or null`);
  return data;
}

/**
 * Store.enqueue's input, once per call: the jobs (checkNewJobs, returning
 * their parsed payloads) and `tx`, which only a store declaring
 * `capabilities.transactionalEnqueue` accepts (its shape is the store's to check).
 */
export function checkEnqueue(params: EnqueueParams, capabilities: StoreCapabilities): { jobs: NewJob[]; data: unknown[]; tx: unknown } {
  if (typeof params !== 'object' || params === null) throw invalid('params', `enqueue takes { jobs, tx? } (got ${describe(params)})`);
  const tx = params.tx ?? undefined;
  if (tx !== undefined && !capabilities.transactionalEnqueue) {
    throw invalid('tx', 'this store cannot join a caller transaction (capabilities.transactionalEnqueue is false)');
  }
  return { jobs: params.jobs, data: checkNewJobs(params.jobs), tx };
}

export function checkClaim(p: ClaimParams): void {
  if (typeof p.workerId !== 'string' || p.workerId.length === 0) throw invalid('workerId', 'workerId must be a non-empty string');
  if (!Array.isArray(p.queues)) throw invalid('queues', 'queues must be an array');
  p.queues.forEach((q, i) => {
    assertName(`queues[${i}].queue`, q?.queue);
    int(`queues[${i}].limit`, q.limit, 0, 1_000_000);
  });
  if (!Array.isArray(p.names) || p.names.some((n) => typeof n !== 'string')) throw invalid('names', 'names must be an array of strings');
  int('leaseMs', p.leaseMs, 1, Number.MAX_SAFE_INTEGER);
}

const OUTCOME_KINDS = new Set<AttemptOutcome['kind']>(['complete', 'retry', 'fail', 'snooze', 'release', 'cancel']);

export function checkTransitions(ts: LeasedTransition[]): void {
  if (!Array.isArray(ts)) throw invalid('transitions', 'transitions must be an array');
  ts.forEach((t, i) => {
    const f = `transitions[${i}]`;
    if (typeof t?.jobId !== 'string' || typeof t.leaseToken !== 'string') throw invalid(f, `${f} needs a jobId and a leaseToken`);
    if (t.startedAgoMs !== undefined) num(`${f}.startedAgoMs`, t.startedAgoMs, 0);
    const o = t.outcome;
    if (o === null) {
      // Only a start: it must say when.
      if (t.startedAgoMs === undefined) throw invalid(`${f}.startedAgoMs`, `${f} records a start, so it needs startedAgoMs`);
      return;
    }
    if (!o || !OUTCOME_KINDS.has(o.kind)) throw invalid(`${f}.outcome.kind`, `${f}.outcome.kind is not an outcome (got ${describe(o?.kind)})`);
    if ((o.kind === 'retry' || o.kind === 'snooze')) num(`${f}.outcome.delayMs`, o.delayMs, 0);
    if ((o.kind === 'retry' || o.kind === 'fail') && (!o.failure || typeof o.failure.message !== 'string' || !isDate(o.failure.at))) {
      throw invalid(`${f}.outcome.failure`, `${f}.outcome.failure must be a JobFailure`);
    }
    if (o.kind === 'complete' && o.resultJson !== null && typeof o.resultJson !== 'string') {
      throw invalid(`${f}.outcome.resultJson`, `${f}.outcome.resultJson must be a JSON string or null`);
    }
    // The worker checks results first (a bad one fails its attempt); this keeps unreadable text out of the store.
    if (o.kind === 'complete' && o.resultJson !== null) checkJsonText(`${f}.outcome.resultJson`, o.resultJson);
  });
}

export function checkLeaseMs(leaseMs: unknown): void {
  int('leaseMs', leaseMs, 1, Number.MAX_SAFE_INTEGER);
}

export function checkPrune(p: PruneParams): void {
  assertName('queue', p.queue);
  if (!FINISHED_STATES.includes(p.state)) throw invalid('state', `state must be ${FINISHED_STATES.join(', ')} (got ${describe(p.state)})`);
  if (p.maxAgeMs !== null) int('maxAgeMs', p.maxAgeMs, 0, Number.MAX_SAFE_INTEGER);
  if (p.maxCount !== null) int('maxCount', p.maxCount, 0, Number.MAX_SAFE_INTEGER);
  int('limit', p.limit, 1, 1_000_000);
}

export function checkList(p: ListJobsParams): Set<JobState> | null {
  int('limit', p.limit, 1, 10_000);
  if (p.order !== undefined && p.order !== 'asc' && p.order !== 'desc') throw invalid('order', `order must be 'asc' or 'desc'`);
  if (p.createdAfter !== undefined && !isDate(p.createdAfter)) throw invalid('createdAfter', 'createdAfter must be a valid Date');
  if (p.createdBefore !== undefined && !isDate(p.createdBefore)) throw invalid('createdBefore', 'createdBefore must be a valid Date');
  if (p.states === undefined) return null;
  if (!Array.isArray(p.states) || p.states.some((s) => !(JOB_STATES as readonly string[]).includes(s))) {
    throw invalid('states', `states must be a list of ${JOB_STATES.join(', ')}`);
  }
  return new Set(p.states);
}

export function int(field: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw invalid(field, `${field} must be an integer in [${min}, ${max}] (got ${describe(v)})`);
  }
  return v;
}

function num(field: string, v: unknown, min: number): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) throw invalid(field, `${field} must be a number >= ${min} (got ${describe(v)})`);
}

/** The text rule (core/validate.ts textProblem): no NUL, no lone surrogate; refused, never altered. */
function text(field: string, v: string): void {
  const problem = textProblem(v);
  if (problem !== null) throw invalid(field, `${field} ${problem}`);
}

function bool(field: string, v: unknown): void {
  if (typeof v !== 'boolean') throw invalid(field, `${field} must be a boolean (got ${describe(v)})`);
}

function isDate(v: unknown): v is Date {
  return v instanceof Date && !Number.isNaN(v.getTime());
}

export function invalid(field: string, message: string): ValidationError {
  return new ValidationError('INVALID_OPTION', field, message);
}

export function checkProgress(updates: Array<{ jobId: string; leaseToken: string; progress: { current: number; total: number | null; message: string | null } }>): void {
  if (!Array.isArray(updates)) throw invalid('updates', 'updates must be an array');
  updates.forEach(({ progress: p }, i) => {
    const f = `updates[${i}].progress`;
    if (typeof p?.current !== 'number' || !Number.isFinite(p.current)) throw invalid(`${f}.current`, `${f}.current must be a finite number`);
    if (p.total !== null && (typeof p.total !== 'number' || !Number.isFinite(p.total))) throw invalid(`${f}.total`, `${f}.total must be a finite number or null`);
    if (p.message !== null && typeof p.message !== 'string') throw invalid(`${f}.message`, `${f}.message must be a string or null`);
  });
}

/** Window lengths and the run-time window of jobStats: at most 366 days each. */
export const MAX_STATS_WINDOW_MS = 366 * 24 * 60 * 60 * 1000;
export const MAX_STATS_WINDOWS = 16;

/** Store.jobStats's input; returns the queue filter (undefined: all queues). */
export function checkStats(p: JobStatsParams): { queue: string | undefined } {
  if (typeof p !== 'object' || p === null) throw invalid('params', `jobStats takes { windowsMs, runTimeWindowMs, queue? } (got ${describe(p)})`);
  if (!Array.isArray(p.windowsMs) || p.windowsMs.length === 0 || p.windowsMs.length > MAX_STATS_WINDOWS) {
    throw invalid('windowsMs', `windowsMs must be a list of 1 to ${MAX_STATS_WINDOWS} window lengths`);
  }
  p.windowsMs.forEach((w, i) => int(`windowsMs[${i}]`, w, 1, MAX_STATS_WINDOW_MS));
  int('runTimeWindowMs', p.runTimeWindowMs, 1, MAX_STATS_WINDOW_MS);
  return { queue: p.queue === undefined ? undefined : assertName('queue', p.queue) };
}

export const MAX_TIMELINE_BUCKETS = 1_440;
export const MAX_TIMELINE_SPAN_MS = MAX_STATS_WINDOW_MS;

/** Store.jobTimeline's input, resolved. */
export function checkTimeline(p: JobTimelineParams): { bucketMs: number; buckets: number; queue: string | undefined } {
  if (typeof p !== 'object' || p === null) throw invalid('params', `jobTimeline takes { bucketMs, buckets, queue? } (got ${describe(p)})`);
  const bucketMs = int('bucketMs', p.bucketMs, 1, MAX_TIMELINE_SPAN_MS);
  const buckets = int('buckets', p.buckets, 1, MAX_TIMELINE_BUCKETS);
  if (bucketMs * buckets > MAX_TIMELINE_SPAN_MS) throw invalid('buckets', `buckets * bucketMs must be at most ${MAX_TIMELINE_SPAN_MS} ms (366 days)`);
  return { bucketMs, buckets, queue: p.queue === undefined ? undefined : assertName('queue', p.queue) };
}

/** upsertSchedules's input: an array of declarations with distinct valid names; returns the names. */
export function checkUpsertSchedules(params: { schedules: Array<{ name: string }> }): string[] {
  if (!Array.isArray(params?.schedules)) throw invalid('schedules', 'schedules must be an array');
  const names = params.schedules.map((d, i) => assertName(`schedules[${i}].name`, d?.name));
  if (new Set(names).size !== names.length) throw invalid('schedules', 'schedules declares a name twice');
  return names;
}

/** listDueSchedules's input. */
export function checkDueSchedules(params: { lookaheadMs: number; limit: number }): void {
  if (typeof params !== 'object' || params === null) throw invalid('params', 'listDueSchedules takes { lookaheadMs, limit }');
  int('lookaheadMs', params.lookaheadMs, 0, Number.MAX_SAFE_INTEGER);
  int('limit', params.limit, 0, 1_000_000);
}

/** listScheduleFires's input. */
export function checkScheduleFires(params: { name: string; limit: number }): void {
  if (typeof params !== 'object' || params === null) throw invalid('params', 'listScheduleFires takes { name, limit }');
  int('limit', params.limit, 0, 1_000_000);
}
