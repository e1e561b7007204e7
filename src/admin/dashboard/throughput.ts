import type { JobAdminApi } from '../../jobs/job-admin.js';

/**
 * Jobs finished per minute over the last hour, for the overview charts, from
 * `Store.jobTimeline` (one pass over the jobs finished in the hour; every
 * store has it). jobStats windows would read them once per window: with
 * 90,000 jobs finished in the hour that took 1.4 s against jobTimeline's
 * tens of ms (bench/dashboard-render.ts --hot), hence the store method.
 */
export interface Throughput {
  /** End of the last bucket (the store's now at the first call). */
  at: Date;
  bucketMs: number;
  /** Bucket start times (epoch seconds, uPlot's x unit), oldest first. */
  t: number[];
  completed: number[];
  failed: number[];
  cancelled: number[];
}

export const THROUGHPUT_BUCKET_MS = 60_000;
export const THROUGHPUT_BUCKETS = 60;

export async function lastHourThroughput(jobs: Pick<JobAdminApi, 'timeline'>, queue?: string): Promise<Throughput> {
  const tl = await jobs.timeline({ bucketMs: THROUGHPUT_BUCKET_MS, buckets: THROUGHPUT_BUCKETS, ...(queue === undefined ? {} : { queue }) });
  return {
    at: tl.at,
    bucketMs: tl.bucketMs,
    t: tl.buckets.map((b) => Math.floor(b.start.getTime() / 1000)),
    completed: tl.buckets.map((b) => b.completed),
    failed: tl.buckets.map((b) => b.failed),
    cancelled: tl.buckets.map((b) => b.cancelled),
  };
}
