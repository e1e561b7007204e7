import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../core/clock.js';
import { DEFAULT_WORKER_HEARTBEAT_MS, type CoreConfig } from '../core/config.js';
import type { ClaimedJob } from '../core/job.js';
import type { AttemptOutcome, TransitionResult } from '../core/outcome.js';
import type { DocketEventEmitter } from '../runtime/events.js';
import type { JobRegistry } from '../jobs/job-definition.js';
import { OutageReporter } from '../runtime/outage-reporter.js';
import { IntervalTask, type Service } from '../runtime/service.js';
import type { ClaimParams, Store, StoreNotification } from '../store/store.js';
import { Attempt, type AttemptDeps } from './attempt.js';
import { ClaimAhead } from './claim-ahead.js';
import { claimLimits } from './claim-limits.js';
import { JobBuffer, type BufferedJob } from './job-buffer.js';
import { JobExchange } from './job-exchange.js';
import { JobAnnouncer, type Ended } from './job-announcer.js';
import { Isolation } from './isolation/isolation.js';
import { ProgressBuffer } from './progress-buffer.js';

export interface WorkerDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  events: DocketEventEmitter;
  registry: JobRegistry;
  config: CoreConfig;
}

type WorkerState = 'idle' | 'running' | 'stopping' | 'stopped';


/**
 * Claims jobs in batches, runs them (per-worker and per-queue concurrency),
 * and writes their outcomes in batches. Claims ahead: it holds a bounded
 * buffer of claimed, not yet started jobs (claim-ahead.ts), so that one
 * store round trip (JobExchange: the outcomes and starts since the last
 * round plus the next claim, in one `applyAndClaim`) carries many jobs. A
 * buffered job is `reserved` in the store, not active: the heartbeat renews
 * its lease, a cancel removes it, shutdown puts it back at once, and only
 * when its handler starts does the worker record the start (its attempt
 * counts from then). Woken by store push (`jobs-available`,
 * `cancel-requested`), polling as a fallback.
 */
export class Worker implements Service {
  readonly name = 'worker';
  readonly id: string;
  private state: WorkerState = 'idle';
  /** Claimed, not started. */
  private readonly buffer = new JobBuffer();
  /** Started attempts, until their outcome is written (or discarded). */
  private readonly active = new Map<string, Attempt>();
  /** Handlers running: from start until the outcome is decided. What concurrency limits. */
  private busy = 0;
  /** Jobs asked for by claims in flight (they count as held when sizing the next claim). */
  private claiming = 0;
  private readonly runningByQueue = new Map<string, number>();
  private readonly queueLimited: boolean;
  private hint = false;
  /** Queues the last claim could not fully serve (per-queue limit reached, or it gave all we asked for). */
  private blockedQueues = new Set<string>();
  private nextPollAt = 0;
  private pollTimer: TimerHandle | null = null;
  private idleWaiters: Array<() => void> = [];
  private stopping: Promise<void> | null = null;
  private unsubscribe: (() => void) | null = null;
  private heartbeat: IntervalTask | null = null;
  private liveness: IntervalTask | null = null;
  private progress: ProgressBuffer | null = null;
  private exchange: JobExchange<Ended> | null = null;
  private claimAhead: ClaimAhead;
  private attemptDeps: AttemptDeps | null = null;
  private isolation: Isolation | null = null;
  private startedAt = new Date(0);
  private queueRotation = 0;
  private readonly log: Logger;
  /** Logs a store outage once (warn) and its end once (info); paces claims while it lasts. */
  private readonly outage: OutageReporter;
  /** The job:* events of this worker's attempts, each when the store has what it reports. */
  private readonly announcer: JobAnnouncer;
  private readonly canStart = (queue: string): boolean => {
    const max = this.deps.config.queues[queue]?.concurrency;
    return max == null || (this.runningByQueue.get(queue) ?? 0) < max;
  };

  constructor(private readonly deps: WorkerDeps) {
    const { config } = deps;
    this.id = config.worker.id ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.log = deps.logger.child({ workerId: this.id });
    this.outage = new OutageReporter({ component: 'worker', logger: this.log, clock: deps.clock });
    this.announcer = new JobAnnouncer(deps.events, this.log, deps.clock, this.id);
    this.queueLimited = Object.values(config.queues).some((q) => q.concurrency != null);
    this.claimAhead = new ClaimAhead(config.worker);
  }

