import type Database from 'better-sqlite3';
import { checkTimeline } from '../../store/input.js';
import { toJobTimeline, type TimelineRow } from '../../store/job-timeline.js';
import type { JobTimeline, JobTimelineParams } from '../../store/store.js';
import { FINISHED_SQL, QUEUES_CTE } from './job-stats.js';

type Prepare = (sql: string) => Database.Statement;

/**
 * Finished jobs per bucket and state, one pass: the span bounds a range of
 * the (state, queue, finished_at) index per state and queue (the queues by
 * a loose index scan, as in job-stats.ts), and the bucket is the whole part of the division (bound numbers may be REAL).
 */
export function jobTimelineSql(queue: boolean): string {
  return `${queue ? '' : QUEUES_CTE}
    SELECT CAST((finished_at - @start) / @bucketMs AS INTEGER) AS bucket, state, COUNT(*) AS n
    FROM docket_jobs
    WHERE ${queue ? 'queue = @queue' : 'queue IN (SELECT q FROM queues)'}
      AND state IN ${FINISHED_SQL} AND finished_at >= @start
    GROUP BY bucket, state`;
}

export function jobTimeline(p: JobTimelineParams, now: number, prepare: Prepare): JobTimeline {
  const { bucketMs, buckets, queue } = checkTimeline(p);
  const start = now - bucketMs * buckets;
  const rows = prepare(jobTimelineSql(queue !== undefined)).all({ start, bucketMs, ...(queue === undefined ? {} : { queue }) }) as TimelineRow[];
  return toJobTimeline(now, bucketMs, buckets, rows);
}
