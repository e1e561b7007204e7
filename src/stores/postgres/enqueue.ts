import type { JobRecord, JobState, NewJob } from '../../core/job.js';
import { DocketError } from '../../core/errors.js';
import type { EnqueueResult } from '../../store/store.js';
import type { HotQueries, NamedQuery } from './hot-queries.js';
import { toJobRecord, type JobRow } from './job-row.js';

/** Anything that runs a query: a pool, a pooled client, or the user's own client in `enqueue({ tx })`. */
export interface Queryable {
  query(config: { name?: string; text: string; values?: unknown[] }): Promise<{ rows: unknown[] }>;
}

/** Rows per statement; bigger calls run as several statements in one transaction. */
export const ENQUEUE_CHUNK = 5_000;

/** What an insert returns; the rest of the new job's record is its input. */
interface InsertedRow {
  id: string;
  state: JobState;
  run_at: number;
  created_at: number;
}
type KeyedRow = InsertedRow & { idempotency_key: string | null; dup_key: string | null; holder_id: string | null; holder: JobRow | null };

/**
 * One enqueue statement for `jobs` (keys already unique within the list), on
 * `db`. Results come back in input order. `notify` are the NOTIFY payloads
 * to send with the insert (delivered on commit).
 */
export async function enqueueStatement(db: Queryable, qs: HotQueries, jobs: NewJob[], notify: string[], channel: string): Promise<EnqueueResult[]> {
  const n = jobs.length;
  const names = new Array<string>(n);
  const queues = new Array<string>(n);
  const data = new Array<string>(n);
  const priority = new Array<number>(n);
  const delay = new Array<number>(n);
  const runAt = new Array<Date | null>(n);
  const maxAttempts = new Array<number>(n);
  const timeout = new Array<number | null>(n);
  const schedule = new Array<string | null>(n);
  const fire = new Array<Date | null>(n);
  let keyed = false;
  for (let i = 0; i < n; i++) {
    const j = jobs[i]!;
    names[i] = j.name;
    queues[i] = j.queue;
    data[i] = j.dataJson;
    priority[i] = j.priority;
    delay[i] = j.delayMs;
    runAt[i] = j.runAt;
    maxAttempts[i] = j.maxAttempts;
    timeout[i] = j.timeoutMs;
    schedule[i] = j.scheduleName;
    fire[i] = j.fireTime;
    if (j.idempotencyKey !== null) keyed = true;
  }
  const values: unknown[] = [names, queues, data, priority, delay, runAt, maxAttempts, timeout, schedule, fire, notify, channel];
  if (!keyed) {
    const { rows } = await db.query({ ...qs.enqueue, values });
    const sorted = sortById(rows as InsertedRow[]);
    if (sorted.length !== n) throw new DocketError('STORE_ERROR', `enqueue inserted ${sorted.length} of ${n} jobs`, { store: 'postgres' });
    return sorted.map((r, i) => ({ id: r.id, created: true, job: newRecord(jobs[i]!, r) }));
  }

  values.push(
    jobs.map((j) => j.idempotencyKey),
    jobs.map((j) => j.keepKeyForever),
    jobs.map((j) => j.releaseKeyOnFailure),
  );
  const { rows } = await db.query({ ...qs.enqueueKeyed, values });
  const inserted: KeyedRow[] = [];
  const holders = new Map<string, KeyedRow>();
  for (const r of rows as KeyedRow[]) {
    if (r.dup_key === null) inserted.push(r);
    else holders.set(r.dup_key, r);
  }
  sortById(inserted);
  const insertedKeys = new Set<string>();
  for (const r of inserted) if (r.idempotency_key !== null) insertedKeys.add(r.idempotency_key);
  const missing = jobs.map((j) => j.idempotencyKey).filter((k): k is string => k !== null && !insertedKeys.has(k) && !holders.has(k));
  if (missing.length > 0) {
    // Their holders committed while this statement waited on the key: look again with a fresh snapshot.
    const again = await db.query({ ...(qs.keyHolders as NamedQuery), values: [missing] });
    for (const r of again.rows as KeyedRow[]) if (r.dup_key !== null) holders.set(r.dup_key, r);
    const still = missing.filter((k) => !holders.has(k));
    if (still.length > 0) {
      throw new DocketError('STORE_ERROR', `idempotency key(s) changed hands during enqueue; try again`, { store: 'postgres', transient: true, keys: still.slice(0, 10) });
    }
  }
  // Inserted rows follow input order (their ids were drawn in order).
  let next = 0;
  return jobs.map((j) => {
    const holder = j.idempotencyKey === null || insertedKeys.has(j.idempotencyKey) ? undefined : holders.get(j.idempotencyKey);
    if (holder) return { id: holder.holder_id!, created: false, job: holder.holder === null || holder.holder.id === null ? null : toJobRecord(holder.holder) };
    const r = inserted[next++]!;
    return { id: r.id, created: true, job: newRecord(j, r) };
  });
}

/**
 * Resolves keys repeated within one call: the first job with a key is sent,
 * later ones get its result (`created: false`), as if enqueued one by one.
 */
export function dedupeKeys(jobs: NewJob[]): { unique: NewJob[]; expand(results: EnqueueResult[]): EnqueueResult[] } {
  const firstByKey = new Map<string, number>();
  const mapping: number[] = [];
  const unique: NewJob[] = [];
  let dupes = false;
  for (const j of jobs) {
    const k = j.idempotencyKey;
    const seen = k === null ? undefined : firstByKey.get(k);
    if (seen !== undefined) {
      mapping.push(-1 - seen);
      dupes = true;
      continue;
    }
    if (k !== null) firstByKey.set(k, unique.length);
    mapping.push(unique.length);
    unique.push(j);
  }
  return {
    unique,
    expand(results) {
      if (!dupes) return results;
      return mapping.map((m) => {
        if (m >= 0) return results[m]!;
        const first = results[-1 - m]!;
        return { id: first.id, created: false, job: first.job };
      });
    },
  };
}

/** Whether a new job is runnable at once (so idle workers should be woken). Judged on our clock: a hint only. */
export function runnableNow(j: NewJob, now: number): boolean {
  return j.runAt === null ? j.delayMs <= 0 : j.runAt.getTime() <= now;
}

function newRecord(job: NewJob, r: InsertedRow): JobRecord {
  return {
    id: r.id,
    name: job.name,
    queue: job.queue,
    data: JSON.parse(job.dataJson) as unknown,
    state: r.state,
    priority: job.priority,
    runAt: new Date(r.run_at),
    createdAt: new Date(r.created_at),
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

function sortById<T extends { id: string }>(rows: T[]): T[] {
  return rows.sort((a, b) => (a.id.length - b.id.length) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
