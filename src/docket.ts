import type { Logger } from 'pino';
import { z } from 'zod';
import type { Clock } from './core/clock.js';
import { parseOrThrow, type CoreConfig, type EnqueueOptions } from './core/config.js';
import { ValidationError } from './core/errors.js';
import type { JobRecord, NewJob } from './core/job.js';
import type { TriggerInput } from './core/schedule-trigger.js';
import { assertName, describe } from './core/validate.js';
import { resolveDocketOptions, type DocketOptions } from './docket-options.js';
import { buildNewJob } from './enqueue/new-job.js';
import { JobAdmin, type CancelRequestResult, type ListJobsQuery } from './jobs/job-admin.js';
import { declareQueuePolicies } from './jobs/queue-policies.js';
import { JobRegistry, resolveJobDefinition, type DefineJobOptions, type JobDefinition } from './jobs/job-definition.js';
import type { StandardSchemaV1 } from './jobs/standard-schema.js';
import { JobEndWaiters, waitForJob } from './jobs/wait-for-job.js';
import { Maintenance } from './maintenance/maintenance.js';
import { DocketEventEmitter, type DocketEventName, type DocketListener } from './runtime/events.js';
import { OutageReporter } from './runtime/outage-reporter.js';
import { waitForStore } from './runtime/wait-for-store.js';
import type { Service } from './runtime/service.js';
import type { ScheduleOptions } from './scheduler/declarations.js';
import { ScheduleAdmin } from './scheduler/schedule-admin.js';
import type { ScheduleDetails, ScheduleInfo } from './scheduler/schedule-info.js';
import { Scheduler } from './scheduler/scheduler.js';
import type { SchedulerConfig } from './scheduler/scheduler-config.js';
import type { EnqueueResult, JobPage, Store } from './store/store.js';
import { Worker } from './worker/worker.js';

export type { DocketOptions } from './docket-options.js';
export type { ListJobsQuery } from './jobs/job-admin.js';

/** Enqueue options plus `tx`: a store transaction to join (PostgreSQL; not micro-batched). */
export type EnqueueCallOptions = EnqueueOptions & { tx?: unknown };

export interface WaitOptions {
  /** Give up after this long with WaitTimeoutError; default: wait as long as it takes. */
  timeoutMs?: number;
}

export interface EnqueuedJob<TResult = unknown> {
  readonly id: string;
  /** false when an idempotency key matched an existing job (this `id` is that job's). */
  readonly created: boolean;
  readonly name: string;
  /** The job's result once it completes (see `Docket.waitFor`). */
  wait(options?: WaitOptions): Promise<TResult>;
}

/** What `defineJob` returns: enqueue with typed data, wait for a typed result. */
export interface JobHandle<TData, TResult> {
  readonly name: string;
  readonly definition: JobDefinition<unknown, TResult>;
  enqueue(data: TData, options?: EnqueueCallOptions): Promise<EnqueuedJob<TResult>>;
}

const waitSchema = z.object({ timeoutMs: z.number().int().positive().optional() }).strict();

/**
 * The composition root: wires config, store, logger, events and the services
 * (worker, maintenance, scheduler), and
 * exposes the public API. Logic lives in the modules it wires.
 */
export class Docket {
  readonly store: Store;
  readonly config: CoreConfig;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly worker: Worker;
  readonly maintenance: Maintenance;
  readonly scheduler: Scheduler;
  readonly schedulerConfig: SchedulerConfig;
  /** The job-admin layer (jobs, queues, workers, stats): what the admin API, dashboard and CLI use. */
  readonly jobs: JobAdmin;
  private readonly schedules: ScheduleAdmin;
  private readonly events: DocketEventEmitter;
  private readonly waiters: JobEndWaiters;
  private readonly registry = new JobRegistry();
  /** Started in order, stopped in reverse. */
  private readonly services: Service[] = [];
  private ready: Promise<void> | null = null;
  private lifecycle: Promise<void> = Promise.resolve();
  private started = false;
  private readonly failFast: boolean;
  /** One per start() in progress; stop() aborts them, so a start waiting for an unreachable store gives up. */
  private readonly startWaits = new Set<AbortController>();
  private storeDown = false;

