/**
 * Claim-ahead: how many claimed jobs a worker holds beyond its running ones,
 * so that one store round trip carries many jobs and the next claim overlaps
 * the jobs running now. See ARCHITECTURE.md, "Worker".
 *
 * The buffer is sized by time, not count: what the worker's slots would
 * start within `CLAIM_AHEAD_HORIZON_MS` at the observed pace (concurrency /
 * mean handler run time). So a buffered job waits about that long at most;
 * the worker never hoards jobs another worker could start sooner, a job of
 * higher priority enqueued later waits at most that much longer, and slow
 * handlers get no buffer at all (50 ms handlers at concurrency 10: 10 jobs;
 * 1 s handlers: none). A hard cap, `CLAIM_AHEAD_BATCHES` claim batches,
 * bounds memory and the size of one claim. Buffered jobs hold leases, which
 * the heartbeat renews with the others; the horizon stays under a quarter of
 * the lease as well.
 */
export const CLAIM_AHEAD_HORIZON_MS = 50;
export const CLAIM_AHEAD_BATCHES = 16;
/** Weight of the newest run time in the running mean. */
const MEAN_WEIGHT = 0.1;
/** Run times below this count as this (the clock's resolution is 1 ms; a no-op takes microseconds). */
const MIN_RUN_MS = 0.01;

export class ClaimAhead {
  readonly cap: number;
  private readonly horizonMs: number;
  private meanRunMs: number | null = null;

  constructor(private readonly o: { concurrency: number; claimBatchSize: number; leaseMs: number }) {
    this.cap = CLAIM_AHEAD_BATCHES * Math.max(o.concurrency, o.claimBatchSize);
    this.horizonMs = Math.min(CLAIM_AHEAD_HORIZON_MS, o.leaseMs / 4);
  }

  /** A handler ran for `ms` (from start to its outcome). */
  observe(ms: number): void {
    const m = this.meanRunMs;
    this.meanRunMs = m === null ? ms : m + MEAN_WEIGHT * (ms - m);
  }

  /** Jobs to hold unstarted beyond the running ones: none until a run time was seen. */
  get target(): number {
    const m = this.meanRunMs;
    if (m === null) return 0;
    return Math.min(this.cap, Math.floor((this.o.concurrency * this.horizonMs) / Math.max(m, MIN_RUN_MS)));
  }
}
