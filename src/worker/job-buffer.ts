import type { ClaimedJob } from '../core/job.js';

/** A claimed job not started yet, and when (worker clock) the claim brought it. */
export interface BufferedJob {
  job: ClaimedJob;
  claimedAt: number;
}

/**
 * The claimed-but-not-started jobs of a worker (claim-ahead), in claim
 * order: priority desc, run time asc, id asc, across claims too. Every one
 * holds a lease.
 */
export class JobBuffer {
  private items: BufferedJob[] = [];
  private readonly byQueue = new Map<string, number>();

  get size(): number {
    return this.items.length;
  }

  count(queue: string): number {
    return this.byQueue.get(queue) ?? 0;
  }

  /** Adds one claim's jobs (already in claim order). */
  add(jobs: readonly ClaimedJob[], claimedAt: number): void {
    if (jobs.length === 0) return;
    const last = this.items[this.items.length - 1];
    for (const job of jobs) {
      this.items.push({ job, claimedAt });
      this.byQueue.set(job.queue, this.count(job.queue) + 1);
    }
    // A later claim may bring jobs that go first (a higher priority enqueued since).
    if (last && before(jobs[0]!, last.job)) this.items.sort((a, b) => compare(a.job, b.job));
  }

  /** Removes and returns the first job that `canStart` allows (per-queue concurrency), if any. */
  take(canStart: ((queue: string) => boolean) | null): BufferedJob | undefined {
    const items = this.items;
    let i = 0;
    if (canStart) while (i < items.length && !canStart(items[i]!.job.queue)) i++;
    if (i >= items.length) return undefined;
    const b = i === 0 ? items.shift()! : items.splice(i, 1)[0]!;
    this.forget(b.job.queue);
    return b;
  }

  /** Removes the job if it is here under that lease token. */
  remove(jobId: string, leaseToken?: string): BufferedJob | undefined {
    const i = this.items.findIndex((b) => b.job.id === jobId && (leaseToken === undefined || b.job.leaseToken === leaseToken));
    if (i < 0) return undefined;
    const [b] = this.items.splice(i, 1);
    this.forget(b!.job.queue);
    return b;
  }

  /** Removes and returns every job (shutdown). */
  drain(): BufferedJob[] {
    const all = this.items;
    this.items = [];
    this.byQueue.clear();
    return all;
  }

  jobs(): IterableIterator<ClaimedJob> {
    return (function* (items: BufferedJob[]) {
      for (const b of items) yield b.job;
    })(this.items);
  }

  private forget(queue: string): void {
    const n = this.count(queue) - 1;
    if (n > 0) this.byQueue.set(queue, n);
    else this.byQueue.delete(queue);
  }
}

function compare(a: ClaimedJob, b: ClaimedJob): number {
  return b.priority - a.priority || a.runAt.getTime() - b.runAt.getTime() || a.id.length - b.id.length || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

function before(a: ClaimedJob, b: ClaimedJob): boolean {
  return compare(a, b) < 0;
}
