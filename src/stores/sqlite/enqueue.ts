import type Database from 'better-sqlite3';
import type { JobRecord, NewJob } from '../../core/job.js';
import type { EnqueueResult } from '../../store/store.js';
import { INSERT_PARAMS_PER_JOB, SQL } from './queries.js';
import { SqliteStoreError } from './errors.js';
import { jsonToJob } from './rows.js';

type Prepare = (sql: string, pluck?: boolean) => Database.Statement;

/** Rows per INSERT statement; remainders go in power-of-two chunks so few statements are ever prepared. */
const CHUNK = 64;

/**
 * Inserts jobs in order; the caller holds the write transaction. A job whose
 * idempotency key is held (by an older job or an earlier one of this batch)
 * yields the holder instead, or `job: null` when the holder was pruned and its
 * key kept. Records of new jobs are built from the input, not read back.
 * Returns the results and the queues that got runnable jobs.
 */
export function insertJobs(jobs: NewJob[], now: number, prepare: Prepare): { results: EnqueueResult[]; queues: Set<string> } {
  const results = new Array<EnqueueResult>(jobs.length);
  const queues = new Set<string>();
  const findKey = prepare(SQL.enqueue.findKey);
  const batchKeys = new Map<string, number>();
  const duplicates: Array<[index: number, holder: number]> = [];
  const toInsert: number[] = [];
  jobs.forEach((job, i) => {
    const key = job.idempotencyKey;
    if (key !== null) {
      const inBatch = batchKeys.get(key);
      if (inBatch !== undefined) return void duplicates.push([i, inBatch]);
      const held = findKey.get(key) as { job_id: number } | undefined;
      if (held) {
        const json = prepare(SQL.getJob, true).get(held.job_id) as string | undefined;
        return void (results[i] = { id: String(held.job_id), created: false, job: json ? jsonToJob(json, now) : null });
      }
      batchKeys.set(key, i);
    }
    toInsert.push(i);
  });

  const insertKey = prepare(SQL.enqueue.insertKey);
  for (let start = 0; start < toInsert.length; ) {
    const left = toInsert.length - start;
    const size = left >= CHUNK ? CHUNK : 2 ** Math.floor(Math.log2(left));
    const params: unknown[] = new Array(size * INSERT_PARAMS_PER_JOB);
    const runAts: number[] = new Array(size);
    for (let k = 0; k < size; k++) {
      const job = jobs[toInsert[start + k]!]!;
      const runAt = job.runAt !== null ? job.runAt.getTime() : now + Math.round(job.delayMs);
      runAts[k] = runAt;
      const p = k * INSERT_PARAMS_PER_JOB;
      params[p] = job.name;
      params[p + 1] = job.queue;
      params[p + 2] = job.dataJson;
      params[p + 3] = runAt > now ? 'delayed' : 'waiting';
      params[p + 4] = job.priority;
      params[p + 5] = runAt;
      params[p + 6] = now;
      params[p + 7] = job.maxAttempts;
      params[p + 8] = job.timeoutMs;
      params[p + 9] = job.idempotencyKey;
      params[p + 10] = (job.keepKeyForever ? 1 : 0) | (job.releaseKeyOnFailure ? 2 : 0);
      params[p + 11] = job.scheduleName;
      params[p + 12] = job.fireTime === null ? null : job.fireTime.getTime();
    }
    const info = prepare(insertSql(size)).run(params);
    if (info.changes !== size) throw new SqliteStoreError(`enqueue inserted ${info.changes} of ${size} rows`);
    // One multi-row INSERT under the write lock into an AUTOINCREMENT table
    // assigns consecutive ids in VALUES order, ending at lastInsertRowid.
    const first = Number(info.lastInsertRowid) - size + 1;
    for (let k = 0; k < size; k++) {
      const i = toInsert[start + k]!;
      const job = jobs[i]!;
      const id = first + k;
      if (job.idempotencyKey !== null) insertKey.run(job.idempotencyKey, id, job.keepKeyForever ? 1 : 0, job.releaseKeyOnFailure ? 1 : 0);
      const runAt = runAts[k]!;
      if (runAt <= now) queues.add(job.queue);
      results[i] = { id: String(id), created: true, job: newRecord(job, id, runAt, now) };
    }
    start += size;
  }
  for (const [i, holder] of duplicates) {
    const h = results[holder]!;
    results[i] = { id: h.id, created: false, job: h.job };
  }
  return { results, queues };
}

const insertSqlBySize = new Map<number, string>();
function insertSql(rows: number): string {
  let sql = insertSqlBySize.get(rows);
  if (sql === undefined) insertSqlBySize.set(rows, (sql = SQL.enqueue.insertJobs(rows)));
  return sql;
}

function newRecord(job: NewJob, id: number, runAt: number, now: number): JobRecord {
  return {
    id: String(id),
    name: job.name,
    queue: job.queue,
    data: JSON.parse(job.dataJson) as unknown,
    state: runAt > now ? 'delayed' : 'waiting',
    reserved: false,
    priority: job.priority,
    runAt: new Date(runAt),
    createdAt: new Date(now),
    startedAt: null,
    finishedAt: null,
    attempt: 0,
    maxAttempts: job.maxAttempts,
    timeoutMs: job.timeoutMs,
    stalls: 0,
    leaseToken: null,
    leaseExpiresAt: null,
    workerId: null,
    cancelRequested: false,
    progress: null,
    result: null,
    error: null,
    idempotencyKey: job.idempotencyKey,
    scheduleName: job.scheduleName,
    fireTime: job.fireTime === null ? null : new Date(job.fireTime.getTime()),
  };
}
