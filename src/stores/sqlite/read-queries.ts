import type Database from 'better-sqlite3';
import { JOB_STATES, type JobState } from '../../core/job.js';
import { rowOverrides, type QueuePolicyRow } from '../../store/queue-policy.js';
import { emptyCounts, type JobPage, type ListJobsParams, type QueueCounts, type QueueInfo } from '../../store/store.js';
import { checkList, invalid } from '../../store/input.js';
import { listJobsSql, SQL } from './queries.js';
import { readJobsSafely } from './job-rows.js';

type Prepare = (sql: string, pluck?: boolean) => Database.Statement;

/** Keyset paging on id; the cursor wraps the page's last id so callers treat it as opaque. */
export function listJobs(p: ListJobsParams, now: number, prepare: Prepare): JobPage {
  const states = checkList(p);
  const order = p.order ?? 'desc';
  const cursor = p.cursor == null ? null : decodeCursor(p.cursor);
  if (states !== null && states.size === 0) return { jobs: [], nextCursor: null };
  const search = typeof p.search === 'string' && p.search !== '' ? p.search : undefined;
  const filter = {
    queue: p.queue !== undefined,
    name: p.name !== undefined,
    states: states !== null && states.size < JOB_STATES.length ? states : null,
    createdAfter: p.createdAfter !== undefined,
    createdBefore: p.createdBefore !== undefined,
    search: search !== undefined,
    scheduleName: p.scheduleName !== undefined,
    cursor: cursor !== null,
    order,
  };
  const sql = listJobsSql(filter);
  const bind: Record<string, unknown> = { limit: p.limit + 1 };
  if (p.queue !== undefined) bind.queue = p.queue;
  if (p.name !== undefined) bind.name = p.name;
  if (sql.includes('@now')) bind.now = now;
  if (p.createdAfter !== undefined) bind.createdAfter = p.createdAfter.getTime();
  if (p.createdBefore !== undefined) bind.createdBefore = p.createdBefore.getTime();
  if (search !== undefined) bind.search = search;
  if (p.scheduleName !== undefined) bind.scheduleName = p.scheduleName;
  if (cursor !== null) bind.cursor = cursor;
  // A row that cannot be rendered does not fail the page: the page's ids are read one by one instead.
  const jobs = readJobsSafely(() => prepare(sql, true).all(bind) as string[], () => prepare(listJobsSql(filter, 'id'), true).all(bind) as number[], now, prepare);
  const more = jobs.length > p.limit;
  if (more) jobs.pop();
  const last = jobs.at(-1);
  return { jobs, nextCursor: more && last ? encodeCursor(last.id) : null };
}

function encodeCursor(id: string): string {
  return Buffer.from(`id:${id}`).toString('base64url');
}

function decodeCursor(cursor: unknown): number {
  const m = typeof cursor === 'string' ? /^id:([1-9][0-9]{0,15})$/.exec(Buffer.from(cursor, 'base64url').toString()) : null;
  if (!m) throw invalid('cursor', 'cursor is not one this store returned');
  return Number(m[1]);
}

/**
 * Counts by state per queue, from the three partial indexes alone. A runnable
 * job counts as waiting once its run time has come, as a claim sees it.
 */
export function countJobs(queue: string | undefined, now: number, prepare: Prepare): QueueCounts[] {
  const q = SQL.countJobs;
  const byQueue = new Map<string, QueueCounts>();
  const entry = (name: string): QueueCounts => {
    let e = byQueue.get(name);
    if (!e) byQueue.set(name, (e = { queue: name, counts: emptyCounts() }));
    return e;
  };
  const bind = { queue: queue ?? null, now };
  if (queue !== undefined) entry(queue);
  for (const r of prepare(q.runnable).all(bind) as Array<{ queue: string; due: number; n: number }>) {
    entry(r.queue).counts[r.due === 1 ? 'waiting' : 'delayed'] += r.n;
  }
  for (const r of prepare(q.leased).all({ queue: bind.queue }) as Array<{ queue: string; state: 'reserved' | 'active'; n: number }>) {
    entry(r.queue).counts[r.state === 'reserved' ? 'waiting' : 'active'] += r.n;
  }
  for (const r of prepare(q.finished).all({ queue: bind.queue }) as Array<{ queue: string; state: JobState; n: number }>) {
    entry(r.queue).counts[r.state] += r.n;
  }
  if (queue === undefined) for (const r of prepare(q.queueRows).all() as Array<{ queue: string }>) entry(r.queue);
  return [...byQueue.values()].sort((a, b) => (a.queue < b.queue ? -1 : a.queue > b.queue ? 1 : 0));
}

export function listQueues(now: number, prepare: Prepare): QueueInfo[] {
  const rows = prepare(SQL.countJobs.queueRows).all() as Array<{ queue: string } & QueuePolicyRow>;
  const stored = new Map(rows.map((r) => [r.queue, r]));
  return countJobs(undefined, now, prepare).map((c) => {
    const row = stored.get(c.queue);
    return { queue: c.queue, paused: row?.paused === 1, counts: c.counts, policy: rowOverrides(row) };
  });
}