  /** Handlers running right now (what `active` means everywhere). */
  get activeCount(): number {
    return this.busy;
  }

  /** Jobs this worker holds a lease on: running, ending (outcome not yet written), and reserved (buffered). */
  get heldCount(): number {
    return this.active.size + this.buffer.size;
  }

  /** Of those, claimed ahead and not started yet. */
  get bufferedCount(): number {
    return this.buffer.size;
  }

  get running(): boolean {
    return this.state === 'running';
  }

  /** Queues this worker claims from: `worker.queues`, else the defined jobs' queues and the configured ones. */
  queues(): string[] {
    const { config, registry } = this.deps;
    return config.worker.queues ?? [...new Set([...registry.queues(), ...Object.keys(config.queues)])];
  }

  async start(): Promise<void> {
    if (this.state === 'running') return;
    if (this.state === 'stopping') await this.stopping;
    const { store, clock, config, events } = this.deps;
    const w = config.worker;
    this.state = 'running';
    this.startedAt = new Date(clock.now());
    this.hint = false;
    this.nextPollAt = 0;
    this.claiming = 0;
    this.claimAhead = new ClaimAhead(w);
    this.isolation = new Isolation(w, this.log);
    // One for all attempts (a busy worker starts thousands a second).
    this.attemptDeps = {
      isolation: this.isolation,
      clock,
      logger: this.log,
      cancelGraceMs: w.cancelGraceMs,
      maxResultBytes: config.maxPayloadBytes,
      onProgress: (a, progress) => this.progress?.record({ jobId: a.job.id, leaseToken: a.job.leaseToken, progress }),
      onSettled: (a) => this.attemptSettled(a),
    };
    this.progress = new ProgressBuffer(store, clock, w.progressFlushMs, {
      onSaved: (entries) => {
        for (const e of entries) {
          const a = this.active.get(e.jobId);
          if (a) events.emit('job:progress', { jobId: a.job.id, name: a.job.name, queue: a.job.queue, progress: e.progress });
        }
      },
      onLost: (ids) => this.leasesLost(ids),
      onError: (error) => this.reportError('saveProgress', error),
    });
    const progress = this.progress;
    this.exchange = new JobExchange<Ended>(store, clock, w.pollIntervalMs, {
      beforeWrite: () => (progress.hasPending() ? progress.flush() : Promise.resolve()),
      claim: (withWrites) => this.nextClaim(withWrites),
      claimed: (jobs, params) => this.claimed(jobs, params),
      claimFailed: (error, params, operation) => {
        this.claimDone(params);
        // Backs off while the store keeps failing (pollIntervalMs doubling, capped): a dead database is not hammered.
        this.nextPollAt = clock.now() + this.reportError(operation, error);
        this.armPoll();
      },
      written: (ended, result) => this.written(ended, result),
      started: (ended, result) => {
        if (result === 'applied') this.announcer.started(ended as Attempt);
        // The store no longer holds the job for us (its reservation expired): stop the handler.
        else this.leaseLost(ended.job.id, ended.job.leaseToken);
      },
      lost: (ended, error) => {
        for (const e of ended) {
          this.log.error({ err: error, jobId: e.job.id }, 'could not record the outcome; the job returns after its lease expires');
          if (e instanceof Attempt) this.forget(e);
        }
      },
      writeFailed: (operation, error) => this.reportError(operation === 'exchange' ? 'applyTransitions' : operation, error),
    });
    this.unsubscribe = store.subscribe((n) => this.onStorePush(n));
    try {
      await store.recordWorker({ worker: this.workerInfo() });
    } catch (error) {
      this.unsubscribe();
      this.state = 'stopped';
      throw error;
    }
    this.heartbeat = new IntervalTask(clock, w.heartbeatMs, () => this.renewLeasesAndPollCancels(), (e) => this.reportError('extendLeases', e));
    this.liveness = new IntervalTask(clock, DEFAULT_WORKER_HEARTBEAT_MS, () => store.recordWorker({ worker: this.workerInfo() }), (e) =>
      this.reportError('recordWorker', e),
    );
    this.heartbeat.start();
    this.liveness.start();
    this.exchange.request();
    events.emit('worker:started', { workerId: this.id, queues: this.queues(), concurrency: w.concurrency });
    this.log.debug({ queues: this.queues(), concurrency: w.concurrency }, 'worker started');
  }

