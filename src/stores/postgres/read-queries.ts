import { JOB_STATES } from '../../core/job.js';
import { publicState, storedStatesOf, type StoredState } from '../../core/job-state.js';
import { checkList, invalid } from '../../store/input.js';
import { rowOverrides } from '../../store/queue-policy.js';
import { emptyCounts, type ListJobsParams, type QueueInfo } from '../../store/store.js';
import { jobColumns, parseJobId } from './job-rows.js';

/**
 * listJobs is the one query built per call: its filters vary. Values are
 * always parameters; only the fixed column/condition text is assembled.
 * Paging is by id (ids follow insertion), fetching one extra row to know
 * whether there is a next page. (`j.id`: a bare `id` in ORDER BY would be the
 * text output column.)
 */
export function buildListJobsQuery(s: string, p: ListJobsParams): { text: string; values: unknown[]; limit: number } | null {
  const states = checkList(p); // validates every field; states inlined below are known names
  if (states !== null && states.size === 0) return null;
  const limit = p.limit;
  const where: string[] = [];
  const values: unknown[] = [];
  const add = (cond: (ref: string) => string, value: unknown) => {
    values.push(value);
    where.push(cond(`$${values.length}`));
  };
  if (p.queue !== undefined) add((r) => `queue = ${r}::text`, p.queue);
  if (p.name !== undefined) add((r) => `name = ${r}::text`, p.name);
  if (states !== null && states.size < JOB_STATES.length) {
    // Public states: the stored states that read as each (reserved is waiting); a delayed job whose time has come is listed as waiting.
    const conds = [...states].flatMap(storedStatesOf).map((st) =>
      st === 'waiting' ? `state = 'waiting' OR (state = 'delayed' AND run_at <= now())` : st === 'delayed' ? `(state = 'delayed' AND run_at > now())` : `state = '${st}'`,
    );
    where.push(`(${conds.join(' OR ')})`);
  }
  if (p.createdAfter !== undefined) add((r) => `created_at >= ${r}::timestamptz`, p.createdAfter);
  if (p.createdBefore !== undefined) add((r) => `created_at < ${r}::timestamptz`, p.createdBefore);
  if (p.search !== undefined && p.search !== '') add((r) => `strpos(data::text, ${r}::text) > 0`, p.search);
  if (p.scheduleName !== undefined) add((r) => `schedule_name = ${r}::text`, p.scheduleName);
  const desc = (p.order ?? 'desc') === 'desc';
  if (p.cursor !== undefined && p.cursor !== null) add((r) => `id ${desc ? '<' : '>'} ${r}::bigint`, decodeCursor(p.cursor));
  values.push(limit + 1);
  const text = `SELECT ${jobColumns()} FROM ${s}.jobs j ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY j.id ${desc ? 'DESC' : 'ASC'} LIMIT $${values.length}`;
  return { text, values, limit };
}

export function encodeCursor(id: string): string {
  return Buffer.from(`id:${id}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): string {
  let id: string | null = null;
  if (typeof cursor === 'string') {
    const text = Buffer.from(cursor, 'base64url').toString('utf8');
    id = text.startsWith('id:') ? parseJobId(text.slice(3)) : null;
  }
  if (id === null) throw invalid('cursor', 'cursor is not one this store returned');
  return id;
}

/** Count rows (queue, state|null, n, paused|null, policy|null) to per-queue counts, sorted by queue name. */
export function toCounts(rows: Array<{ queue: string; state: string | null; n: number; paused: boolean | null; policy: Record<string, unknown> | null }>): QueueInfo[] {
  const byQueue = new Map<string, QueueInfo>();
  for (const r of rows) {
    let q = byQueue.get(r.queue);
    if (!q) {
      q = { queue: r.queue, paused: false, counts: emptyCounts(), policy: {} };
      byQueue.set(r.queue, q);
    }
    if (r.state !== null) q.counts[publicState(r.state as StoredState)] += r.n;
    if (r.paused !== null) {
      q.paused = r.paused;
      q.policy = rowOverrides({ paused: r.paused, policy: r.policy });
    }
  }
  return [...byQueue.values()].sort((a, b) => (a.queue < b.queue ? -1 : a.queue > b.queue ? 1 : 0));
}
