import type Database from 'better-sqlite3';
import { FINISHED_STATES } from '../../core/job.js';
import { checkStats } from '../../store/input.js';
import type { JobStats, JobStatsParams } from '../../store/store.js';

type Prepare = (sql: string) => Database.Statement;

/** `('completed', 'failed', 'cancelled')`: core's FINISHED_STATES as an SQL list. */
export const FINISHED_SQL = `(${FINISHED_STATES.map((s) => `'${s}'`).join(', ')})`;

/**
 * The queues, one index probe each (a loose index scan): lets the
 * (queue, state, finished_at) index serve a stats query over all queues,
 * which otherwise reads every finished job.
 */
export const QUEUES_CTE = `WITH RECURSIVE queues(q) AS (
      SELECT MIN(queue) FROM docket_jobs
      UNION ALL
      SELECT (SELECT MIN(queue) FROM docket_jobs WHERE queue > queues.q) FROM queues WHERE queues.q IS NOT NULL
    )`;
const queueFilter = (queue: boolean): string => (queue ? 'queue = @queue' : 'queue IN (SELECT q FROM queues)');

/**
 * Finished jobs per window, one pass: the widest window bounds the index
 * range (docket_jobs_finished), each window is a conditional sum.
 */
export function windowsSql(windows: number, queue: boolean): string {
  const sums = Array.from({ length: windows }, (_, i) =>
    FINISHED_STATES.map((s) => `SUM(state = '${s}' AND finished_at >= @cut${i}) AS ${s}${i}`).join(', '),
  ).join(',\n           ');
  return `${queue ? '' : QUEUES_CTE}
    SELECT ${sums}
    FROM docket_jobs
    WHERE ${queueFilter(queue)} AND state IN ${FINISHED_SQL} AND finished_at >= @minCut`;
}

/**
 * Mean and nearest-rank p95 run time per job name. Nearest rank: the value at
 * rank ceil(0.95 n) of the sorted run times, i.e. the smallest one whose
 * row number rn satisfies rn * 100 >= 95 * n (integer arithmetic, no CEIL).
 */
export function runTimesSql(queue: boolean): string {
  return `${queue ? 'WITH' : `${QUEUES_CTE},`} d AS (
      SELECT name, state, finished_at - started_at AS ms
      FROM docket_jobs
      WHERE ${queueFilter(queue)} AND state IN ('completed', 'failed') AND finished_at >= @cut AND started_at IS NOT NULL
    ), r AS (
      SELECT name, state, ms,
             ROW_NUMBER() OVER (PARTITION BY name ORDER BY ms) AS rn,
             COUNT(*) OVER (PARTITION BY name) AS n
      FROM d
    )
    SELECT name,
           SUM(state = 'completed') AS completed,
           SUM(state = 'failed') AS failed,
           AVG(ms) AS mean,
           MIN(CASE WHEN rn * 100 >= 95 * n THEN ms END) AS p95
    FROM r
    GROUP BY name
    ORDER BY name`;
}

export function jobStats(p: JobStatsParams, now: number, prepare: Prepare): JobStats {
  const { queue } = checkStats(p);
  const withQueue = queue === undefined ? {} : { queue };

  const cuts: Record<string, number> = {};
  p.windowsMs.forEach((w, i) => (cuts[`cut${i}`] = now - w));
  const row = prepare(windowsSql(p.windowsMs.length, queue !== undefined)).get({
    ...cuts,
    minCut: now - Math.max(...p.windowsMs),
    ...withQueue,
  }) as Record<string, number | null>;
  const windows = p.windowsMs.map((windowMs, i) => ({
    windowMs,
    completed: row[`completed${i}`] ?? 0,
    failed: row[`failed${i}`] ?? 0,
    cancelled: row[`cancelled${i}`] ?? 0,
  }));

  const rows = prepare(runTimesSql(queue !== undefined)).all({ cut: now - p.runTimeWindowMs, ...withQueue }) as Array<{
    name: string;
    completed: number;
    failed: number;
    mean: number | null;
    p95: number | null;
  }>;
  const byName = rows.map((r) => ({ name: r.name, completed: r.completed, failed: r.failed, meanRunMs: r.mean, p95RunMs: r.p95 }));
  return { at: new Date(now), windows, byName };
}
