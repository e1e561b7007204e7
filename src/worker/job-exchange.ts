import type { Clock, TimerHandle } from '../core/clock.js';
import type { ClaimedJob } from '../core/job.js';
import type { LeasedTransition, TransitionResult } from '../core/outcome.js';
import type { ApplyAndClaimResult, ClaimParams, Store } from '../store/store.js';

export interface ExchangeHooks<T> {
  /** Runs before outcomes are written (progress first, so a job's last progress lands before its end). */
  beforeWrite(): Promise<void>;
  /** What to claim in this round, or null; asked as each round starts. `withWrites`: the round writes outcomes anyway. */
  claim(withWrites: boolean): ClaimParams | null;
  claimed(jobs: ClaimedJob[], params: ClaimParams): void;
  /** The claim was not made: `operation` (claimJobs, or applyAndClaim with its writes) failed; reported once here. */
  claimFailed(error: unknown, params: ClaimParams, operation: string): void;
  /** `tag`'s outcome was written: applied, or refused because the lease was lost. */
  written(tag: T, result: TransitionResult): void;
  /** The final write at close failed: these outcomes are not recorded (their jobs come back when the leases expire). */
  lost(tags: T[], error: unknown): void;
  writeFailed(operation: string, error: unknown): void;
}

interface Pending<T> {
  transition: LeasedTransition;
  tag: T;
}

/** Share of a store call spent before it returned its promise, above which the store counts as blocking. */
const BLOCKING_SHARE = 0.5;

/**
 * The worker's writes and claims, in store rounds: each round writes every
 * outcome decided since the last one and claims what the worker asks for
 * then, in ONE store call when both are due and the store has
 * `applyAndClaim` (one transaction, one commit). Outcomes decided in the
 * same tick share a round; a round starts from setImmediate, so the jobs a
 * claim brought can run (and end) before the next one.
 *
 * Lanes: a store that does its work on this thread (better-sqlite3: the
 * call returns only when the commit is done) gains nothing from two rounds
 * at once, only an extra commit; with a store that waits on the network,
 * a second round in flight lets the server work on one batch while this
 * process runs the last. The exchange measures which kind it talks to (the
 * share of each call spent before it returned its promise) and allows one
 * round in flight, or two.
 *
 * A failed write keeps its outcomes (the jobs stay leased; the heartbeat
 * renews them) and is retried after `retryMs`.
 */
export class JobExchange<T> {
  private pending: Array<Pending<T>> = [];
  private scheduled = false;
  private wanted = false;
  private readonly inFlight = new Set<Promise<void>>();
  private retryTimer: TimerHandle | null = null;
  private closed = false;
  private blockingShare: number | null = null;
  /** Outcomes in the rounds in flight. */
  private writing = 0;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly retryMs: number,
    private readonly hooks: ExchangeHooks<T>,
  ) {}

  /** Rounds allowed in flight at once: 1 until the store is known not to block this thread. */
  get lanes(): number {
    return this.blockingShare !== null && this.blockingShare < BLOCKING_SHARE ? 2 : 1;
  }

  /** Outcomes not yet written: waiting for a round, or in one. */
  get backlog(): number {
    return this.pending.length + this.writing;
  }

  submit(transition: LeasedTransition, tag: T): void {
    this.pending.push({ transition, tag });
    this.schedule();
  }

  /** The worker may want to claim: ask it in a round soon. */
  request(): void {
    this.wanted = true;
    this.schedule();
  }

  /**
   * Shutdown: no more claims; waits for the rounds in flight, then writes
   * what is pending (once; retried no more: on failure `lost`).
   */
  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) this.clock.clearTimeout(this.retryTimer);
    this.retryTimer = null;
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0);
      try {
        await this.hooks.beforeWrite();
        const results = await this.store.applyTransitions({ transitions: batch.map((p) => p.transition) });
        this.deliver(batch, results);
      } catch (error) {
        this.hooks.lost(
          batch.map((p) => p.tag),
          error,
        );
      }
    }
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight.size >= this.lanes || this.retryTimer || this.closed) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (this.closed || this.inFlight.size >= this.lanes) return;
      const round: Promise<void> = this.round()
        .catch((error: unknown) => this.hooks.writeFailed('exchange', error))
        .then(() => {
          this.inFlight.delete(round);
          if (!this.closed && (this.pending.length > 0 || this.wanted)) this.schedule();
        });
      this.inFlight.add(round);
      // Another lane may take what this round left (a claim capped at one batch, say).
      if (this.wanted || this.pending.length > 0) this.schedule();
    });
  }

  private async round(): Promise<void> {
    this.wanted = false;
    const batch = this.pending.splice(0);
    this.writing += batch.length;
    try {
      await this.exchange(batch);
    } finally {
      this.writing -= batch.length;
    }
  }

  private async exchange(batch: Array<Pending<T>>): Promise<void> {
    const claim = this.hooks.claim(batch.length > 0);
    if (batch.length === 0 && claim === null) return;
    if (batch.length > 0) await this.hooks.beforeWrite();
    const transitions = batch.map((p) => p.transition);
    if (batch.length > 0 && claim !== null && this.store.applyAndClaim) {
      let r: ApplyAndClaimResult;
      try {
        r = await this.timed(() => this.store.applyAndClaim!({ transitions, claim }));
      } catch (error) {
        this.retryLater(batch);
        this.hooks.claimFailed(error, claim, 'applyAndClaim');
        return;
      }
      this.deliver(batch, r.results);
      this.hooks.claimed(r.jobs, claim);
      return;
    }
    if (batch.length > 0) {
      try {
        this.deliver(batch, await this.timed(() => this.store.applyTransitions({ transitions })));
      } catch (error) {
        this.hooks.writeFailed('applyTransitions', error);
        this.retryLater(batch);
      }
    }
    if (claim === null) return;
    let jobs: ClaimedJob[];
    try {
      jobs = await this.timed(() => this.store.claimJobs(claim));
    } catch (error) {
      this.hooks.claimFailed(error, claim, 'claimJobs');
      return;
    }
    this.hooks.claimed(jobs, claim);
  }

  /** Makes a store call, noting the share of it that ran before it returned its promise (blocking this thread). */
  private async timed<R>(call: () => Promise<R>): Promise<R> {
    const t0 = performance.now();
    const promise = call();
    const returned = performance.now() - t0;
    const value = await promise;
    const total = performance.now() - t0;
    if (total > 0.05) {
      const share = returned / total;
      this.blockingShare = this.blockingShare === null ? share : 0.8 * this.blockingShare + 0.2 * share;
    }
    return value;
  }

  private deliver(batch: Array<Pending<T>>, results: TransitionResult[]): void {
    for (let i = 0; i < batch.length; i++) this.hooks.written(batch[i]!.tag, results[i]!);
  }

  /** Puts the outcomes back (first in line) and tries again after retryMs. */
  private retryLater(batch: Array<Pending<T>>): void {
    this.pending.unshift(...batch);
    if (this.closed || this.retryTimer) return;
    this.retryTimer = this.clock.setTimeout(() => {
      this.retryTimer = null;
      this.schedule();
    }, this.retryMs);
  }
}