  /**
   * Stops claiming, waits up to `graceMs` for active jobs, then aborts the
   * rest (signal reason `shutdown`) and puts them straight back to `waiting`.
   */
  stop(options: { graceMs?: number } = {}): Promise<void> {
    if (this.state === 'idle' || this.state === 'stopped') return Promise.resolve();
    this.stopping ??= this.shutdown(options.graceMs ?? this.deps.config.worker.shutdownGraceMs).finally(() => {
      this.stopping = null;
    });
    return this.stopping;
  }

  /** Asks the worker to claim now (after an enqueue in this process, say). */
  nudge(queue?: string): void {
    if (queue !== undefined && !this.queues().includes(queue)) return;
    this.hint = true;
    if (this.state === 'running') this.exchange?.request();
  }

  // ---------------------------------------------------------------- claims

  /**
   * What to claim now (asked by the exchange as a round starts), or null:
   * enough to fill the free slots plus the claim-ahead target, at most one
   * batch (free slots + target) per round. A round that only claims costs a
   * commit of its own, so it is made only when slots would otherwise idle or
   * at least half a batch is missing; a round that writes outcomes anyway
   * tops the buffer up.
   */
  private nextClaim(withWrites: boolean): ClaimParams | null {
    const { clock, config, registry } = this.deps;
    const w = config.worker;
    if (this.state !== 'running') return null;
    const now = clock.now();
    if (!this.hint && now < this.nextPollAt) {
      // Not yet: make sure the poll comes (a timer may fire a millisecond before the clock says it is due).
      if (!this.pollTimer) this.armPoll();
      return null;
    }
    const free = w.concurrency - this.busy;
    // One claim-ahead target per round that may be in flight (see JobExchange lanes).
    const batch = this.claimAhead.target;
    const target = batch * this.exchange!.lanes;
    const held = this.buffer.size + this.claiming;
    const want = Math.min(free + target - held, free + batch);
    if (want <= 0) return null;
    if (!withWrites && held >= free && want < batch / 2) return null;
    // Outcomes not yet written hold leases too: while writes fail, stop taking more.
    if (this.exchange!.backlog > 2 * this.exchange!.lanes * (w.concurrency + this.claimAhead.cap)) return null;
    const names = registry.names();
    const queues = this.queues();
    if (names.length === 0 || queues.length === 0) return null;
    const limits = claimLimits({
      free: want,
      queues,
      rotation: this.queueRotation++,
      capacity: (q) => {
        const max = config.queues[q]?.concurrency;
        if (max == null) return Infinity;
        // A limited queue is claimed ahead by one round of its limit at most.
        return max + Math.min(max, target) - (this.runningByQueue.get(q) ?? 0) - this.buffer.count(q);
      },
    });
    const asked = new Set(limits.map((l) => l.queue));
    this.blockedQueues = new Set(queues.filter((q) => !asked.has(q)));
    if (limits.length === 0) return null;
    this.hint = false;
    this.nextPollAt = now + w.pollIntervalMs;
    for (const l of limits) this.claiming += l.limit;
    // Capped at one batch per round: the rest goes in another round, which a second lane may run at once.
    if (free + target - held > want) {
      this.hint = true;
      this.exchange!.request();
    }
    return { workerId: this.id, queues: limits, names, leaseMs: w.leaseMs };
  }

  private claimDone(params: ClaimParams): void {
    for (const l of params.queues) this.claiming -= l.limit;
  }

  private claimed(jobs: ClaimedJob[], params: ClaimParams): void {
    this.claimDone(params);
    this.outage.succeeded();
    if (this.state !== 'running') {
      // Stopping: what a late claim brought goes straight back.
      for (const job of jobs) this.endUnstarted(job, { kind: 'release' });
      return;
    }
    this.buffer.add(jobs, this.deps.clock.now());
    const got = new Map<string, number>();
    for (const job of jobs) got.set(job.queue, (got.get(job.queue) ?? 0) + 1);
    // A queue that gave all we asked for probably has more: claim again as soon as there is room.
    for (const l of params.queues) {
      if ((got.get(l.queue) ?? 0) >= l.limit) {
        this.hint = true;
        this.blockedQueues.add(l.queue);
      }
    }
    this.startBuffered();
    if (this.hint) this.exchange!.request();
    else this.armPoll();
  }

