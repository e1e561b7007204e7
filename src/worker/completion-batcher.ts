import type { Clock, TimerHandle } from '../core/clock.js';
import { StoreClosedError } from '../core/errors.js';
import type { LeasedTransition, TransitionResult } from '../core/outcome.js';
import type { Store } from '../store/store.js';

interface Pending {
  transition: LeasedTransition;
  resolve(result: TransitionResult): void;
  reject(error: unknown): void;
}

/**
 * Applies the outcomes of attempts that ended in the same tick with one
 * `applyTransitions` call. A failed call is retried after `retryMs` (the
 * jobs stay leased meanwhile, and the heartbeat keeps their leases alive).
 */
export class CompletionBatcher {
  private pending: Pending[] = [];
  private scheduled = false;
  private inFlight: Promise<void> | null = null;
  private retryTimer: TimerHandle | null = null;
  private closed = false;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly retryMs: number,
    private readonly hooks: { beforeFlush(): Promise<void>; onError(error: unknown): void },
  ) {}

  submit(transition: LeasedTransition): Promise<TransitionResult> {
    if (this.closed) return Promise.reject(new StoreClosedError());
    return new Promise((resolve, reject) => {
      this.pending.push({ transition, resolve, reject });
      this.schedule();
    });
  }

  get size(): number {
    return this.pending.length;
  }

  /**
   * Shutdown: applies what is pending now, once; if that fails, the callers
   * get the error (those jobs are left to lease expiry and the rescuer).
   */
  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) this.clock.clearTimeout(this.retryTimer);
    this.retryTimer = null;
    while (this.inFlight) await this.inFlight;
    if (this.pending.length === 0) return;
    const batch = this.pending.splice(0);
    try {
      await this.hooks.beforeFlush();
      const results = await this.store.applyTransitions({ transitions: batch.map((p) => p.transition) });
      batch.forEach((p, i) => p.resolve(results[i]!));
    } catch (error) {
      for (const p of batch) p.reject(error);
    }
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight || this.retryTimer || this.closed) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (!this.closed) this.inFlight = this.flush();
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending.splice(0);
    let failed = false;
    try {
      if (batch.length === 0) return;
      await this.hooks.beforeFlush();
      const results = await this.store.applyTransitions({ transitions: batch.map((p) => p.transition) });
      batch.forEach((p, i) => p.resolve(results[i]!));
    } catch (error) {
      failed = true;
      this.hooks.onError(error);
      this.pending.unshift(...batch);
    } finally {
      this.inFlight = null;
    }
    if (this.closed || this.pending.length === 0) return;
    if (failed) {
      this.retryTimer = this.clock.setTimeout(() => {
        this.retryTimer = null;
        this.schedule();
      }, this.retryMs);
    } else {
      this.schedule();
    }
  }
}
