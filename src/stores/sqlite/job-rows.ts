import type Database from 'better-sqlite3';
import type { ClaimedJob, JobFailure, JobRecord, JobState } from '../../core/job.js';
import type { StoredState } from '../../core/job-state.js';
import { checkJsonText } from '../../core/validate.js';
import { JOB_JSON } from './queries.js';
import { checkJobRecord, quote, readFailure, type FieldProblem } from '../../store/readable-job.js';

/** A job row as JOB_JSON renders it (positions match queries.ts). */
type JobTuple = [
  id: number,
  name: string,
  queue: string,
  data: unknown,
  state: StoredState,
  priority: number,
  runAt: number,
  createdAt: number,
  startedAt: number | null,
  finishedAt: number | null,
  attempt: number,
  maxAttempts: number,
  timeoutMs: number | null,
  stalls: number,
  leaseToken: string | null,
  leaseExpiresAt: number | null,
  workerId: string | null,
  cancelRequested: number,
  progressCurrent: number | null,
  progressTotal: number | null,
  progressMessage: string | null,
  progressUpdatedAt: number | null,
  result: unknown,
  error: StoredFailure | null,
  idempotencyKey: string | null,
  scheduleName: string | null,
  fireTime: number | null,
];

type StoredFailure = Omit<JobFailure, 'at'> & { at: number };

/**
 * Builds the JobRecord from one JOB_JSON string. A runnable row reads as
 * `waiting` exactly when a claim could take it (run_at <= now), else `delayed`;
 * nothing needs to rewrite delayed rows when their time comes.
 */
export function jsonToJob(json: string, nowMs: number): JobRecord {
  return tupleToJob(JSON.parse(json) as JobTuple, nowMs);
}

function tupleToJob(t: JobTuple, nowMs: number, found?: FieldProblem[]): JobRecord {
  const error = toFailure(t[23]);
  if (error === UNREADABLE_FAILURE) (found ??= []).push(failureProblem(t[23]));
  const stored = t[4];
  // Reserved (held ahead of a free slot by a worker) reads as waiting, with the marker.
  const state: JobState = stored === 'waiting' || stored === 'delayed' ? (t[6] <= nowMs ? 'waiting' : 'delayed') : stored === 'reserved' ? 'waiting' : stored;
  return checkJobRecord({
    id: String(t[0]),
    name: t[1],
    queue: t[2],
    data: t[3],
    state,
    priority: t[5],
    runAt: new Date(t[6]),
    createdAt: new Date(t[7]),
    startedAt: t[8] === null ? null : new Date(t[8]),
    finishedAt: t[9] === null ? null : new Date(t[9]),
    attempt: t[10],
    maxAttempts: t[11],
    timeoutMs: t[12],
    reserved: stored === 'reserved',
    stalls: t[13],
    leaseToken: t[14],
    leaseExpiresAt: t[15] === null ? null : new Date(t[15]),
    workerId: t[16],
    cancelRequested: t[17] === 1,
    progress: t[21] === null ? null : { current: t[18] ?? 0, total: t[19], message: t[20], updatedAt: new Date(t[21]) },
    result: t[22],
    error: error === UNREADABLE_FAILURE ? null : error,
    idempotencyKey: t[24],
    scheduleName: t[25],
    fireTime: t[26] === null ? null : new Date(t[26]),
  }, found);
}

/** A row as CLAIMED_JSON renders it (positions match queries.ts). */
type ClaimedTuple = [
  id: number,
  name: string,
  queue: string,
  data: unknown,
  priority: number,
  runAt: number,
  createdAt: number,
  attempt: number,
  maxAttempts: number,
  timeoutMs: number | null,
  stalls: number,
  leaseToken: string,
  progressCurrent: number | null,
  progressTotal: number | null,
  progressMessage: string | null,
  progressUpdatedAt: number | null,
  error: StoredFailure | null,
  idempotencyKey: string | null,
  scheduleName: string | null,
  fireTime: number | null,
  startedAt: number | null,
];

/** Builds a ClaimedJob (reserved, not started) from one CLAIMED_JSON string and what the claim set. */
export function jsonToClaimed(json: string, leaseExpiresAt: number, workerId: string): ClaimedJob {
  const t = JSON.parse(json) as ClaimedTuple;
  const error = toFailure(t[16]);
  return checkJobRecord<ClaimedJob>({
    id: String(t[0]),
    name: t[1],
    queue: t[2],
    data: t[3],
    state: 'waiting',
    priority: t[4],
    runAt: new Date(t[5]),
    createdAt: new Date(t[6]),
    startedAt: t[20] === null ? null : new Date(t[20]),
    finishedAt: null,
    attempt: t[7],
    maxAttempts: t[8],
    timeoutMs: t[9],
    reserved: true,
    stalls: t[10],
    leaseToken: t[11],
    leaseExpiresAt: new Date(leaseExpiresAt),
    workerId,
    cancelRequested: false,
    progress: t[15] === null ? null : { current: t[12] ?? 0, total: t[13], message: t[14], updatedAt: new Date(t[15]) },
    result: null,
    error: error === UNREADABLE_FAILURE ? null : error,
    idempotencyKey: t[17],
    scheduleName: t[18],
    fireTime: t[19] === null ? null : new Date(t[19]),
  }, error === UNREADABLE_FAILURE ? [failureProblem(t[16])] : undefined);
}

