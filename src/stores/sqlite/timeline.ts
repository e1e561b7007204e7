import type Database from 'better-sqlite3';
import { assertName, describe } from '../../core/validate.js';
import type { JobTimeline, JobTimelineParams } from '../../store/store.js';
import { int, invalid } from '../../store/input.js';
import { QUEUES_CTE } from './stats.js';

type Prepare = (sql: string) => Database.Statement;

const MAX_BUCKETS = 1_440;
const MAX_SPAN_MS = 366 * 24 * 60 * 60 * 1000;

/**
 * Finished jobs per bucket and state, one pass: the span bounds a range of
 * the (state, queue, finished_at) index per state and queue (the queues by
 * a loose index scan, as in stats.ts), and the bucket is the whole part of the division (bound numbers may be REAL).
 */
export function jobTimelineSql(queue: boolean): string {
  return `${queue ? '' : QUEUES_CTE}
    SELECT CAST((finished_at - @start) / @bucketMs AS INTEGER) AS bucket, state, COUNT(*) AS n
    FROM docket_jobs
    WHERE ${queue ? 'queue = @queue' : 'queue IN (SELECT q FROM queues)'}
      AND state IN ('completed', 'failed', 'cancelled') AND finished_at >= @start
    GROUP BY bucket, state`;
}

export function jobTimeline(p: JobTimelineParams, now: number, prepare: Prepare): JobTimeline {
  if (typeof p !== 'object' || p === null) throw invalid('params', `jobTimeline takes { bucketMs, buckets, queue? } (got ${describe(p)})`);
  const bucketMs = int('bucketMs', p.bucketMs, 1, MAX_SPAN_MS);
  const count = int('buckets', p.buckets, 1, MAX_BUCKETS);
  if (bucketMs * count > MAX_SPAN_MS) throw invalid('buckets', `buckets * bucketMs must be at most ${MAX_SPAN_MS} ms (366 days)`);
  const queue = p.queue === undefined ? undefined : assertName('queue', p.queue);

  const start = now - bucketMs * count;
  const buckets = Array.from({ length: count }, (_, i) => ({ start: new Date(start + i * bucketMs), completed: 0, failed: 0, cancelled: 0 }));
  const rows = prepare(jobTimelineSql(queue !== undefined)).all({ start, bucketMs, ...(queue === undefined ? {} : { queue }) }) as Array<{
    bucket: number;
    state: 'completed' | 'failed' | 'cancelled';
    n: number;
  }>;
  for (const r of rows) {
    // finished exactly at now falls one past the end: it belongs to the last bucket
    const b = buckets[Math.min(Math.floor(r.bucket), count - 1)];
    if (b) b[r.state] += r.n;
  }
  return { at: new Date(now), bucketMs, buckets };
}
