import type Database from 'better-sqlite3';
import type { NewJob } from '../../core/job.js';
import { EnqueueBatcher } from '../../store/enqueue-batcher.js';
import { checkEnqueue } from '../../store/input.js';
import { newJobRecord } from '../../store/job-record.js';
import type { EnqueueParams, EnqueueResult, StoreCapabilities } from '../../store/store.js';
import { INSERT_PARAMS_PER_JOB, SQL } from './queries.js';
import { SqliteStoreError } from './errors.js';
import { readJobSafely } from './job-rows.js';

type Prepare = (sql: string, pluck?: boolean) => Database.Statement;

/** What enqueue needs of the SqliteStore that owns it. */
export interface SqliteEnqueueHost {
  readonly capabilities: StoreCapabilities;
  prepare: Prepare;
  /** Runs fn in a BEGIN IMMEDIATE transaction. */
  write<T>(fn: () => T): T;
  now(): number;
  /** Tells workers a queue got runnable jobs (after the commit). */
  jobsAvailable(queue: string): void;
}

/** Jobs per grouped transaction: bounds how long one group holds the write lock. */
const GROUP_MAX_JOBS = 1_000;

/**
 * Store.enqueue on SQLite: checked once per call (store/input.ts), then
 * concurrent calls grouped into one BEGIN IMMEDIATE transaction (one fsync)
 * by the store kernel's EnqueueBatcher; one run at a time, since the driver
 * is synchronous.
 */
export class SqliteEnqueuer {
  private readonly batcher: EnqueueBatcher;

  constructor(private readonly host: SqliteEnqueueHost) {
    this.batcher = new EnqueueBatcher(async (jobs, data) => this.run(jobs, data), { maxInFlight: 1, maxJobs: GROUP_MAX_JOBS });
  }

  async enqueue(params: EnqueueParams): Promise<EnqueueResult[]> {
    const { jobs, data } = checkEnqueue(params, this.host.capabilities);
    if (jobs.length === 0) return [];
    return this.batcher.submit({ jobs, data });
  }

  private run(jobs: NewJob[], data: unknown[]): EnqueueResult[] {
    const now = this.host.now();
    const { results, queues } = this.host.write(() => insertJobs(jobs, data, now, this.host.prepare));
    for (const queue of queues) this.host.jobsAvailable(queue);
    return results;
  }
}

/** Rows per INSERT statement; remainders go in power-of-two chunks so few statements are ever prepared. */
const CHUNK = 64;

/**
 * Inserts jobs in order; the caller holds the write transaction. A job whose
 * idempotency key is held (by an older job or an earlier one of this batch)
 * yields the holder instead, or `job: null` when the holder was pruned and its
 * key kept. Records of new jobs are built from the input (`data`: the parsed
 * payloads, from checkNewJobs), not read back.
 * Returns the results and the queues that got runnable jobs.
 */
export function insertJobs(jobs: NewJob[], data: unknown[], now: number, prepare: Prepare): { results: EnqueueResult[]; queues: Set<string> } {
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
        return void (results[i] = { id: String(held.job_id), created: false, job: readJobSafely(held.job_id, now, prepare) ?? null });
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
      results[i] = { id: String(id), created: true, job: newJobRecord(job, String(id), data[i], runAt, now) };
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
