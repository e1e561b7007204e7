import type { ClaimedJob, JobFailure, JobProgress, JobRecord } from '../../core/job.js';
import { publicState, type StoredState } from '../../core/job-state.js';
import { checkJobRecord, quote, readFailure, type FieldProblem } from '../../store/readable-job.js';

/**
 * The job columns every query returns. Timestamps come back as epoch
 * milliseconds (float8, via date_part: extract() would compute in numeric):
 * parsing a number is much cheaper than parsing a timestamptz string, and it
 * does not depend on the session's TimeZone or DateStyle (a user's own client
 * in `enqueue({ tx })` may set either).
 */
export function jobColumns(alias = ''): string {
  return columns(alias).map(([, sql]) => sql).join(', ');
}

/**
 * What a claim returns: the columns the claim did not just set. State
 * (reserved), lease expiry, worker and cancel flag follow from the statement
 * (its now(), the lease, the worker id), so the caller fills them in.
 * started_at is the last attempt's (null before the first): a claim does not
 * start the job.
 */
export function claimColumns(alias: string): string {
  const set = new Set(['state', 'lease_expires_at', 'worker_id', 'cancel_requested']);
  const kept = columns(alias).filter(([name]) => !set.has(name)).map(([, sql]) => sql);
  return [...kept, `date_part('epoch', now()) * 1000 AS now`].join(', ');
}

/** Every job column as [name, select expression], in one place for both lists above. */
function columns(alias: string): Array<[string, string]> {
  const a = alias ? `${alias}.` : '';
  const col = (c: string): [string, string] => [c, `${a}${c}`];
  const ms = (c: string): [string, string] => [c, `date_part('epoch', ${a}${c}) * 1000 AS ${c}`];
  return [
    ['id', `${a}id::text AS id`],
    col('name'),
    col('queue'),
    col('data'),
    // A delayed job whose time has come reads as waiting: it is runnable, nothing rewrites it.
    // Otherwise the stored state (toJobRecord maps `reserved` to its public state).
    ['state', `CASE WHEN ${a}state = 'delayed' AND ${a}run_at <= now() THEN 'waiting' ELSE ${a}state END AS state`],
    col('priority'),
    ms('run_at'),
    ms('created_at'),
    ms('started_at'),
    ms('finished_at'),
    col('attempt'),
    col('max_attempts'),
    ['timeout_ms', `${a}timeout_ms::float8 AS timeout_ms`],
    col('stalls'),
    col('lease_token'),
    ms('lease_expires_at'),
    col('worker_id'),
    col('cancel_requested'),
    col('progress_current'),
    col('progress_total'),
    col('progress_message'),
    ms('progress_updated_at'),
    col('result'),
    col('error'),
    col('idempotency_key'),
    col('schedule_name'),
    ms('fire_time'),
  ];
}

export type ClaimRow = Omit<JobRow, 'state' | 'lease_expires_at' | 'worker_id' | 'cancel_requested'> & { now: number; lease_token: string };

/**
 * Built field by field: spreading a driver row into a new object is ~50x
 * slower here. The job as stored after the claim: reserved (public state
 * waiting), attempt not counted, started_at unchanged.
 */
export function toClaimedJob(r: ClaimRow, leaseMs: number, workerId: string): ClaimedJob {
  const found: FieldProblem[] = [];
  return checkJobRecord<ClaimedJob>({
    id: r.id,
    name: r.name,
    queue: r.queue,
    data: r.data,
    state: 'waiting',
    priority: r.priority,
    runAt: new Date(r.run_at),
    createdAt: new Date(r.created_at),
    startedAt: date(r.started_at),
    finishedAt: date(r.finished_at),
    attempt: r.attempt,
    maxAttempts: r.max_attempts,
    timeoutMs: r.timeout_ms,
    reserved: true,
    stalls: r.stalls,
    leaseToken: r.lease_token,
    leaseExpiresAt: new Date(r.now + leaseMs),
    workerId,
    cancelRequested: false,
    progress: toProgress(r),
    result: r.result ?? null,
    error: toFailure(r.error, found),
    idempotencyKey: r.idempotency_key,
    scheduleName: r.schedule_name,
    fireTime: date(r.fire_time),
  }, found);
}

function toProgress(r: Pick<JobRow, 'progress_current' | 'progress_total' | 'progress_message' | 'progress_updated_at'>): JobProgress | null {
  return r.progress_updated_at === null
    ? null
    : { current: r.progress_current ?? 0, total: r.progress_total, message: r.progress_message, updatedAt: new Date(r.progress_updated_at) };
}

export interface JobRow {
  id: string;
  name: string;
  queue: string;
  data: unknown;
  /** Stored state, a due delayed job already read as waiting (jobColumns). */
  state: StoredState;
  priority: number;
  run_at: number;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  attempt: number;
  max_attempts: number;
  timeout_ms: number | null;
  stalls: number;
  lease_token: string | null;
  lease_expires_at: number | null;
  worker_id: string | null;
  cancel_requested: boolean;
  progress_current: number | null;
  progress_total: number | null;
  progress_message: string | null;
  progress_updated_at: number | null;
  result: unknown;
  error: (Omit<JobFailure, 'at'> & { at: string | number }) | null;
  idempotency_key: string | null;
  schedule_name: string | null;
  fire_time: number | null;
}

const date = (ms: number | null): Date | null => (ms === null ? null : new Date(ms));

export function toJobRecord(r: JobRow): JobRecord {
  const found: FieldProblem[] = [];
  return checkJobRecord({
    id: r.id,
    name: r.name,
    queue: r.queue,
    data: r.data,
    state: publicState(r.state),
    priority: r.priority,
    runAt: new Date(r.run_at),
    createdAt: new Date(r.created_at),
    startedAt: date(r.started_at),
    finishedAt: date(r.finished_at),
    attempt: r.attempt,
    maxAttempts: r.max_attempts,
    timeoutMs: r.timeout_ms,
    reserved: r.state === 'reserved',
    stalls: r.stalls,
    leaseToken: r.lease_token,
    leaseExpiresAt: date(r.lease_expires_at),
    workerId: r.worker_id,
    cancelRequested: r.cancel_requested,
    progress: toProgress(r),
    result: r.result ?? null,
    error: toFailure(r.error, found),
    idempotencyKey: r.idempotency_key,
    scheduleName: r.schedule_name,
    fireTime: date(r.fire_time),
  }, found);
}

/**
 * The `error` column (json: the server checked its syntax, not its shape).
 * A value that is not a failure record (another tool's, a newer version's)
 * reads as null and is noted in `found` (issue 11).
 */
function toFailure(f: JobRow['error'], found: FieldProblem[]): JobFailure | null {
  if (f === null) return null;
  const failure = readFailure(f);
  if (failure === null) found.push({ field: 'error', problem: `${quote(f)} is not a failure record` });
  return failure;
}

/** JSON text of a failure as stored in the `error` column (`at` in epoch ms, as the SQLite store keeps it). */
export function failureJson(f: JobFailure): string {
  return JSON.stringify({ message: f.message, name: f.name, code: f.code, stack: f.stack, attempt: f.attempt, at: f.at.getTime() });
}

const MAX_BIGINT = 9223372036854775807n;

/**
 * Job ids are bigint text. Anything else cannot name a job, so callers treat
 * it as "not found" rather than sending it to the server to fail a cast.
 */
export function parseJobId(id: unknown): string | null {
  if (typeof id !== 'string' || !/^[1-9][0-9]{0,18}$/.test(id)) return null;
  return BigInt(id) <= MAX_BIGINT ? id : null;
}
