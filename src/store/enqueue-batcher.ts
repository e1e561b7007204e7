import type { NewJob } from '../core/job.js';
import type { EnqueueResult } from './store.js';

/** One Store.enqueue call, checked: its jobs and their parsed payloads (checkNewJobs). */
export interface EnqueueCall {
  jobs: NewJob[];
  data: unknown[];
}

export interface EnqueueBatcherOptions {
  /** Grouped runs that may be in flight at once (SQLite: 1, its driver is synchronous; PostgreSQL: half the pool). */
  maxInFlight: number;
  /** Calls are grouped while their jobs add up to at most this; a larger call runs alone. */
  maxJobs: number;
}

/**
 * The one batcher of concurrent enqueues (group commit), used by every store
 * for `Store.enqueue` without a caller transaction. Calls made in the same
 * tick — and those made while `maxInFlight` runs are busy — go to the
 * database together: one transaction, one commit (one fsync), one wake-up
 * per queue. It sits in the store, not in Docket, so it groups every caller
 * of the store (single enqueues, enqueueMany, the admin API, several Dockets
 * sharing a store object) and bounds how many connections enqueues hold.
 *
 * Each call stays atomic and independent: if a grouped run fails (the store
 * wrote nothing), every call of the group is run again alone, so one call's
 * failure never becomes another's. Each caller gets its own results, in order.
 */
export class EnqueueBatcher {
  private waiting: Array<{ call: EnqueueCall; resolve: (r: EnqueueResult[]) => void; reject: (e: unknown) => void }> = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(
    private readonly run: (jobs: NewJob[], data: unknown[]) => Promise<EnqueueResult[]>,
    private readonly options: EnqueueBatcherOptions,
  ) {}

  submit(call: EnqueueCall): Promise<EnqueueResult[]> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ call, resolve, reject });
      this.schedule();
    });
  }

  /** Calls waiting for the next run (for tests). */
  get size(): number {
    return this.waiting.length;
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.options.maxInFlight || this.waiting.length === 0) return;
    this.scheduled = true;
    // setImmediate, not a microtask: callers that validate asynchronously
    // (Standard Schema) before calling the store still land in the same group.
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    while (this.inFlight < this.options.maxInFlight && this.waiting.length > 0) {
      let size = 0;
      let n = 0;
      while (n < this.waiting.length && (n === 0 || size + this.waiting[n]!.call.jobs.length <= this.options.maxJobs)) {
        size += this.waiting[n]!.call.jobs.length;
        n++;
      }
      void this.start(this.waiting.splice(0, n));
    }
  }

  private async start(group: typeof this.waiting): Promise<void> {
    this.inFlight++;
    try {
      if (group.length === 1) {
        const only = group[0]!;
        await this.run(only.call.jobs, only.call.data).then(only.resolve, only.reject);
        return;
      }
      let results: EnqueueResult[] | undefined;
      try {
        results = await this.run(
          group.flatMap((g) => g.call.jobs),
          group.flatMap((g) => g.call.data),
        );
      } catch {
        // Nothing was written: each call alone, so each gets its own outcome.
        for (const g of group) await this.run(g.call.jobs, g.call.data).then(g.resolve, g.reject);
        return;
      }
      let at = 0;
      for (const g of group) {
        g.resolve(results.slice(at, at + g.call.jobs.length));
        at += g.call.jobs.length;
      }
    } finally {
      this.inFlight--;
      this.schedule();
    }
  }
}
