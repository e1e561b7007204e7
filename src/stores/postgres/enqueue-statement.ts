import { DocketError } from '../../core/errors.js';
import type { NewJob } from '../../core/job.js';
import { newJobRecord } from '../../store/job-record.js';
import type { EnqueueResult } from '../../store/store.js';
import type { HotQueries, NamedQuery } from './hot-queries.js';
import { toJobRecord, type JobRow } from './job-rows.js';

/** Anything that runs a query: a pool, a pooled client, or the user's own client in `enqueue({ tx })`. */
export interface Queryable {
  query(config: { name?: string; text: string; values?: unknown[] }): Promise<{ rows: unknown[] }>;
}

interface KeyedRow {
  id: string | null;
  key: string | null;
  dup_key: string | null;
  holder_id: string | null;
  holder: JobRow | null;
  now: number;
}

/**
 * One enqueue statement for `jobs` (keys already unique within the list), on
 * `db`; `data` are their parsed payloads (checkNewJobs), for the records.
 * Results come back in input order. `notify` are the NOTIFY payloads to send
 * with the insert (delivered on commit).
 */
export async function enqueueStatement(db: Queryable, qs: HotQueries, jobs: NewJob[], data: unknown[], notify: string[], channel: string): Promise<EnqueueResult[]> {
  const keyed = jobs.some((j) => j.idempotencyKey !== null);
  if (!keyed) {
    const { rows } = isUniform(jobs)
      ? await db.query({ ...qs.enqueueUniform, values: uniformValues(jobs, notify, channel) })
      : await db.query({ ...qs.enqueue, values: [jobsJson(jobs, false), notify, channel] });
    const row = rows[0] as { ids: string | null; now: number } | undefined;
    const ids = row?.ids ? row.ids.split(',') : [];
    if (ids.length !== jobs.length) throw new DocketError('STORE_ERROR', `enqueue inserted ${ids.length} of ${jobs.length} jobs`, { store: 'postgres' });
    return ids.map((id, i) => ({ id, created: true, job: newRecord(jobs[i]!, id, data[i], row!.now) }));
  }

  const values = [jobsJson(jobs, true), notify, channel];
  const { rows } = await db.query({ ...qs.enqueueKeyed, values });
  const inserted: KeyedRow[] = [];
  const holders = new Map<string, KeyedRow>();
  let now = 0;
  for (const r of rows as KeyedRow[]) {
    now = r.now;
    if (r.dup_key === null) inserted.push(r);
    else holders.set(r.dup_key, r);
  }
  inserted.sort((a, b) => compareIds(a.id!, b.id!));
  const insertedKeys = new Set<string>();
  for (const r of inserted) if (r.key !== null) insertedKeys.add(r.key);
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
  return jobs.map((j, i) => {
    const holder = j.idempotencyKey === null || insertedKeys.has(j.idempotencyKey) ? undefined : holders.get(j.idempotencyKey);
    if (holder) return { id: holder.holder_id!, created: false, job: holder.holder === null || holder.holder.id === null ? null : toJobRecord(holder.holder) };
    const id = inserted[next++]!.id!;
    return { id, created: true, job: newRecord(j, id, data[i], now) };
  });
}

/** No keys and every option the same: only the payloads differ (the usual bulk add). */
function isUniform(jobs: NewJob[]): boolean {
  const a = jobs[0]!;
  const runAt = a.runAt?.getTime() ?? null;
  const fire = a.fireTime?.getTime() ?? null;
  for (let i = 1; i < jobs.length; i++) {
    const b = jobs[i]!;
    if (
      b.name !== a.name ||
      b.queue !== a.queue ||
      b.priority !== a.priority ||
      b.maxAttempts !== a.maxAttempts ||
      b.timeoutMs !== a.timeoutMs ||
      b.delayMs !== a.delayMs ||
      (b.runAt?.getTime() ?? null) !== runAt ||
      b.scheduleName !== a.scheduleName ||
      (b.fireTime?.getTime() ?? null) !== fire
    ) {
      return false;
    }
  }
  return true;
}

function uniformValues(jobs: NewJob[], notify: string[], channel: string): unknown[] {
  const a = jobs[0]!;
  let data = '[';
  for (let i = 0; i < jobs.length; i++) data += (i === 0 ? '' : ',') + jobs[i]!.dataJson;
  data += ']';
  const runAt = a.runAt?.getTime() ?? null;
  return [data, a.name, a.queue, a.priority, a.maxAttempts, a.timeoutMs, a.scheduleName, a.fireTime?.getTime() ?? null, runAt, runAt === null ? a.delayMs : 0, notify, channel];
}

/**
 * The jobs as one JSON array for json_to_recordset. Payloads are embedded
 * verbatim (they are JSON already); absent keys read as NULL. Times are epoch ms.
 */
export function jobsJson(jobs: NewJob[], keyed: boolean): string {
  const parts = new Array<string>(jobs.length);
  for (let i = 0; i < jobs.length; i++) {
    const j = jobs[i]!;
    let s = `{"n":${str(j.name)},"q":${str(j.queue)},"d":${j.dataJson},"p":${j.priority},"m":${j.maxAttempts}`;
    if (j.runAt !== null) s += `,"r":${j.runAt.getTime()}`;
    else if (j.delayMs > 0) s += `,"l":${j.delayMs}`;
    else s += `,"l":0`;
    if (j.timeoutMs !== null) s += `,"o":${j.timeoutMs}`;
    if (j.scheduleName !== null) s += `,"s":${JSON.stringify(j.scheduleName)}`;
    if (j.fireTime !== null) s += `,"f":${j.fireTime.getTime()}`;
    if (keyed && j.idempotencyKey !== null) s += `,"k":${JSON.stringify(j.idempotencyKey)},"kf":${j.keepKeyForever},"rf":${j.releaseKeyOnFailure}`;
    parts[i] = s + '}';
  }
  return `[${parts.join(',')}]`;
}

// Job and queue names repeat across a batch and match NAME_PATTERN (nothing to escape); cache their JSON form.
const strCache = new Map<string, string>();
function str(name: string): string {
  let s = strCache.get(name);
  if (s === undefined) {
    s = JSON.stringify(name);
    if (strCache.size < 10_000) strCache.set(name, s);
  }
  return s;
}

/** The record of a job just inserted: run_at and created_at were computed from the statement's now() in SQL. */
function newRecord(job: NewJob, id: string, data: unknown, nowMs: number) {
  return newJobRecord(job, id, data, job.runAt !== null ? job.runAt.getTime() : nowMs + job.delayMs, nowMs);
}

function compareIds(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}
