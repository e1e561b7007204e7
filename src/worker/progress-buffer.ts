import type { Clock, TimerHandle } from '../core/clock.js';
import type { Store } from '../store/store.js';
import type { ProgressInput } from './job-context.js';

export interface ProgressEntry {
  jobId: string;
  leaseToken: string;
  progress: ProgressInput;
}

/**
 * Coalesces progress writes: a handler may report progress thousands of times
 * a second; the store sees the latest value per job at most every
 * `flushMs`, all jobs in one `saveProgress` call.
 */
export class ProgressBuffer {
  private pending = new Map<string, ProgressEntry>();
  private timer: TimerHandle | null = null;
  private flushing: Promise<void> | null = null;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly flushMs: number,
    private readonly hooks: {
      onSaved(entries: ProgressEntry[]): void;
      onLost(jobIds: string[]): void;
      onError(error: unknown): void;
    },
  ) {}

  record(entry: ProgressEntry): void {
    this.pending.set(entry.jobId, entry);
    if (!this.timer && !this.flushing) this.arm();
  }

  /** Drops what a job had pending (its attempt ended without needing it). */
  forget(jobId: string): void {
    this.pending.delete(jobId);
  }

  hasPending(): boolean {
    return this.pending.size > 0;
  }

  /** Writes everything pending now (before completions, and at shutdown). */
  async flush(): Promise<void> {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = null;
    while (this.flushing) await this.flushing;
    if (this.pending.size === 0) return;
    const entries = [...this.pending.values()];
    this.pending = new Map();
    this.flushing = this.write(entries);
    try {
      await this.flushing;
    } finally {
      this.flushing = null;
      if (this.pending.size > 0 && !this.timer) this.arm();
    }
  }

  stop(): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.pending.clear();
  }

  private arm(): void {
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, this.flushMs);
  }

  private async write(entries: ProgressEntry[]): Promise<void> {
    try {
      const lost = await this.store.saveProgress({ updates: entries });
      const lostSet = new Set(lost);
      this.hooks.onSaved(lostSet.size ? entries.filter((e) => !lostSet.has(e.jobId)) : entries);
      if (lost.length) this.hooks.onLost(lost);
    } catch (error) {
      // Progress is advisory: a failed write is reported, not retried; the
      // next report of the job carries the newer value anyway.
      this.hooks.onError(error);
    }
  }
}
