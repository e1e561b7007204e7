import type { Logger } from 'pino';
import type { ClaimedJob } from '../../core/job.js';

const TICK_MS = 100;
/** A warning names at most this many jobs. */
const NAMED = 10;

/**
 * Warns when this thread's event loop lagged, naming the in-process jobs that
 * ran meanwhile: a handler that blocks the loop (CPU-bound work) also blocks
 * the lease heartbeat, and a block longer than the lease loses the job to the
 * rescuer (it runs again elsewhere; this attempt's outcome is discarded).
 * A timer-drift check every 100 ms (unref'd, wall clock): cheap, and it sees
 * the block once the loop is free again. The jobs named are those running at
 * the last tick or started since, so a handler that blocked and finished in
 * one go is named too.
 *
 * The window holds at most NAMED jobs: a busy worker starts thousands of jobs
 * per tick, and holding each one for a tick outlived the young generation
 * (every scavenge copied them and promoted them to the old one: a third
 * more CPU per job in the SQLite drain).
 */
export class LoopLagWatch {
  private readonly running = new Set<ClaimedJob>();
  /** Jobs to name if this tick finds a lag: running at the last tick or started since, at most NAMED. */
  private window: ClaimedJob[] = [];
  private timer: NodeJS.Timeout | null = null;
  private last = 0;

  constructor(
    private readonly thresholdMs: number,
    private readonly leaseMs: number,
    private readonly logger: Logger,
  ) {}

  start(): void {
    if (this.thresholdMs <= 0 || this.timer) return;
    this.last = performance.now();
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  started(job: ClaimedJob): void {
    this.running.add(job);
    if (this.window.length < NAMED) this.window.push(job);
  }

  ended(job: ClaimedJob): void {
    this.running.delete(job);
  }

  private tick(): void {
    const now = performance.now();
    const lagMs = Math.round(now - this.last - TICK_MS);
    this.last = now;
    if (lagMs >= this.thresholdMs && this.window.length > 0) {
      const jobs = this.window.map((j) => ({ jobId: j.id, job: j.name }));
      this.logger.warn(
        { lagMs, leaseMs: this.leaseMs, jobs },
        `the event loop was blocked for ${lagMs} ms while in-process job ${jobs.map((j) => `${j.job} (${j.jobId})`).join(', ')} ran; ` +
          `heartbeats wait meanwhile and a block longer than the lease (${this.leaseMs} ms) loses the job: use isolation 'thread' or 'process' for CPU-bound handlers`,
      );
    }
    this.window = [];
    for (const job of this.running) {
      if (this.window.length === NAMED) break;
      this.window.push(job);
    }
  }
}
