import type { JobAdminApi } from '../../jobs/job-admin.js';

/**
 * Jobs finished per minute over the last hour, for the overview charts.
 *
 * From `Store.jobTimeline` (one pass over the jobs finished in the hour)
 * where the store has it; else from `Store.jobStats` windows: windows of 1,
 * 2, ... 60 minutes all end at the store's now, so minute k back from now is
 * window(k) - window(k-1), in four calls of 15 windows (jobStats' limit is
 * 16). Both stay bounded by the last hour's finished jobs, but the windows
 * read them once per call with 45 sums per row: with 90,000 jobs finished
 * in the hour that took 1.4 s against jobTimeline's tens of ms
 * (bench/dashboard-render.ts --hot), hence the store method.
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
const WINDOWS_PER_CALL = 15;

/** From jobTimeline where the store has it, else from jobStats windows (every store has jobStats). */
export async function lastHourThroughput(jobs: Pick<JobAdminApi, 'timeline' | 'stats'>, queue?: string): Promise<Throughput | null> {
  const q = queue === undefined ? {} : { queue };
  const tl = await jobs.timeline({ bucketMs: THROUGHPUT_BUCKET_MS, buckets: THROUGHPUT_BUCKETS, ...q });
  if (tl) {
    return {
      at: tl.at,
      bucketMs: tl.bucketMs,
      t: tl.buckets.map((b) => Math.floor(b.start.getTime() / 1000)),
      completed: tl.buckets.map((b) => b.completed),
      failed: tl.buckets.map((b) => b.failed),
      cancelled: tl.buckets.map((b) => b.cancelled),
    };
  }
  return fromWindows(jobs, q);
}

async function fromWindows(jobs: Pick<JobAdminApi, 'stats'>, q: { queue?: string }): Promise<Throughput> {
  const cumulative = { completed: [0], failed: [0], cancelled: [0] };
  let at: Date | null = null;
  for (let first = 1; first <= THROUGHPUT_BUCKETS; first += WINDOWS_PER_CALL) {
    const windowsMs = Array.from({ length: Math.min(WINDOWS_PER_CALL, THROUGHPUT_BUCKETS - first + 1) }, (_, i) => (first + i) * THROUGHPUT_BUCKET_MS);
    // runTimeWindowMs 1: the per-name run times are not needed here, so that part reads (almost) nothing
    const s = await jobs.stats({ windowsMs, runTimeWindowMs: 1, ...q });
    at ??= s.at;
    for (const w of s.windows) {
      cumulative.completed.push(w.completed);
      cumulative.failed.push(w.failed);
      cumulative.cancelled.push(w.cancelled);
    }
  }
  const end = at!.getTime();
  const t: number[] = [];
  const out = { completed: [] as number[], failed: [] as number[], cancelled: [] as number[] };
  // oldest bucket first: minute k back from now covers (end - k min, end - (k-1) min]
  for (let k = THROUGHPUT_BUCKETS; k >= 1; k--) {
    t.push(Math.floor((end - k * THROUGHPUT_BUCKET_MS) / 1000));
    for (const key of ['completed', 'failed', 'cancelled'] as const) {
      // later calls end a few ms later than the first; never let that show as a negative count
      out[key].push(Math.max(0, cumulative[key][k]! - cumulative[key][k - 1]!));
    }
  }
  return { at: at!, bucketMs: THROUGHPUT_BUCKET_MS, t, ...out };
}
