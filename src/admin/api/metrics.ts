import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { JOB_STATES } from '../../core/job.js';
import type { AttemptUsage, DocketEventName, DocketListener } from '../../runtime/events.js';
import type { JobAdminApi } from '../../jobs/job-admin.js';
import type { QueueCounts } from '../../store/store.js';

/**
 * Prometheus metrics of one admin app. The registry belongs to the app
 * instance (never prom-client's global one), so two apps in one process,
 * or one per test, never collide.
 *
 * Counters and histograms come from THIS process's Docket events (its
 * enqueues, its worker's attempts, the fires its scheduler claimed); sum them
 * across processes in PromQL. Every observation is taken from the event
 * itself (durationMs, waitMs, lateMs), so a scrape costs no store reads
 * beyond queue depth, which is read from the store at scrape time (global).
 */

const RUN_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];
const WAIT_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600, 21600];
const MEMORY_BUCKETS = [1, 4, 16, 64, 128, 256, 512, 1024, 2048, 4096].map((mb) => mb * 1024 * 1024);
const LATENESS_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600];

export interface MetricsSource {
  readonly jobs: Pick<JobAdminApi, 'counts'>;
  on<E extends DocketEventName>(event: E, listener: DocketListener<E>): () => void;
}

export interface AdminMetricsOptions {
  /** Also export prom-client's process metrics (CPU, memory, event loop lag) into this registry. */
  processMetrics?: boolean;
  /** Called when reading queue depth from the store fails during a scrape. */
  onCollectError?: (error: unknown) => void;
}

export class AdminMetrics {
  readonly registry = new Registry();
  private readonly enqueued: Counter<'queue' | 'name'>;
  private readonly finished: Counter<'queue' | 'name' | 'outcome'>;
  private readonly retries: Counter<'queue' | 'name'>;
  private readonly runSeconds: Histogram<'queue' | 'name' | 'outcome'>;
  private readonly waitSeconds: Histogram<'queue' | 'name'>;
  private readonly cpuSeconds: Histogram<'queue' | 'name' | 'isolation'>;
  private readonly peakMemory: Histogram<'queue' | 'name' | 'isolation'>;
  private readonly lateness: Histogram<'schedule'>;
  private readonly misfires: Counter<'schedule' | 'reason'>;
  private readonly skippedFires: Counter<'schedule' | 'reason'>;
  /**
   * Attempts this process's worker is running, by `jobId#attempt`: an attempt's
   * end event may arrive after the next attempt's start (completions are batched).
   */
  private readonly running = new Map<string, { queue: string }>();
  /** Every queue seen in the store's counts or this process's attempts: each keeps its gauge series at 0 while idle. */
  private readonly knownQueues = new Set<string>();
  private readonly jobs: Pick<JobAdminApi, 'counts'>;
  private readonly unsubscribe: Array<() => void> = [];
  private readonly onCollectError: ((error: unknown) => void) | undefined;
  private depth: Promise<QueueCounts[] | null> | null = null;

