import type Database from 'better-sqlite3';
import type { Clock, TimerHandle } from '../../core/clock.js';
import type { StoreNotification } from '../../store/store.js';
import { SQL } from './queries.js';

type Prepare = (sql: string, pluck?: boolean) => Database.Statement;

/** How often a store with subscribers looks at `PRAGMA data_version` (issue 11: cross-process signals within ~100 ms). */
export const DATA_VERSION_POLL_MS = 50;

/**
 * Push between processes on one SQLite file. SQLite has no notifications, but
 * `PRAGMA data_version` changes when *another* connection commits to the file
 * (never for this connection's own commits, which notify in-process already).
 * While someone subscribes (a worker), this reads it every
 * DATA_VERSION_POLL_MS; only when it moved does it look further:
 *
 *  - **wake-up**: each queue a worker of this store claims from (learnt from
 *    its claims) is probed with the claim's `anyRunnable` (one index seek);
 *    a queue with a runnable job gets `jobs-available`, so a job enqueued by
 *    another process starts without waiting for the poll;
 *  - **cancel**: the leased jobs of this store's workers (learnt from their
 *    claims) whose cancel was requested are read through a partial index
 *    that holds only rows with the flag set (`docket_jobs_cancel_requested`,
 *    migration 5), so the cost follows the cancels pending, not the jobs
 *    held; each is told once per lease as `cancel-requested`, so `docket
 *    jobs cancel` from another process reaches a running handler without
 *    waiting for the heartbeat. Nothing is kept per job: a map of held
 *    jobs, updated by every claim and end, kept each job's entries alive
 *    past the young generation in a busy drain (4x the bytes promoted per
 *    job; ARCHITECTURE.md); scanning the lease index instead cost time
 *    linear in the jobs every process holds (0.7 ms at 2,000, 11.5 ms at 20,000).
 *
 * An idle worker with a quiet file pays one pragma per tick; the cost of
 * each step is measured in ARCHITECTURE.md. The ":memory:" store has no
 * other connection and never polls.
 */
export class CrossProcessSignals {
  private timer: TimerHandle | null = null;
  private version: number | null = null;
  private readonly queues = new Set<string>();
  /** The workers that claim through this store (their cancels are looked for). */
  private readonly workers = new Set<string>();
  /** `id:token` of requested cancels already told, so each is pushed once per lease. */
  private told = new Set<string>();

  constructor(
    private readonly deps: {
      clock: Clock;
      prepare: Prepare;
      /** The version now (PRAGMA data_version); throws when the store is closed. */
      dataVersion: () => number;
      emit: (n: StoreNotification) => void;
      intervalMs?: number;
    },
  ) {}

  /** What a claim tells: this worker of this store claims from these queues. */
  claiming(workerId: string, queues: ReadonlyArray<{ queue: string }>): void {
    if (!this.workers.has(workerId)) this.workers.add(workerId);
    for (const q of queues) if (!this.queues.has(q.queue)) this.queues.add(q.queue);
  }

  start(): void {
    if (this.timer) return;
    this.version = null;
    this.arm();
  }

  stop(): void {
    if (this.timer) this.deps.clock.clearTimeout(this.timer);
    this.timer = null;
    this.told.clear();
  }

  private arm(): void {
    this.timer = this.deps.clock.setTimeout(() => {
      this.timer = null;
      try {
        this.tick();
      } catch {
        // A closed store or a busy file: the worker's own poll and heartbeat still cover it; try at the next tick.
      }
      if (this.timer === null) this.arm();
    }, this.deps.intervalMs ?? DATA_VERSION_POLL_MS);
    this.timer.unref?.();
  }

  /** One look; returns whether another connection committed since the last. Public for tests and the cost measurement. */
  tick(): boolean {
    const v = this.deps.dataVersion();
    const changed = this.version !== null && v !== this.version;
    this.version = v;
    if (!changed) return false;
    const now = this.deps.clock.now();
    if (this.queues.size > 0) {
      const probe = this.deps.prepare(SQL.claimJobs.anyRunnable, true);
      for (const queue of this.queues) if (probe.get(queue, now) !== undefined) this.deps.emit({ type: 'jobs-available', queue });
    }
    if (this.workers.size > 0) {
      const rows = this.deps.prepare(SQL.cancelRequested).all(JSON.stringify([...this.workers])) as Array<{ id: number; lease_token: string }>;
      // Only the requests still pending stay told: a lease that ended drops out of the index.
      const told = new Set<string>();
      for (const r of rows) {
        const key = `${r.id}:${r.lease_token}`;
        told.add(key);
        if (!this.told.has(key)) this.deps.emit({ type: 'cancel-requested', jobId: String(r.id) });
      }
      this.told = told;
    }
    return true;
  }
}
