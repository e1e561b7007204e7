import { FINISHED_STATES } from '../../core/job.js';
import { checkStats } from '../../store/input.js';
import type { JobStats, JobStatsParams } from '../../store/store.js';
import type { NamedQuery } from './hot-queries.js';

const MS = `interval '1 millisecond'`;
/** `('completed','failed','cancelled')`: core's FINISHED_STATES as an SQL list. */
export const FINISHED = `(${FINISHED_STATES.map((s) => `'${s}'`).join(',')})`;

/**
 * The queues with finished jobs, one probe of jobs_finished each (a loose
 * index scan), so a stats query over all queues can use that index (its
 * leading column is the queue) instead of reading every finished job.
 */
export const queuesCte = (s: string) => `RECURSIVE queues(q) AS (
  SELECT min(queue) FROM ${s}.jobs WHERE state IN ${FINISHED}
  UNION ALL
  SELECT (SELECT min(queue) FROM ${s}.jobs WHERE state IN ${FINISHED} AND queue > queues.q) FROM queues WHERE queues.q IS NOT NULL
)`;

/**
 * SQL for Store.jobStats, with and without a queue filter ($2). Run time is
 * computed from millisecond-truncated times, exactly as a JobRecord's
 * finishedAt - startedAt reads.
 */
export function buildStatsQueries(s: string, prefix: string) {
  const q = (name: string, text: string): NamedQuery => ({ name: `${prefix}${name}`, text });
  const windows = (byQueue: boolean) => `WITH ${byQueue ? '' : `${queuesCte(s)},`} f AS (
  SELECT state, finished_at FROM ${s}.jobs
  WHERE ${byQueue ? 'queue = $2::text' : 'queue IN (SELECT q FROM queues)'} AND state IN ${FINISHED}
    AND finished_at >= now() - (SELECT max(m) FROM unnest($1::float8[]) m) * ${MS}
)
SELECT w.ord::int AS ord,
       count(*) FILTER (WHERE f.state = 'completed' AND f.finished_at >= now() - w.ms * ${MS})::int AS completed,
       count(*) FILTER (WHERE f.state = 'failed' AND f.finished_at >= now() - w.ms * ${MS})::int AS failed,
       count(*) FILTER (WHERE f.state = 'cancelled' AND f.finished_at >= now() - w.ms * ${MS})::int AS cancelled,
       date_part('epoch', now()) * 1000 AS now
FROM unnest($1::float8[]) WITH ORDINALITY AS w(ms, ord) LEFT JOIN f ON true
GROUP BY w.ord`;
  const runTimes = (byQueue: boolean) => `WITH ${byQueue ? '' : `${queuesCte(s)},`} d AS (
  SELECT name, state, floor(date_part('epoch', finished_at) * 1000) - floor(date_part('epoch', started_at) * 1000) AS ms
  FROM ${s}.jobs
  WHERE ${byQueue ? 'queue = $2::text' : 'queue IN (SELECT q FROM queues)'} AND state IN ('completed','failed')
    AND finished_at >= now() - $1::float8 * ${MS} AND started_at IS NOT NULL
), r AS (
  SELECT name, state, ms, row_number() OVER (PARTITION BY name ORDER BY ms) AS rn, count(*) OVER (PARTITION BY name) AS n FROM d
)
SELECT name,
       count(*) FILTER (WHERE state = 'completed')::int AS completed,
       count(*) FILTER (WHERE state = 'failed')::int AS failed,
       avg(ms)::float8 AS mean,
       min(ms) FILTER (WHERE rn * 100 >= 95 * n)::float8 AS p95
FROM r GROUP BY name ORDER BY name COLLATE "C"`;
  return {
    windowsAll: q('stats_windows', windows(false)),
    windowsQueue: q('stats_windows_q', windows(true)),
    runTimesAll: q('stats_runtimes', runTimes(false)),
    runTimesQueue: q('stats_runtimes_q', runTimes(true)),
  };
}

export type StatsQueries = ReturnType<typeof buildStatsQueries>;

type Run = <R>(query: NamedQuery, values: unknown[], operation: string) => Promise<{ rows: R[] }>;

export async function jobStats(p: JobStatsParams, qs: StatsQueries, run: Run): Promise<JobStats> {
  const { queue } = checkStats(p);
  const byQueue = queue !== undefined;

  const [w, r] = await Promise.all([
    run<{ ord: number; completed: number; failed: number; cancelled: number; now: number }>(
      byQueue ? qs.windowsQueue : qs.windowsAll,
      byQueue ? [p.windowsMs, queue] : [p.windowsMs],
      'jobStats',
    ),
    run<{ name: string; completed: number; failed: number; mean: number | null; p95: number | null }>(
      byQueue ? qs.runTimesQueue : qs.runTimesAll,
      byQueue ? [p.runTimeWindowMs, queue] : [p.runTimeWindowMs],
      'jobStats',
    ),
  ]);
  const byOrd = new Map(w.rows.map((row) => [row.ord, row]));
  const windows = p.windowsMs.map((windowMs, i) => {
    const row = byOrd.get(i + 1);
    return { windowMs, completed: row?.completed ?? 0, failed: row?.failed ?? 0, cancelled: row?.cancelled ?? 0 };
  });
  const byName = r.rows.map((row) => ({ name: row.name, completed: row.completed, failed: row.failed, meanRunMs: row.mean, p95RunMs: row.p95 }));
  // One row per window (LEFT JOIN), so the server's now() is always there.
  return { at: new Date(w.rows[0]!.now), windows, byName };
}
