import type { StoreLogger } from './options.js';

/**
 * Vacuums the jobs table after every `every` claimed jobs (one vacuum at a
 * time, never awaited by a claim). Why: a claim moves a job out of the
 * partial index `jobs_runnable`, leaving a dead entry at the head of the
 * index, the very place the next claim starts reading. Until a vacuum removes
 * them, every claim steps over all of them (killed entries cost no heap
 * visit, but each index page is still read): measured with 1,000,000 jobs,
 * 75 % drained, 3,587 index pages (57 ms) before the first live entry of a
 * 512-job claim, most of that statement's time (bench/README.md, "Profile").
 * Autovacuum cannot keep up: it visits a database at most once per
 * `autovacuum_naptime` (1 min by default, a server setting a migration cannot
 * change), in which a busy worker claims several hundred thousand jobs. A
 * vacuum of a table whose pages are mostly all-visible reads only the pages
 * changed since the last one, plus each index once.
 *
 * `VACUUM (SKIP_LOCKED)`: a vacuum already running on the table (autovacuum,
 * another process) means this one is skipped, not queued. A failure (a role
 * that does not own the table gets a warning, not an error; a lost
 * connection) is logged once and changes nothing else.
 */
export class ClaimVacuum {
  private claimed = 0;
  private running: Promise<void> | null = null;
  private warned = false;

  constructor(
    private readonly every: number,
    private readonly vacuum: () => Promise<unknown>,
    private readonly logger: StoreLogger,
  ) {}

  /** `n` jobs were claimed. */
  note(n: number): void {
    if (this.every <= 0 || n <= 0) return;
    this.claimed += n;
    if (this.claimed < this.every || this.running) return;
    this.claimed = 0;
    this.running = this.vacuum()
      .then(
        () => {},
        (e: unknown) => {
          if (this.warned) return;
          this.warned = true;
          this.logger.warn({ err: e }, 'docket: vacuum of the jobs table after claims failed (claims go on; only their speed at a large backlog suffers)');
        },
      )
      .finally(() => {
        this.running = null;
      });
  }

  /** Waits for a vacuum in flight. */
  async idle(): Promise<void> {
    await this.running;
  }
}