  /** Polling, the fallback to push: claim again at nextPollAt. */
  private armPoll(): void {
    const { clock } = this.deps;
    if (this.state !== 'running') return;
    if (this.pollTimer) clock.clearTimeout(this.pollTimer);
    this.pollTimer = clock.setTimeout(() => {
      this.pollTimer = null;
      this.exchange?.request();
    }, Math.max(0, this.nextPollAt - clock.now()));
  }

  /** Store push: new jobs wake the claim loop; a cancel request aborts the job it names. */
  private onStorePush(n: StoreNotification): void {
    if (this.state !== 'running' && this.state !== 'stopping') return;
    if (n.type === 'jobs-available') {
      if (this.state === 'running') this.nudge(n.queue);
    } else {
      this.abortForCancel(n.jobId);
    }
  }

  /** A cancel request for a held job: a running handler is aborted (kind `cancel`); a reserved one ends unstarted. */
  private abortForCancel(jobId: string, leaseToken?: string): void {
    const a = this.active.get(jobId);
    if (a && (leaseToken === undefined || a.job.leaseToken === leaseToken)) a.abort('cancel', 'cancel requested');
    // Reserved here, never started: it ends cancelled without running (nothing counted).
    const b = this.buffer.remove(jobId, leaseToken);
    if (b) this.endUnstarted(b.job, { kind: 'cancel', reason: 'cancel requested' });
  }

  // ---------------------------------------------------------------- attempts

  /** Starts buffered jobs while slots (and their queues) allow. */
  private startBuffered(): void {
    const max = this.deps.config.worker.concurrency;
    const canStart = this.queueLimited ? this.canStart : null;
    while (this.busy < max && this.buffer.size > 0 && this.state === 'running') {
      const b = this.buffer.take(canStart);
      if (!b) break;
      this.startAttempt(b);
    }
  }

  private startAttempt(b: BufferedJob): void {
    const { registry, clock, config } = this.deps;
    const job = b.job;
    const def = registry.get(job.name);
    const now = clock.now();
    // The worker's copy becomes what the store will say once the start is written.
    job.state = 'active';
    job.reserved = false;
    job.attempt += 1;
    job.startedAt = new Date(now);
    const attempt = new Attempt(job, def!, this.attemptDeps!);
    this.active.set(job.id, attempt);
    this.busy++;
    this.runningByQueue.set(job.queue, (this.runningByQueue.get(job.queue) ?? 0) + 1);
    this.exchange!.submitStart(job.id, job.leaseToken, attempt.startedAt, attempt);
    // The claim time (lease expiry - lease, store clock) against runAt (store clock) is exact across
    // processes; the time it then spent reserved in the buffer is measured here.
    const claimedAt = job.leaseExpiresAt.getTime() - config.worker.leaseMs;
    this.announcer.starting(attempt, Math.max(0, claimedAt - job.runAt.getTime()) + Math.max(0, now - b.claimedAt));
    if (!def) {
      // Claims only ask for defined names, so this is a store bug; fail loudly but keep the lease semantics.
      attempt.abort('lease-lost', `no handler for ${job.name}`);
      return;
    }
    attempt.run();
  }