  constructor(source: MetricsSource, options: AdminMetricsOptions = {}) {
    this.jobs = source.jobs;
    this.onCollectError = options.onCollectError;
    const registers = [this.registry];
    this.enqueued = new Counter({ name: 'docket_jobs_enqueued_total', help: 'Jobs created by enqueue calls in this process (idempotent hits not counted).', labelNames: ['queue', 'name'], registers });
    this.finished = new Counter({
      name: 'docket_jobs_finished_total',
      help: 'Jobs that reached a final state through this process (its worker, or a cancel made here), by outcome: completed, failed, cancelled.',
      labelNames: ['queue', 'name', 'outcome'],
      registers,
    });
    this.retries = new Counter({ name: 'docket_job_retries_total', help: 'Failed attempts that were scheduled to run again.', labelNames: ['queue', 'name'], registers });
    this.runSeconds = new Histogram({
      name: 'docket_job_run_seconds',
      help: "Run time of this process's attempts by outcome: completed, failed, retrying.",
      labelNames: ['queue', 'name', 'outcome'],
      buckets: RUN_BUCKETS,
      registers,
    });
    this.waitSeconds = new Histogram({
      name: 'docket_job_wait_seconds',
      help: "Time from when a job became runnable (its run time) to when this process's worker started an attempt (store clock).",
      labelNames: ['queue', 'name'],
      buckets: WAIT_BUCKETS,
      registers,
    });
    this.cpuSeconds = new Histogram({
      name: 'docket_job_cpu_seconds',
      help: "CPU time of this process's isolated attempts (isolation thread or process), measured in their thread or process.",
      labelNames: ['queue', 'name', 'isolation'],
      buckets: RUN_BUCKETS,
      registers,
    });
    this.peakMemory = new Histogram({
      name: 'docket_job_peak_memory_bytes',
      help: "Peak V8 heap of this process's isolated attempts (thread or process), sampled in their thread or process.",
      labelNames: ['queue', 'name', 'isolation'],
      buckets: MEMORY_BUCKETS,
      registers,
    });
    this.lateness = new Histogram({
      name: 'docket_schedule_lateness_seconds',
      help: 'How long after its fire time a fire claimed by this process was enqueued (catch-up fires included, trigger-now excluded).',
      labelNames: ['schedule'],
      buckets: LATENESS_BUCKETS,
      registers,
    });
    this.misfires = new Counter({
      name: 'docket_schedule_misfires_total',
      help: 'Fires later than misfireGraceMs that were not enqueued, by reason: misfire (dropped), coalesced (folded into the one late job enqueued).',
      labelNames: ['schedule', 'reason'],
      registers,
    });
    this.skippedFires = new Counter({
      name: 'docket_schedule_skipped_fires_total',
      help: 'Fires not enqueued on purpose, by reason: max-running (maxRunning jobs of the schedule were waiting or active), paused (came due while paused; counted at resume).',
      labelNames: ['schedule', 'reason'],
      registers,
    });
    // Gauges report 0 for every label set they have known (Prometheus treats a
    // vanished series as "no data", so an idle queue would drop off dashboards
    // and `absent()` alerts would fire). Queues are known from the store's
    // counts and from this process's attempts; the set only grows.
    const running = this.running;
    const knownQueues = this.knownQueues;
    const readDepth = () => this.readDepth();
    new Gauge({
      name: 'docket_active_jobs',
      help: "Jobs this process's worker is running now; 0 for every queue known to the store or to this process.",
      labelNames: ['queue'],
      registers,
      async collect() {
        for (const { queue } of (await readDepth()) ?? []) knownQueues.add(queue);
        const byQueue = new Map<string, number>();
        for (const queue of knownQueues) byQueue.set(queue, 0);
        for (const { queue } of running.values()) byQueue.set(queue, (byQueue.get(queue) ?? 0) + 1);
        this.reset();
        for (const [queue, n] of byQueue) this.set({ queue }, n);
      },
    });
    // Both gauges below come from one countJobs call per scrape (see readDepth).
    new Gauge({
      name: 'docket_queue_jobs',
      help: 'Jobs per queue and state, read from the store at scrape time (all processes); absent while the store does not answer (see docket_store_up).',
      labelNames: ['queue', 'state'],
      registers,
      async collect() {
        const depth = await readDepth();
        this.reset();
        // unknown is not 0: while the store is down the series are absent, and docket_store_up says why
        if (depth === null) return;
        for (const { queue } of depth) knownQueues.add(queue);
        const byQueue = new Map(depth.map((d) => [d.queue, d.counts]));
        for (const queue of knownQueues) {
          const counts = byQueue.get(queue);
          for (const state of JOB_STATES) this.set({ queue, state }, counts?.[state] ?? 0);
        }
      },
    });
    new Gauge({
      name: 'docket_store_up',
      help: 'Whether this scrape could read queue depth from the store (1) or not (0).',
      registers,
      async collect() {
        this.set((await readDepth()) === null ? 0 : 1);
      },
    });
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'docket_process_' });

    const on = <E extends DocketEventName>(event: E, listener: DocketListener<E>) => this.unsubscribe.push(source.on(event, listener));
    on('job:enqueued', (e) => {
      if (e.created) this.enqueued.inc({ queue: e.queue, name: e.name });
    });
    on('job:started', (e) => {
      this.running.set(attemptKey(e.jobId, e.attempt), { queue: e.queue });
      this.knownQueues.add(e.queue);
      this.waitSeconds.observe({ queue: e.queue, name: e.name }, Math.max(0, e.waitMs) / 1000);
    });
    on('job:completed', (e) => {
      this.running.delete(attemptKey(e.jobId, e.attempt));
      this.finished.inc({ queue: e.queue, name: e.name, outcome: 'completed' });
      this.runSeconds.observe({ queue: e.queue, name: e.name, outcome: 'completed' }, Math.max(0, e.durationMs) / 1000);
      if (e.usage) this.observeUsage(e);
    });
    on('job:failed', (e) => {
      this.running.delete(attemptKey(e.jobId, e.attempt));
      this.finished.inc({ queue: e.queue, name: e.name, outcome: 'failed' });
      this.runSeconds.observe({ queue: e.queue, name: e.name, outcome: 'failed' }, Math.max(0, e.durationMs) / 1000);
      if (e.usage) this.observeUsage(e);
    });
    on('job:retrying', (e) => {
      this.running.delete(attemptKey(e.jobId, e.attempt));
      this.retries.inc({ queue: e.queue, name: e.name });
      this.runSeconds.observe({ queue: e.queue, name: e.name, outcome: 'retrying' }, Math.max(0, e.durationMs) / 1000);
      if (e.usage) this.observeUsage(e);
    });
    on('job:cancelled', (e) => {
      // counted whether it ran here or was cancelled before it ran, by a caller in this process
      for (const key of this.running.keys()) if (key.startsWith(`${e.jobId}#`)) this.running.delete(key);
      this.finished.inc({ queue: e.queue, name: e.name, outcome: 'cancelled' });
    });
    for (const event of ['job:snoozed', 'job:released', 'job:lease-lost'] as const) {
      on(event, (e) => void this.running.delete(attemptKey(e.jobId, e.attempt)));
    }
    // Trigger-now is not a slot: it has no lateness (its lateMs is always 0).
    on('schedule:fired', (e) => {
      if (!e.manual) this.lateness.observe({ schedule: e.schedule }, Math.max(0, e.lateMs) / 1000);
    });
    // One event summarises `count` fires (a lower bound when countExact is false).
    on('schedule:misfired', (e) => this.misfires.inc({ schedule: e.schedule, reason: e.reason }, e.count));
    on('schedule:skipped', (e) => this.skippedFires.inc({ schedule: e.schedule, reason: e.reason }, e.count));
  }

  private observeUsage(e: { queue: string; name: string; usage: AttemptUsage | null }): void {
    const labels = { queue: e.queue, name: e.name, isolation: e.usage!.isolation };
    this.cpuSeconds.observe(labels, e.usage!.cpuMs / 1000);
    this.peakMemory.observe(labels, e.usage!.peakHeapBytes);
  }

  /** The exposition text (Prometheus text format 0.0.4). */
  async render(): Promise<{ contentType: string; body: string }> {
    this.depth = this.fetchDepth();
    try {
      return { contentType: this.registry.contentType, body: await this.registry.metrics() };
    } finally {
      this.depth = null;
    }
  }

  /** Queue depth for this scrape: shared within render(); read afresh when the registry is scraped directly. */
  private readDepth(): Promise<QueueCounts[] | null> {
    return this.depth ?? this.fetchDepth();
  }

  private async fetchDepth(): Promise<QueueCounts[] | null> {
    try {
      return await this.jobs.counts();
    } catch (error) {
      this.onCollectError?.(error);
      return null;
    }
  }

  /** Detaches from the Docket's events. */
  close(): void {
    for (const off of this.unsubscribe.splice(0)) off();
    this.running.clear();
  }
}

const attemptKey = (jobId: string, attempt: number): string => `${jobId}#${attempt}`;
