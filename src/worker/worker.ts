import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../core/clock.js';
import { DEFAULT_WORKER_HEARTBEAT_MS, type CoreConfig } from '../core/config.js';
import type { ClaimedJob } from '../core/job.js';
import type { AttemptOutcome } from '../core/outcome.js';
import type { DocketEventEmitter } from '../events.js';
import type { JobRegistry } from '../jobs/job-definition.js';
import { OutageReporter } from '../outage-reporter.js';
import { IntervalTask, type Service } from '../service.js';
import type { Store, StoreNotification } from '../store/store.js';
import { Attempt } from './attempt.js';
import { claimLimits } from './claim-limits.js';
import { CompletionBatcher } from './completion-batcher.js';
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
 * Claims jobs in batches (as many as it has free slots, per queue within the
 * queue's concurrency), runs them, and applies their outcomes in batches.
 * Woken by store push (`jobs-available`, `cancel-requested`), polling as a
 * fallback. One heartbeat timer renews every lease it holds.
 */
export class Worker implements Service {
  readonly name = 'worker';
  readonly id: string;
  private state: WorkerState = 'idle';
  private readonly active = new Map<string, Attempt>();
  private readonly activeByQueue = new Map<string, number>();
  private readonly applying = new Set<Promise<void>>();
  private hint = false;
  /** Queues the last claim could not fully serve (per-queue concurrency reached, or it gave all we asked for). */
  private blockedQueues = new Set<string>();
  private nextPollAt = 0;
  private wakeUp: (() => void) | null = null;
  private idleWaiters: Array<() => void> = [];
  private loop: Promise<void> | null = null;
  private stopping: Promise<void> | null = null;
  private unsubscribe: (() => void) | null = null;
  private heartbeat: IntervalTask | null = null;
  private liveness: IntervalTask | null = null;
  private progress: ProgressBuffer | null = null;
  private completions: CompletionBatcher | null = null;
  private startedAt = new Date(0);
  private queueRotation = 0;
  private readonly log: Logger;
  /** Logs a store outage once (warn) and its end once (info); paces claims while it lasts. */
  private readonly outage: OutageReporter;

  constructor(private readonly deps: WorkerDeps) {
    this.id = deps.config.worker.id ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.log = deps.logger.child({ workerId: this.id });
    this.outage = new OutageReporter({ component: 'worker', logger: this.log, clock: deps.clock });
  }

  /** Jobs this worker holds a lease on right now. */
  get activeCount(): number {
    return this.active.size;
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
    this.completions = new CompletionBatcher(store, clock, w.pollIntervalMs, {
      beforeFlush: () => (progress.hasPending() ? progress.flush() : Promise.resolve()),
      onError: (error) => this.reportError('applyTransitions', error),
    });
    this.unsubscribe = store.subscribe((n) => this.onNotification(n));
    try {
      await store.recordWorker({ worker: this.workerInfo() });
    } catch (error) {
      this.unsubscribe();
      this.state = 'stopped';
      throw error;
    }
    this.heartbeat = new IntervalTask(clock, w.heartbeatMs, () => this.extendLeases(), (e) => this.reportError('extendLeases', e));
    this.liveness = new IntervalTask(clock, DEFAULT_WORKER_HEARTBEAT_MS, () => store.recordWorker({ worker: this.workerInfo() }), (e) =>
      this.reportError('recordWorker', e),
    );
    this.heartbeat.start();
    this.liveness.start();
    this.loop = this.runLoop();
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
    this.wakeUp?.();
  }

  // ---------------------------------------------------------------- claim loop

  private async runLoop(): Promise<void> {
    const { clock, config } = this.deps;
    while (this.state === 'running') {
      const free = config.worker.concurrency - this.active.size;
      const now = clock.now();
      if (free > 0 && (this.hint || now >= this.nextPollAt)) {
        this.hint = false;
        this.nextPollAt = now + config.worker.pollIntervalMs;
        await this.claim(free);
        continue;
      }
      // No free slot: only a finished job (or stop) can change that.
      await this.sleep(free > 0 ? this.nextPollAt - now : null);
    }
  }

  private async claim(free: number): Promise<void> {
    const { store, config, registry } = this.deps;
    const names = registry.names();
    const queues = this.queues();
    if (names.length === 0 || queues.length === 0) return;
    const limits = claimLimits({
      free: Math.min(free, config.worker.claimBatchSize),
      queues,
      rotation: this.queueRotation++,
      capacity: (q) => {
        const max = config.queues[q]?.concurrency;
        return max == null ? Infinity : max - (this.activeByQueue.get(q) ?? 0);
      },
    });
    const asked = new Set(limits.map((l) => l.queue));
    this.blockedQueues = new Set(queues.filter((q) => !asked.has(q)));
    if (limits.length === 0) return;
    let jobs: ClaimedJob[];
    try {
      jobs = await store.claimJobs({ workerId: this.id, queues: limits, names, leaseMs: config.worker.leaseMs });
    } catch (error) {
      // Backs off while the store keeps failing (pollIntervalMs doubling, capped): a dead database is not hammered.
      this.nextPollAt = this.deps.clock.now() + this.reportError('claimJobs', error);
      return;
    }
    this.outage.succeeded();
    const got = new Map<string, number>();
    for (const job of jobs) {
      got.set(job.queue, (got.get(job.queue) ?? 0) + 1);
      this.startAttempt(job);
    }
    // A queue that gave all we asked for probably has more: claim again as soon as slots allow.
    for (const l of limits) {
      if ((got.get(l.queue) ?? 0) >= l.limit) {
        this.hint = true;
        this.blockedQueues.add(l.queue);
      }
    }
  }

  private sleep(ms: number | null): Promise<void> {
    const { clock } = this.deps;
    return new Promise((resolve) => {
      let timer: ReturnType<Clock['setTimeout']> | null = null;
      this.wakeUp = () => {
        if (timer) clock.clearTimeout(timer);
        this.wakeUp = null;
        resolve();
      };
      if (ms !== null) timer = clock.setTimeout(() => this.wakeUp?.(), Math.max(0, ms));
    });
  }

  private onNotification(n: StoreNotification): void {
    if (this.state !== 'running' && this.state !== 'stopping') return;
    if (n.type === 'jobs-available') {
      if (this.state === 'running') this.nudge(n.queue);
    } else {
      this.active.get(n.jobId)?.abort('cancel', 'cancel requested');
    }
  }

  // ---------------------------------------------------------------- attempts

  private startAttempt(job: ClaimedJob): void {
    const { registry, clock, config, events } = this.deps;
    const def = registry.get(job.name);
    const attempt = new Attempt(job, def!, {
      clock,
      logger: this.log,
      cancelGraceMs: config.worker.cancelGraceMs,
      maxResultBytes: config.maxPayloadBytes,
      onProgress: (a, progress) => this.progress?.record({ jobId: a.job.id, leaseToken: a.job.leaseToken, progress }),
      onSettled: (a, outcome, result) => this.attemptSettled(a, outcome, result),
    });
    this.active.set(job.id, attempt);
    this.activeByQueue.set(job.queue, (this.activeByQueue.get(job.queue) ?? 0) + 1);
    // Both instants come from the store's clock (the claim set startedAt), so the wait is exact across processes.
    const waitMs = Math.max(0, (job.startedAt?.getTime() ?? clock.now()) - job.runAt.getTime());
    events.emit('job:started', { jobId: job.id, name: job.name, queue: job.queue, attempt: job.attempt, workerId: this.id, waitMs });
    if (!def) {
      // Claims only ask for defined names, so this is a store bug; fail loudly but keep the lease semantics.
      attempt.abort('lease-lost', `no handler for ${job.name}`);
      return;
    }
    attempt.run();
  }

  private attemptSettled(attempt: Attempt, outcome: AttemptOutcome | null, result: unknown): void {
    const { job } = attempt;
    if (outcome === null) {
      this.progress?.forget(job.id);
      this.emitLeaseLost(attempt);
      this.finish(attempt);
      return;
    }
    const completions = this.completions!;
    const applied = completions
      .submit({ jobId: job.id, leaseToken: job.leaseToken, outcome })
      .then(
        (r) => (r === 'applied' ? this.emitOutcome(attempt, outcome, result) : this.emitLeaseLost(attempt)),
        (error: unknown) => this.log.error({ err: error, jobId: job.id }, 'could not record the outcome; the job returns after its lease expires'),
      )
      .finally(() => {
        this.applying.delete(applied);
        this.finish(attempt);
      });
    this.applying.add(applied);
  }

  private finish(attempt: Attempt): void {
    if (this.active.get(attempt.job.id) !== attempt) return;
    this.active.delete(attempt.job.id);
    const q = attempt.job.queue;
    this.activeByQueue.set(q, (this.activeByQueue.get(q) ?? 1) - 1);
    // A slot of a queue we could not fully serve: it may have jobs waiting.
    if (this.blockedQueues.has(q)) this.hint = true;
    if (this.active.size === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
    this.wakeUp?.();
  }

  private emitOutcome(attempt: Attempt, outcome: AttemptOutcome, result: unknown): void {
    const { events, clock } = this.deps;
    const { job } = attempt;
    const base = { jobId: job.id, name: job.name, queue: job.queue };
    const durationMs = clock.now() - attempt.startedAt;
    switch (outcome.kind) {
      case 'complete':
        events.emit('job:completed', { ...base, attempt: job.attempt, result, durationMs });
        return;
      case 'retry':
        this.log.info({ jobId: job.id, job: job.name, attempt: job.attempt, delayMs: outcome.delayMs, err: outcome.failure.message }, 'job failed; retrying');
        events.emit('job:retrying', { ...base, attempt: job.attempt, error: outcome.failure, delayMs: outcome.delayMs, durationMs });
        return;
      case 'fail':
        this.log.warn({ jobId: job.id, job: job.name, attempt: job.attempt, err: outcome.failure.message }, 'job failed');
        events.emit('job:failed', { ...base, attempt: job.attempt, error: outcome.failure, durationMs });
        return;
      case 'snooze':
        events.emit('job:snoozed', { ...base, attempt: job.attempt, delayMs: outcome.delayMs });
        return;
      case 'release':
        events.emit('job:released', { ...base, attempt: job.attempt });
        return;
      case 'cancel':
        events.emit('job:cancelled', { ...base, reason: outcome.reason });
        return;
    }
  }

  private emitLeaseLost(attempt: Attempt): void {
    const { job } = attempt;
    this.log.warn({ jobId: job.id, job: job.name, attempt: job.attempt }, 'lease lost; this attempt is discarded');
    this.deps.events.emit('job:lease-lost', { jobId: job.id, name: job.name, queue: job.queue, attempt: job.attempt });
  }

  // ---------------------------------------------------------------- heartbeat

  private async extendLeases(): Promise<void> {
    if (this.active.size === 0) return;
    const held = [...this.active.values()];
    const result = await this.deps.store.extendLeases({
      workerId: this.id,
      leases: held.map((a) => ({ jobId: a.job.id, leaseToken: a.job.leaseToken })),
      leaseMs: this.deps.config.worker.leaseMs,
    });
    const byId = new Map(held.map((a) => [a.job.id, a]));
    for (const id of result.lost) {
      const a = byId.get(id);
      if (a && this.active.get(id) === a) a.abort('lease-lost', 'the lease on this job was lost');
    }
    for (const id of result.cancelRequested) {
      const a = byId.get(id);
      if (a && this.active.get(id) === a) a.abort('cancel', 'cancel requested');
    }
  }

  private leasesLost(ids: string[]): void {
    for (const id of ids) this.active.get(id)?.abort('lease-lost', 'the lease on this job was lost');
  }

  private workerInfo() {
    return {
      id: this.id,
      host: hostname(),
      pid: process.pid,
      queues: this.queues(),
      concurrency: this.deps.config.worker.concurrency,
      activeJobs: this.active.size,
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
    const { store, events } = this.deps;
    this.state = 'stopping';
    this.wakeUp?.();
    await this.loop;
    if (this.active.size > 0) await this.waitIdle(graceMs);
    for (const attempt of [...this.active.values()]) attempt.releaseForShutdown();
    await this.completions!.close();
    while (this.applying.size > 0) await Promise.allSettled([...this.applying]);
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
