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
 *  - **cancel**: the jobs this store handed out and not yet ended (`held`,
 *    id → lease token, kept by claims and ends) are looked up by primary key
 *    (`heldCancelState`); one whose cancel was requested is told once per
 *    lease as `cancel-requested`, so `docket jobs cancel` from another
 *    process reaches a running handler without waiting for the heartbeat.
 *    Entries whose lease moved on (rescued, lost) are dropped there too.
 *    (Scanning the lease index for the flag instead cost time linear in the
 *    jobs every process holds: 0.7 ms at 2,000, 11.5 ms at 20,000.)
 *
 * An idle worker with a quiet file pays one pragma per tick; the cost of
 * each step is measured in ARCHITECTURE.md. The ":memory:" store has no
 * other connection and never polls.
 */
export class CrossProcessSignals {
  private timer: TimerHandle | null = null;
  private version: number | null = null;
  private readonly queues = new Set<string>();
  /** Jobs this store handed out and has not seen end: id → lease token. */
  private readonly held = new Map<string, string>();
  /** `id:token` of held jobs already told about, so each cancel is pushed once per lease. */
  private readonly told = new Set<string>();

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

  /** What a claim tells: a worker of this store claims from these queues. */
  claiming(queues: ReadonlyArray<{ queue: string }>): void {
    for (const q of queues) if (!this.queues.has(q.queue)) this.queues.add(q.queue);
  }

  /** Jobs handed out (held under these leases until they end). */
  claimed(jobs: ReadonlyArray<{ id: string; leaseToken: string }>): void {
    // Kept only while watching (someone subscribes): nothing else would ever prune it.
    if (this.timer === null) return;
    for (const j of jobs) this.held.set(j.id, j.leaseToken);
  }

  /** Leased writes sent to the store: those with an outcome end the hold (whether applied or lost). */
  ended(ts: ReadonlyArray<{ jobId: string; outcome: unknown }>): void {
    for (const t of ts) {
      if (t.outcome === null) continue;
      this.held.delete(t.jobId);
      if (this.told.size > 0) for (const key of this.told) if (key.startsWith(`${t.jobId}:`)) this.told.delete(key);
    }
  }

  start(): void {
    if (this.timer) return;
    this.version = null;
    this.arm();
  }

  stop(): void {
    if (this.timer) this.deps.clock.clearTimeout(this.timer);
    this.timer = null;
    this.held.clear();
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
    if (this.held.size > 0) {
      const ids = JSON.stringify([...this.held.keys()].map(Number));
      const rows = this.deps.prepare(SQL.heldCancelState).all(ids) as Array<{ id: number; lease_token: string | null; cancel_requested: number }>;
      const seen = new Set<string>();
      for (const r of rows) {
        const id = String(r.id);
        const token = this.held.get(id);
        if (r.lease_token !== token) continue;
        seen.add(id);
        const key = `${id}:${token}`;
        if (r.cancel_requested === 1 && !this.told.has(key)) {
          this.told.add(key);
          this.deps.emit({ type: 'cancel-requested', jobId: id });
        }
      }
      // Held no more under our token (rescued, deleted, lease lost): forget it.
      for (const id of [...this.held.keys()]) {
        if (seen.has(id)) continue;
        this.held.delete(id);
        for (const key of this.told) if (key.startsWith(`${id}:`)) this.told.delete(key);
      }
    }
    return true;
  }
}
