import { checkTimeline } from '../../store/input.js';
import { toJobTimeline, type TimelineRow } from '../../store/job-timeline.js';
import type { JobTimeline, JobTimelineParams } from '../../store/store.js';
import type { NamedQuery } from './hot-queries.js';
import { FINISHED, queuesCte } from './job-stats.js';

const MS = `interval '1 millisecond'`;
/** Epoch ms as a JobRecord reads it (the driver's Date truncates the microseconds). */
const msOf = (col: string) => `floor(date_part('epoch', ${col}) * 1000)`;

/**
 * SQL for Store.jobTimeline ($1 bucketMs, $2 buckets, $3 queue): one pass over
 * the jobs finished in the span (a range of jobs_finished per queue), grouped
 * by bucket and state. Buckets are computed from millisecond-truncated times,
 * as finishedAt and `at` read, so a job lands where its record says it should.
 * One row even when nothing finished (LEFT JOIN), carrying the server's now.
 */
export function buildTimelineQueries(s: string, prefix: string) {
  const q = (name: string, text: string): NamedQuery => ({ name: `${prefix}${name}`, text });
  const timeline = (byQueue: boolean) => `WITH ${byQueue ? '' : `${queuesCte(s)},`} t AS (
  SELECT ${msOf('now()')} AS now_ms, ${msOf('now()')} - $1::float8 * $2::int AS start_ms
)
SELECT t.now_ms, b.bucket, b.state, b.n
FROM t LEFT JOIN LATERAL (
  SELECT floor((${msOf('j.finished_at')} - t.start_ms) / $1::float8)::int AS bucket, j.state, count(*)::int AS n
  FROM ${s}.jobs j
  WHERE ${byQueue ? 'j.queue = $3::text' : 'j.queue IN (SELECT q FROM queues)'} AND j.state IN ${FINISHED}
    -- a millisecond wider than the span for the index range; the bucket check below is exact
    AND j.finished_at >= now() - ($1::float8 * $2::int + 1) * ${MS}
  GROUP BY 1, 2
) b ON true`;
  return {
    timelineAll: q('timeline', timeline(false)),
    timelineQueue: q('timeline_q', timeline(true)),
  };
}

export type TimelineQueries = ReturnType<typeof buildTimelineQueries>;

type Run = <R>(query: NamedQuery, values: unknown[], operation: string) => Promise<{ rows: R[] }>;

export async function jobTimeline(p: JobTimelineParams, qs: TimelineQueries, run: Run): Promise<JobTimeline> {
  const { bucketMs, buckets, queue } = checkTimeline(p);
  const { rows } = await run<TimelineRow & { now_ms: number }>(
    queue === undefined ? qs.timelineAll : qs.timelineQueue,
    queue === undefined ? [bucketMs, buckets] : [bucketMs, buckets, queue],
    'jobTimeline',
  );
  // One row even when nothing finished (LEFT JOIN), carrying the server's now.
  return toJobTimeline(rows[0]!.now_ms, bucketMs, buckets, rows);
}
