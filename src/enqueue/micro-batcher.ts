/**
 * Groups concurrent single calls into one bulk call: items added in the same
 * tick (and while a bulk call is in flight) go to the store together, in one
 * transaction and with one wake-up. Each caller still gets its own result.
 *
 * If a bulk call fails, the batch is retried one item at a time (the store
 * wrote nothing for the failed call), so one bad item never fails its
 * neighbours; each caller gets its own error.
 */
export class MicroBatcher<TItem, TResult> {
  private pending: Array<{ item: TItem; resolve: (r: TResult) => void; reject: (e: unknown) => void }> = [];
  private scheduled = false;
  private inFlight = false;

  constructor(
    private readonly run: (items: TItem[]) => Promise<TResult[]>,
    private readonly maxBatchSize = 1_000,
  ) {}

  add(item: TItem): Promise<TResult> {
    return new Promise<TResult>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** Items waiting for the next flush (for tests and stats). */
  get size(): number {
    return this.pending.length;
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight) return;
    this.scheduled = true;
    // setImmediate, not a microtask: callers that validate asynchronously
    // (Standard Schema) still land in the same batch.
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending.splice(0, this.maxBatchSize);
    if (batch.length === 0) return;
    this.inFlight = true;
    try {
      let results: TResult[] | undefined;
      let failure: unknown;
      try {
        results = await this.run(batch.map((b) => b.item));
      } catch (error) {
        failure = error;
      }
      if (results) {
        batch.forEach((b, i) => b.resolve(results[i]!));
      } else if (batch.length === 1) {
        batch[0]!.reject(failure);
      } else {
        for (const b of batch) {
          try {
            const [one] = await this.run([b.item]);
            b.resolve(one!);
          } catch (error) {
            b.reject(error);
          }
        }
      }
    } finally {
      this.inFlight = false;
      if (this.pending.length > 0) this.schedule();
    }
  }
}