/** toFailure's answer for a stored error that is not a failure record (it reads as null, named by failureProblem). */
const UNREADABLE_FAILURE: unique symbol = Symbol('unreadable failure');

/** A stored failure, or null; UNREADABLE_FAILURE when it is not a failure record. (No array per job: most rows have no error.) */
function toFailure(f: StoredFailure | null): JobFailure | null | typeof UNREADABLE_FAILURE {
  if (f === null) return null;
  return readFailure(f) ?? UNREADABLE_FAILURE;
}

function failureProblem(f: unknown): FieldProblem {
  return { field: 'error', problem: `${quote(f)} is not a failure record` };
}

type Prepare = (sql: string, pluck?: boolean) => Database.Statement;

/** SQLite's JSON functions refusing a stored value (malformed JSON text, a blob, too deep): that row, not the statement, is at fault. */
export function isUnrenderable(e: unknown): boolean {
  return e instanceof Error && e.name === 'SqliteError' && (e as { code?: unknown }).code === 'SQLITE_ERROR' && /JSON/.test(e.message);
}

/**
 * One job by id, never failing on its content: JOB_JSON (the fast path),
 * else its raw columns (`rawRowToJob`). Undefined when there is no such job.
 */
export function readJobSafely(id: number, nowMs: number, prepare: Prepare): JobRecord | undefined {
  try {
    const json = prepare(`SELECT ${JOB_JSON} FROM docket_jobs WHERE id = ?`, true).get(id) as string | undefined;
    return json === undefined ? undefined : jsonToJob(json, nowMs);
  } catch (e) {
    if (!isUnrenderable(e)) throw e;
  }
  const row = prepare(`SELECT * FROM docket_jobs WHERE id = ?`).get(id) as RawRow | undefined;
  return row === undefined ? undefined : rawRowToJob(row, nowMs);
}

/**
 * Jobs rendered by `statement` (one JOB_JSON string per row); if one row
 * cannot be rendered, `ids` (the same rows' ids, same order) are read one by
 * one with `readJobSafely` instead.
 */
export function readJobsSafely(statement: () => string[], ids: () => number[], nowMs: number, prepare: Prepare): JobRecord[] {
  let rows: string[];
  try {
    rows = statement();
  } catch (e) {
    if (!isUnrenderable(e)) throw e;
    return ids().flatMap((id) => readJobSafely(id, nowMs, prepare) ?? []);
  }
  return rows.map((json) => jsonToJob(json, nowMs));
}

/** The columns of a raw row (`SELECT *`), as SQLite holds them: any type in any column. */
type RawRow = Record<string, unknown>;

/**
 * The slow, safe reader (issue 11): a row that JOB_JSON cannot render (its
 * data, result or error is not JSON, or a column holds a blob) is read column
 * by column and each JSON column parsed on its own, so one bad value marks
 * one field instead of failing the read. Data and result that do not parse
 * are returned as their raw text.
 */
export function rawRowToJob(r: RawRow, nowMs: number): JobRecord {
  const found: FieldProblem[] = [];
  const json = (field: string, v: unknown): unknown => {
    if (v === null) return null;
    if (typeof v === 'string') {
      try {
        // What docket writes: one JSON value, at most MAX_JSON_DEPTH deep (SQLite's own functions stop at 1,000).
        checkJsonText(field, v);
        return JSON.parse(v) as unknown;
      } catch (e) {
        found.push({ field, problem: `${quote(v)} is not JSON docket can read (${(e as Error).message})` });
        return v;
      }
    }
    if (typeof v === 'number') return v;
    found.push({ field, problem: `${quote(v)} is not JSON text` });
    return quote(v);
  };
  const t: JobTuple = [
    r.id as number, r.name as string, r.queue as string, json('data', r.data), r.state as StoredState, r.priority as number,
    r.run_at as number, r.created_at as number, r.started_at as number | null, r.finished_at as number | null,
    r.attempt as number, r.max_attempts as number, r.timeout_ms as number | null, r.stalls as number,
    r.lease_token as string | null, r.lease_expires_at as number | null, r.worker_id as string | null, r.cancel_requested as number,
    r.progress_current as number | null, r.progress_total as number | null, r.progress_message as string | null, r.progress_updated_at as number | null,
    json('result', r.result), null, r.idempotency_key as string | null, r.schedule_name as string | null, r.fire_time as number | null,
  ];
  const error = json('error', r.error);
  // An error that did not parse is already noted; one that parsed goes through the failure check.
  if (typeof r.error !== 'string' || error !== r.error) t[23] = error as StoredFailure | null;
  return tupleToJob(t, nowMs, found);
}

/** Failures are stored as JSON with `at` in ms. */
export function serializeFailure(f: JobFailure): string {
  return JSON.stringify({ message: f.message, name: f.name, code: f.code, stack: f.stack, attempt: f.attempt, at: f.at.getTime() });
}

/** Job ids are INTEGER PRIMARY KEY inside, strings outside; anything else names no job. */
export function parseJobId(id: unknown): number | null {
  if (typeof id !== 'string' || !/^[1-9][0-9]{0,15}$/.test(id)) return null;
  const n = Number(id);
  return Number.isSafeInteger(n) ? n : null;
}
