import type { FinishedState } from '../core/job.js';
import type { JobTimeline } from './store.js';

/** One row of a store's timeline query: finished jobs of one state in one bucket (nulls: an empty result's carrier row). */
export interface TimelineRow {
  bucket: number | null;
  state: FinishedState | null;
  n: number | null;
}

/**
 * Store.jobTimeline's result from a store's grouped rows: `buckets` buckets
 * of `bucketMs` ending at the store's now. A row's bucket index is
 * (finishedAt - start) / bucketMs, rounded down; a job finished exactly at
 * now falls one past the end and belongs to the last bucket; rows before the
 * span are ignored.
 */
export function toJobTimeline(nowMs: number, bucketMs: number, buckets: number, rows: Iterable<TimelineRow>): JobTimeline {
  const start = nowMs - bucketMs * buckets;
  const out = Array.from({ length: buckets }, (_, i) => ({ start: new Date(start + i * bucketMs), completed: 0, failed: 0, cancelled: 0 }));
  for (const r of rows) {
    if (r.bucket === null || r.state === null || r.n === null || r.bucket < 0) continue;
    out[Math.min(Math.floor(r.bucket), buckets - 1)]![r.state] += r.n;
  }
  return { at: new Date(nowMs), bucketMs, buckets: out };
}