  /** The attempt's outcome is decided: its slot is free; the outcome goes to the store with the next round. */
  private attemptSettled(attempt: Attempt): void {
    const { job } = attempt;
    const { clock } = this.deps;
    this.busy--;
    const q = job.queue;
    this.runningByQueue.set(q, (this.runningByQueue.get(q) ?? 1) - 1);
    this.claimAhead.observe(clock.now() - attempt.startedAt);
    // A slot of a queue we could not fully serve: it may have jobs waiting.
    if (this.blockedQueues.has(q)) this.hint = true;
    if (attempt.outcome === null) {
      this.progress?.forget(job.id);
      this.announcer.leaseLost(job);
      this.forget(attempt);
    } else {
      this.exchange!.submit({ jobId: job.id, leaseToken: job.leaseToken, outcome: attempt.outcome }, attempt, attempt.startedAt);
    }
    if (this.busy === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
    this.startBuffered();
    this.exchange!.request();
  }

  /** A buffered job ends without running (cancel, shutdown release): nothing counted. */
  private endUnstarted(job: ClaimedJob, outcome: AttemptOutcome): void {
    this.exchange!.submit({ jobId: job.id, leaseToken: job.leaseToken, outcome }, { job, outcome });
  }

  private written(ended: Ended, result: TransitionResult): void {
    this.outage.succeeded();
    // ended() also announces a start that reached the store with the outcome.
    if (result === 'applied') this.announcer.ended(ended, ended.outcome!);
    else this.announcer.leaseLost(ended.job);
    if (ended instanceof Attempt) this.forget(ended);
  }

  private forget(attempt: Attempt): void {
    this.announcer.forget(attempt);
    if (this.active.get(attempt.job.id) === attempt) this.active.delete(attempt.job.id);
  }

  // ---------------------------------------------------------------- heartbeat

  /** Renews every lease held: started jobs (until their outcome is written) and buffered ones. */
  private async renewLeasesAndPollCancels(): Promise<void> {
    if (this.active.size === 0 && this.buffer.size === 0) return;
    const leases: Array<{ jobId: string; leaseToken: string }> = [];
    for (const a of this.active.values()) leases.push({ jobId: a.job.id, leaseToken: a.job.leaseToken });
    for (const job of this.buffer.jobs()) leases.push({ jobId: job.id, leaseToken: job.leaseToken });
    const result = await this.deps.store.extendLeases({ workerId: this.id, leases, leaseMs: this.deps.config.worker.leaseMs });
    if (result.lost.length === 0 && result.cancelRequested.length === 0) return;
    const tokens = new Map(leases.map((l) => [l.jobId, l.leaseToken]));
    for (const id of result.lost) this.leaseLost(id, tokens.get(id));
    for (const id of result.cancelRequested) this.abortForCancel(id, tokens.get(id));
  }

  private leasesLost(ids: string[]): void {
    for (const id of ids) this.leaseLost(id);
  }

  /** Only the attempt (or buffered claim) under that token: a later claim of the same job is another lease. */
  private leaseLost(jobId: string, leaseToken?: string): void {
    const a = this.active.get(jobId);
    if (a && (leaseToken === undefined || a.job.leaseToken === leaseToken)) a.abort('lease-lost', 'the lease on this job was lost');
    const b = this.buffer.remove(jobId, leaseToken);
    if (b) this.announcer.leaseLost(b.job);
  }

  private workerInfo() {
    return {
      id: this.id,
      host: hostname(),
      pid: process.pid,
      queues: this.queues(),
      concurrency: this.deps.config.worker.concurrency,
      activeJobs: this.busy,
      startedAt: this.startedAt,
    };
  }

  /**
   * Every failure is a `worker:error` event; the log says it once per outage
   * (outage-reporter.ts). Returns the backoff before the next try.
   */
  private reportError(operation: string, error: unknown): number {
    this.deps.events.emit('worker:error', { workerId: this.id, operation, error });
    return this.outage.failed(operation, error, this.deps.config.worker.pollIntervalMs);
  }

  // ---------------------------------------------------------------- shutdown

  private async shutdown(graceMs: number): Promise<void> {
    const { store, events, clock } = this.deps;
    this.state = 'stopping';
    if (this.pollTimer) clock.clearTimeout(this.pollTimer);
    this.pollTimer = null;
    // Claimed ahead, never started: straight back to waiting, before any grace.
    for (const b of this.buffer.drain()) this.endUnstarted(b.job, { kind: 'release' });
    if (this.busy > 0) await this.waitIdle(graceMs);
    for (const attempt of [...this.active.values()]) attempt.releaseForShutdown();
    await this.exchange!.close();
    await this.isolation?.close(this.deps.config.worker.cancelGraceMs);
    await this.heartbeat?.stop();
    await this.liveness?.stop();
    this.progress?.stop();
    this.unsubscribe?.();
    this.unsubscribe = null;
    try {
      await store.removeWorker({ workerId: this.id });
    } catch (error) {
      this.reportError('removeWorker', error);
    }
    this.state = 'stopped';
    events.emit('worker:stopped', { workerId: this.id });
    this.log.debug('worker stopped');
  }

  private waitIdle(graceMs: number): Promise<void> {
    const { clock } = this.deps;
    return new Promise((resolve) => {
      const waiter = (): void => {
        clock.clearTimeout(timer);
        resolve();
      };
      const timer = clock.setTimeout(() => {
        this.idleWaiters = this.idleWaiters.filter((w) => w !== waiter);
        resolve();
      }, graceMs);
      this.idleWaiters.push(waiter);
    });
  }
}
