import type { ClaimedJob, JobFailure, JobRecord, JobState } from '../../core/job.js';
import type { StoredState } from '../../core/job-state.js';

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
  const t = JSON.parse(json) as JobTuple;
  const stored = t[4];
  // Reserved (held ahead of a free slot by a worker) reads as waiting, with the marker.
  const state: JobState = stored === 'waiting' || stored === 'delayed' ? (t[6] <= nowMs ? 'waiting' : 'delayed') : stored === 'reserved' ? 'waiting' : stored;
  return {
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
    error: t[23] === null ? null : toFailure(t[23]),
    idempotencyKey: t[24],
    scheduleName: t[25],
    fireTime: t[26] === null ? null : new Date(t[26]),
  };
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
  return {
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
    error: t[16] === null ? null : toFailure(t[16]),
    idempotencyKey: t[17],
    scheduleName: t[18],
    fireTime: t[19] === null ? null : new Date(t[19]),
  };
}

function toFailure(f: StoredFailure): JobFailure {
  return { message: f.message, name: f.name, code: f.code ?? null, stack: f.stack ?? null, attempt: f.attempt, at: new Date(f.at) };
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
