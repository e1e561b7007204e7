/**
 * Groups concurrent enqueue calls into one statement (group commit). A call
 * runs at once while fewer than `maxInFlight` statements are running; beyond
 * that, calls wait and the next free slot takes all waiting calls together.
 * So a lone call pays no delay, and under load the commit (fsync) and the
 * round trip are shared. All grouped calls succeed or fail together, which
 * keeps each call atomic.
 */
export class EnqueueBatcher<J, R> {
  private readonly waiting: Array<{ jobs: J[]; resolve: (r: R[]) => void; reject: (e: unknown) => void }> = [];
  private inFlight = 0;

  constructor(
    private readonly run: (jobs: J[]) => Promise<R[]>,
    private readonly maxInFlight: number,
    private readonly maxJobsPerStatement: number,
  ) {}

  submit(jobs: J[]): Promise<R[]> {
    if (this.inFlight < this.maxInFlight && this.waiting.length === 0) return this.start(jobs);
    return new Promise((resolve, reject) => {
      this.waiting.push({ jobs, resolve, reject });
    });
  }

  private start(jobs: J[]): Promise<R[]> {
    this.inFlight++;
    return this.run(jobs).finally(() => {
      this.inFlight--;
      this.flush();
    });
  }

  private flush(): void {
    while (this.inFlight < this.maxInFlight && this.waiting.length > 0) {
      const group: typeof this.waiting = [];
      let size = 0;
      while (this.waiting.length > 0 && (group.length === 0 || size + this.waiting[0]!.jobs.length <= this.maxJobsPerStatement)) {
        const call = this.waiting.shift()!;
        group.push(call);
        size += call.jobs.length;
      }
      const all = group.length === 1 ? group[0]!.jobs : group.flatMap((c) => c.jobs);
      this.start(all).then(
        (results) => {
          let at = 0;
          for (const c of group) {
            c.resolve(results.slice(at, at + c.jobs.length));
            at += c.jobs.length;
          }
        },
        (e: unknown) => {
          for (const c of group) c.reject(e);
        },
      );
    }
  }
}