  constructor(options: DocketOptions) {
    const { store, clock, logger, config, schedulerConfig, declarations, failFast } = resolveDocketOptions(options, this.registry);
    this.failFast = failFast;
    this.store = store;
    this.clock = clock;
    this.logger = logger;
    this.config = config;
    this.schedulerConfig = schedulerConfig;
    this.events = new DocketEventEmitter(this.logger);
    this.waiters = new JobEndWaiters(this.events);
    const deps = { store: this.store, clock: this.clock, logger: this.logger, events: this.events, config: this.config };
    this.worker = new Worker({ ...deps, registry: this.registry });
    this.maintenance = new Maintenance(deps);
    this.scheduler = new Scheduler({ ...deps, config: this.schedulerConfig });
    this.schedules = new ScheduleAdmin({ store: this.store, events: this.events, logger: this.logger, declarations, scheduler: this.scheduler });
    this.jobs = new JobAdmin({ store: this.store, events: this.events, ready: () => this.ensureReady() });
    if (this.config.worker.enabled) this.services.push(this.worker);
    if (this.config.maintenance.enabled) this.services.push(this.maintenance);
    if (this.schedulerConfig.enabled) this.services.push(this.scheduler);
  }

  // ---------------------------------------------------------------- jobs

  /** Defines a job: its handler, defaults, and (optionally) a Standard Schema for its data. */
  defineJob<S extends StandardSchemaV1, TResult = unknown>(
    name: string,
    definition: Omit<DefineJobOptions<StandardSchemaV1.InferOutput<S>, TResult>, 'schema'> & { schema: S },
  ): JobHandle<StandardSchemaV1.InferInput<S>, Awaited<TResult>>;
  defineJob<TData = unknown, TResult = unknown>(name: string, definition: DefineJobOptions<TData, TResult>): JobHandle<TData, Awaited<TResult>>;
  defineJob(name: string, definition: DefineJobOptions<unknown, unknown>): JobHandle<unknown, unknown> {
    const def = resolveJobDefinition(name, definition);
    this.registry.add(def as unknown as JobDefinition<never, unknown>);
    this.worker.nudge();
    return {
      name: def.name,
      definition: def,
      enqueue: (data, options) => this.enqueue(def.name, data, options),
    };
  }

  /**
   * Enqueues a job by name. Validation (name, options, data) happens first and
   * throws a ValidationError / UnknownJobError with nothing written; then
   * the store groups concurrent calls into one transaction (its EnqueueBatcher).
   */
  async enqueue<TResult = unknown>(name: string, data: unknown, options?: EnqueueCallOptions): Promise<EnqueuedJob<TResult>> {
    const { tx, rest } = splitTx(options);
    const def = this.registry.require(assertName('name', name));
    const job = await buildNewJob(def, data, rest, this.config.maxPayloadBytes);
    await this.ensureReady();
    const [result] = await this.store.enqueue(tx === undefined ? { jobs: [job] } : { jobs: [job], tx });
    return this.enqueued<TResult>(result!, job);
  }

