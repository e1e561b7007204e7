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
  /** `tag`'s start was written: applied, or refused (the job is no longer held: abort its handler). */
  started(tag: T, result: TransitionResult): void;
  /** The final write at close failed: these outcomes are not recorded (their jobs come back when the leases expire). */
  lost(tags: T[], error: unknown): void;
  writeFailed(operation: string, error: unknown): void;
}

interface Pending<T> {
  transition: LeasedTransition;
  tag: T;
  /** When the handler started (clock ms), for a started attempt: sent as startedAgoMs at write time. */
  startedAt?: number;
  /** Submission order, shared by outcomes and starts. */
  seq: number;
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
 * Starts: a handler's start is written with the next round (reserved →
 * active in the store), unless its outcome is decided first, in which case
 * the outcome carries it (one write for both). A start never reaches the
 * store before an outcome submitted earlier (the one that freed its slot):
 * it waits while a round in flight holds such an outcome, so the store
 * never shows more jobs active than the worker runs.
 *
 * A failed write keeps its outcomes (the jobs stay leased; the heartbeat
 * renews them) and is retried after `retryMs`.
 */
export class JobExchange<T> {
  private pending: Array<Pending<T>> = [];
  /** Starts not yet written, by job id (an outcome submitted for the job replaces its start). */
  private readonly starts = new Map<string, Pending<T>>();
  private seq = 0;
  /** The oldest outcome (seq) of each round in flight. */
  private readonly inFlightOldest = new Set<number>();
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

  /** An outcome to write; `startedAt` (clock ms) for an attempt that started, absent for a job that never did. */
  submit(transition: LeasedTransition, tag: T, startedAt?: number): void {
    const start = this.starts.get(transition.jobId);
    if (start && start.transition.leaseToken === transition.leaseToken) this.starts.delete(transition.jobId);
    this.pending.push({ transition, tag, startedAt, seq: this.seq++ });
    this.schedule();
  }

  /** A handler started at `startedAt` (clock ms): record it with a round soon. */
  submitStart(jobId: string, leaseToken: string, startedAt: number, tag: T): void {
    this.starts.set(jobId, { transition: { jobId, leaseToken, outcome: null }, tag, startedAt, seq: this.seq++ });
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
    while (this.pending.length > 0 || this.starts.size > 0) {
      const batch = this.pending.splice(0);
      const starts = this.takeStarts();
      try {
        if (batch.length > 0) await this.hooks.beforeWrite();
        const results = await this.store.applyTransitions({ transitions: this.transitions(batch, starts) });
        this.deliver(batch, starts, results);
      } catch (error) {
        this.hooks.lost(
          batch.map((p) => p.tag),
          error,
        );
        // An unwritten start: the job stays reserved in the store and returns when its lease expires.
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
          if (!this.closed && (this.pending.length > 0 || this.wanted || this.starts.size > 0)) this.schedule();
        });
      this.inFlight.add(round);
      // Another lane may take what this round left (a claim capped at one batch, say).
      if (this.wanted || this.pending.length > 0) this.schedule();
    });
  }

  private async round(): Promise<void> {
    this.wanted = false;
    const batch = this.pending.splice(0);
    const oldest = batch.length > 0 ? batch[0]!.seq : Infinity;
    const starts = this.takeStarts();
    this.writing += batch.length;
    this.inFlightOldest.add(oldest);
    try {
      await this.exchange(batch, starts);
    } finally {
      this.writing -= batch.length;
      this.inFlightOldest.delete(oldest);
    }
  }

  /**
   * The starts a round may carry: those submitted before every outcome still
   * in another round in flight (a later start may have taken the slot such
   * an outcome freed, so it waits for that round).
   */
  private takeStarts(): Array<Pending<T>> {
    if (this.starts.size === 0) return [];
    let blocker = Infinity;
    for (const seq of this.inFlightOldest) if (seq < blocker) blocker = seq;
    const out: Array<Pending<T>> = [];
    for (const [id, s] of this.starts) {
      if (s.seq > blocker) continue;
      out.push(s);
      this.starts.delete(id);
    }
    return out;
  }

  /** Outcomes first (one may free the slot a start took), then starts; startedAgoMs measured now. */
  private transitions(batch: Array<Pending<T>>, starts: Array<Pending<T>>): LeasedTransition[] {
    const now = this.clock.now();
    const out: LeasedTransition[] = [];
    for (const p of batch) {
      if (p.startedAt !== undefined) p.transition.startedAgoMs = Math.max(0, now - p.startedAt);
      out.push(p.transition);
    }
    for (const s of starts) {
      s.transition.startedAgoMs = Math.max(0, now - s.startedAt!);
      out.push(s.transition);
    }
    return out;
  }

  private async exchange(batch: Array<Pending<T>>, starts: Array<Pending<T>>): Promise<void> {
    const writes = batch.length + starts.length;
    const claim = this.hooks.claim(writes > 0);
    if (writes === 0 && claim === null) return;
    // Progress goes first only where outcomes follow (a job's last progress before its end); starts need none.
    if (batch.length > 0) await this.hooks.beforeWrite();
    const transitions = this.transitions(batch, starts);
    if (writes > 0 && claim !== null) {
      let r: ApplyAndClaimResult;
      try {
        r = await this.timed(() => this.store.applyAndClaim({ transitions, claim }));
      } catch (error) {
        this.retryLater(batch, starts);
        this.hooks.claimFailed(error, claim, 'applyAndClaim');
        return;
      }
      this.deliver(batch, starts, r.results);
      this.hooks.claimed(r.jobs, claim);
      return;
    }
    if (writes > 0) {
      try {
        this.deliver(batch, starts, await this.timed(() => this.store.applyTransitions({ transitions })));
      } catch (error) {
        this.hooks.writeFailed('applyTransitions', error);
        this.retryLater(batch, starts);
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

  private deliver(batch: Array<Pending<T>>, starts: Array<Pending<T>>, results: TransitionResult[]): void {
    for (let i = 0; i < batch.length; i++) this.hooks.written(batch[i]!.tag, results[i]!);
    for (let i = 0; i < starts.length; i++) this.hooks.started(starts[i]!.tag, results[batch.length + i]!);
  }

  /** Puts the outcomes and starts back (first in line) and tries again after retryMs. */
  private retryLater(batch: Array<Pending<T>>, starts: Array<Pending<T>>): void {
    this.pending.unshift(...batch);
    // A start whose outcome was submitted meanwhile is carried by that outcome.
    for (const s of starts) if (!this.pending.some((p) => p.transition.jobId === s.transition.jobId)) this.starts.set(s.transition.jobId, s);
    if (this.closed || this.retryTimer) return;
    this.retryTimer = this.clock.setTimeout(() => {
      this.retryTimer = null;
      this.schedule();
    }, this.retryMs);
  }
}