  /** Enqueues many jobs in one transaction; all are validated first, so one bad item writes nothing. */
  async enqueueMany(items: ReadonlyArray<{ name: string; data: unknown; options?: EnqueueOptions }>, options: { tx?: unknown } = {}): Promise<EnqueuedJob[]> {
    if (!Array.isArray(items)) throw new ValidationError('INVALID_OPTION', 'items', `enqueueMany takes an array (got ${describe(items)})`);
    const { tx } = splitTx(options as EnqueueCallOptions);
    const jobs: NewJob[] = [];
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      try {
        if (typeof item !== 'object' || item === null) throw new ValidationError('INVALID_OPTION', 'item', `must be { name, data, options? } (got ${describe(item)})`);
        const def = this.registry.require(assertName('name', item.name));
        jobs.push(await buildNewJob(def, item.data, item.options, this.config.maxPayloadBytes));
      } catch (error) {
        throw atIndex(error, i);
      }
    }
    await this.ensureReady();
    const results = await this.store.enqueue({ jobs, ...(tx === undefined ? {} : { tx }) });
    return results.map((r, i) => this.enqueued(r, jobs[i]!));
  }

  /** The job's result once it completes; JobFailedError / JobCancelledError / WaitTimeoutError / JobNotFoundError otherwise. */
  async waitFor<TResult = unknown>(jobId: string, options: WaitOptions = {}): Promise<TResult> {
    const o = parseOrThrow(waitSchema, options, 'INVALID_OPTION', 'options');
    await this.ensureReady();
    return waitForJob<TResult>({ store: this.store, waiters: this.waiters, clock: this.clock }, String(jobId), o.timeoutMs);
  }

  getJob(jobId: string): Promise<JobRecord | null> {
    return this.jobs.get(jobId);
  }

  listJobs(query: ListJobsQuery = {}): Promise<JobPage> {
    return this.jobs.list(query);
  }

  /**
   * Cancels a job: a waiting or delayed job at once (`cancelled`); an active
   * one is aborted by its worker (wherever it runs), which then records it.
   */
  cancel(jobId: string, options: { reason?: string } = {}): Promise<CancelRequestResult> {
    return this.jobs.cancel(jobId, options);
  }

  /** Runs a finished job (see RETRYABLE_STATES: completed, failed, cancelled) again with a fresh set of attempts. */
  retry(jobId: string): Promise<JobRecord> {
    return this.jobs.retry(jobId);
  }

  pauseQueue(queue: string): Promise<void> {
    return this.jobs.pauseQueue(queue);
  }

  resumeQueue(queue: string): Promise<void> {
    return this.jobs.resumeQueue(queue);
  }

  // ---------------------------------------------------------------- schedules

  /**
   * Declares a schedule: `trigger` is a cron string (UTC), `{ cron, timezone }`,
   * `{ every: '15m' | ms, anchor? }` or `{ at: date }`; `options` names the
   * job (defined in this process), its data and job options, and the policy
   * (misfireGraceMs, catchUp, catchUpMax, maxRunning, paused, jitterMs).
   * Invalid input rejects with a typed error (INVALID_CRON, INVALID_TIMEZONE,
   * INVALID_TRIGGER, INVALID_OPTION, UNKNOWN_JOB, ...) and stores nothing.
   * Before `start()` the schedule is stored at start; after, at once.
   * Declaring a name again replaces its declaration.
   */
  schedule(name: string, trigger: TriggerInput, options: ScheduleOptions): Promise<void> {
    return this.withReady(() => this.schedules.declare(name, trigger, options), { beforeStart: true });
  }

  /** Every stored schedule (removed ones too), with its next `nextFires` fires (default 1) and last fire. */
  listSchedules(options: { nextFires?: number } = {}): Promise<ScheduleInfo[]> {
    return this.withReady(() => this.schedules.list(options));
  }

  /** One schedule with its next `nextFires` fires (default 5) and `recentFires` history rows (default 20); null if unknown. */
  getSchedule(name: string, options: { nextFires?: number; recentFires?: number } = {}): Promise<ScheduleDetails | null> {
    return this.withReady(() => this.schedules.get(name, options));
  }

  /** Enqueues the schedule's job now, outside its slots (a `manual` fire). ScheduleNotFoundError if unknown. */
  async triggerSchedule(name: string): Promise<EnqueuedJob> {
    await this.ensureReady();
    const { result, job } = await this.schedules.trigger(name);
    return this.enqueued(result.job, job);
  }

  /** Stops the schedule firing (in every process) until resumed; its due fires are recorded as `paused`. */
  pauseSchedule(name: string): Promise<ScheduleInfo> {
    return this.withReady(() => this.schedules.pause(name));
  }

  /** Resumes from the next fire after now: fires that came due while paused are not replayed. */
  resumeSchedule(name: string): Promise<ScheduleInfo> {
    return this.withReady(() => this.schedules.resume(name));
  }

  /** Deletes a stored schedule and its fire history (not its jobs). False if there was none. */
  deleteSchedule(name: string): Promise<boolean> {
    return this.withReady(() => this.schedules.delete(name));
  }

  // ---------------------------------------------------------------- events

  /** Adds a listener for a typed event; returns a function that removes it. */
  on<E extends DocketEventName>(event: E, listener: DocketListener<E>): () => void {
    return this.events.on(event, listener);
  }

  once<E extends DocketEventName>(event: E, listener: DocketListener<E>): () => void {
    return this.events.once(event, listener);
  }

  off<E extends DocketEventName>(event: E, listener: DocketListener<E>): void {
    this.events.off(event, listener);
  }

  // ---------------------------------------------------------------- lifecycle

  get isRunning(): boolean {
    return this.started;
  }

  /**
   * True while `start()` is waiting for an unreachable store (it logged one
   * warning and retries with backoff; see `failFast`). The admin API's
   * `/healthz` answers 503 "starting" meanwhile.
   */
  get waitingForStore(): boolean {
    return this.storeDown;
  }

  /**
   * Migrates the store, stores declared queue policies and schedules and starts the services (worker, maintenance, scheduler). Idempotent.
   * A store that does not answer (connection refused or lost) is waited for: one warning, then tries with the
   * outage backoff (250 ms doubling to 5 s) until it answers; `failFast: true` rejects at once instead. `stop()`
   * or `close()` meanwhile makes it reject with NOT_STARTED.
   */
  start(): Promise<void> {
    const wait = new AbortController();
    this.startWaits.add(wait);
    return this.serially(async () => {
      if (this.started) return;
      // Declared queue policy (config `retention`, `queues.<q>.retention`) is stored first, so the pruner of every
      // process applies it (last declaration wins; see jobs/queue-policies.ts); then declared schedules, before any
      // service starts (UnknownJobError for a config schedule surfaces here).
      const prepare = async () => {
        await this.ensureReady();
        await declareQueuePolicies({ store: this.store, logger: this.logger, declared: this.config.policies });
        await this.schedules.sync();
      };
      if (this.failFast) await prepare();
      else {
        const reporter = new OutageReporter({ component: 'docket', logger: this.logger, clock: this.clock });
        try {
          await waitForStore(
            async () => {
              try {
                await prepare();
              } catch (error) {
                this.storeDown = true;
                throw error;
              }
            },
            { clock: this.clock, reporter, operation: 'start', signal: wait.signal },
          );
        } finally {
          this.storeDown = false;
        }
      }
      const begun: Service[] = [];
      try {
        for (const service of this.services) {
          await service.start();
          begun.push(service);
        }
      } catch (error) {
        for (const service of begun.reverse()) await service.stop({ graceMs: 0 }).catch(() => undefined);
        throw error;
      }
      this.started = true;
    }).finally(() => this.startWaits.delete(wait));
  }

  /** Stops claiming, waits up to `graceMs` for active jobs, then aborts and releases the rest. Idempotent. */
  stop(options: { graceMs?: number } = {}): Promise<void> {
    // a start() still waiting for the store gives up (rejects with NOT_STARTED)
    for (const wait of this.startWaits) wait.abort();
    return this.serially(async () => {
      if (!this.started) return;
      this.started = false;
      for (const service of [...this.services].reverse()) await service.stop(options);
    });
  }

  /** `stop`, then closes the store. */
  async close(options: { graceMs?: number } = {}): Promise<void> {
    await this.stop(options);
    await this.store.close();
  }

  // ---------------------------------------------------------------- internals

  private ensureReady(): Promise<void> {
    this.ready ??= this.store.migrate().catch((error: unknown) => {
      this.ready = null;
      throw error;
    });
    return this.ready;
  }

  /** Runs fn once the store is migrated (`beforeStart`: fn validates first, so bad input needs no store). */
  private async withReady<T>(fn: () => Promise<T>, options: { beforeStart?: boolean } = {}): Promise<T> {
    if (options.beforeStart && !this.started) return fn();
    await this.ensureReady();
    return fn();
  }

  private serially(fn: () => Promise<void>): Promise<void> {
    const run = this.lifecycle.then(fn);
    this.lifecycle = run.catch(() => undefined);
    return run;
  }

  private enqueued<TResult>(result: EnqueueResult, job: NewJob): EnqueuedJob<TResult> {
    if (this.events.has('job:enqueued')) {
      this.events.emit('job:enqueued', { jobId: result.id, name: job.name, queue: result.job?.queue ?? job.queue, created: result.created });
    }
    return {
      id: result.id,
      created: result.created,
      name: job.name,
      wait: (options) => this.waitFor<TResult>(result.id, options),
    };
  }
}

function splitTx(options: EnqueueCallOptions | undefined): { tx: unknown; rest: EnqueueOptions | undefined } {
  if (options === undefined) return { tx: undefined, rest: undefined };
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new ValidationError('INVALID_OPTION', 'options', `options must be an object (got ${describe(options)})`);
  }
  if (!('tx' in options)) return { tx: undefined, rest: options };
  const { tx, ...rest } = options;
  return { tx, rest };
}

function atIndex(error: unknown, index: number): unknown {
  if (!(error instanceof ValidationError)) return error;
  const field = `items[${index}].${error.field}`;
  return new ValidationError(error.code as ConstructorParameters<typeof ValidationError>[0], field, `items[${index}]: ${error.message}`, { ...error.details, index });
}
