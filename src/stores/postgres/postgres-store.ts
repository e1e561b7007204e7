import pg from 'pg';
import type { Pool, PoolClient } from 'pg';
import { randomBytes } from 'node:crypto';
import { InvalidTransitionError, StoreClosedError } from '../../core/errors.js';
import { CANCELLABLE_STATES, LEASED_STATES, type StoredState } from '../../core/job-state.js';
import { assertName } from '../../core/validate.js';
import type { ClaimedJob, JobRecord, NewJob } from '../../core/job.js';
import type { LeasedTransition, TransitionResult } from '../../core/outcome.js';
import type {
  ClaimFireParams,
  ClaimFireResult,
  DueSchedules,
  ScheduleFire,
  ScheduleRecord,
  TriggerScheduleResult,
  UpsertSchedulesParams,
  UpsertSchedulesResult,
} from '../../store/schedule-store.js';
import { applyAndClaim, applyTransitions } from './transitions.js';
import type {
  ApplyAndClaimParams,
  ApplyAndClaimResult,
  CancelResult,
  ClaimParams,
  EnqueueParams,
  EnqueueResult,
  ExtendLeasesParams,
  ExtendLeasesResult,
  JobStats,
  JobStatsParams,
  JobTimeline,
  JobTimelineParams,
  JobPage,
  ListJobsParams,
  PruneParams,
  QueueCounts,
  QueueInfo,
  RescueResult,
  Store,
  StoreCapabilities,
  StoreNotification,
  WorkerInfo,
  WorkerInfoInput,
} from '../../store/store.js';
import { buildAdminQueries, toWorkerInfo, type AdminQueries, type WorkerRow } from './admin-queries.js';
import { Enqueuer } from './enqueue.js';
import { buildHotQueries, statementPrefix, type HotQueries, type NamedQuery } from './hot-queries.js';
import { parseJobId, toClaimedJob, toJobRecord, type ClaimRow, type JobRow } from './job-rows.js';
import { buildStatsQueries, jobStats, type StatsQueries } from './job-stats.js';
import { buildTimelineQueries, jobTimeline, type TimelineQueries } from './job-timeline.js';
import { buildListJobsQuery, encodeCursor, toCounts } from './read-queries.js';
import { checkClaim, checkLeaseMs, checkPrune, checkProgress, checkTransitions, int, invalid } from '../../store/input.js';
import { runMigrations } from './migrations.js';
import { cancelRequestedPayload, Notifier } from './notifier.js';
import {
  DEFAULT_PG_CONNECT_TIMEOUT_MS,
  DEFAULT_PG_RECONNECT_MAX_MS,
  DEFAULT_PG_RECONNECT_MIN_MS,
  resolvePostgresStoreOptions,
  type PostgresStoreOptions,
  type ResolvedPostgresStoreOptions,
} from './options.js';
import { rescueExpired } from './rescue-expired.js';
import { PgSchedules } from './schedules.js';
import { buildScheduleQueries } from './schedules-queries.js';
import { toStoreError } from './errors.js';
import { inTransaction, type Transaction } from './transaction.js';

/**
 * The PostgreSQL store: many processes and machines on one database.
 * Claims use FOR UPDATE SKIP LOCKED, every time is the server's now(), and
 * wake-ups and cancel requests travel by LISTEN/NOTIFY.
 */
export class PostgresStore implements Store {
  readonly kind = 'postgres';
  readonly capabilities: StoreCapabilities = { transactionalEnqueue: true };
  readonly schema: string;

  private readonly opts: ResolvedPostgresStoreOptions;
  private readonly pool: Pool;
  private readonly ownsPool: boolean;
  private readonly s: string;
  private readonly hot: HotQueries;
  private readonly admin: AdminQueries;
  private readonly stats: StatsQueries;
  private readonly timeline: TimelineQueries;
  private readonly notifier: Notifier;
  private readonly channel: string;
  private readonly instanceId = randomBytes(6).toString('hex');
  private readonly enqueuer: Enqueuer;
  private readonly schedules: PgSchedules;
  private closed = false;

  constructor(options: PostgresStoreOptions) {
    this.opts = resolvePostgresStoreOptions(options);
    this.schema = this.opts.schema;
    this.s = `"${this.schema}"`;
    this.channel = `docket_${this.schema}`;
    if (this.opts.pool) {
      this.pool = this.opts.pool;
      this.ownsPool = false;
    } else {
      this.pool = new pg.Pool({
        connectionString: this.opts.connectionString!,
        max: this.opts.maxConnections,
        connectionTimeoutMillis: DEFAULT_PG_CONNECT_TIMEOUT_MS,
        keepAlive: true,
        application_name: 'docket',
      });
      this.ownsPool = true;
      // An idle pooled connection that dies (server restart) is dropped by the
      // pool; without a listener its error would crash the process.
      this.pool.on('error', () => {});
    }
    const prefix = statementPrefix(this.schema);
    this.hot = buildHotQueries(this.s, prefix);
    this.admin = buildAdminQueries(this.s, prefix);
    this.stats = buildStatsQueries(this.s, prefix);
    this.timeline = buildTimelineQueries(this.s, prefix);
    const listenConfig = this.ownsPool ? { connectionString: this.opts.connectionString!, keepAlive: true, application_name: 'docket-listen' } : { ...this.pool.options, keepAlive: true };
    this.notifier = new Notifier({
      channel: this.channel,
      instanceId: this.instanceId,
      createClient: () => new pg.Client({ ...listenConfig, connectionTimeoutMillis: DEFAULT_PG_CONNECT_TIMEOUT_MS }),
      sendNotify: async (payloads) => {
        if (!this.closed) await this.pool.query({ ...this.hot.notify, values: [this.channel, payloads] });
      },
      notifyIntervalMs: this.opts.notifyIntervalMs,
      reconnectMinMs: DEFAULT_PG_RECONNECT_MIN_MS,
      reconnectMaxMs: DEFAULT_PG_RECONNECT_MAX_MS,
      logger: this.opts.logger,
    });
    this.enqueuer = new Enqueuer({
      pool: this.pool,
      queries: this.hot,
      notifier: this.notifier,
      instanceId: this.instanceId,
      channel: this.channel,
      capabilities: this.capabilities,
      // Leave connections for claims and completions while adds are grouped.
      slots: Math.max(1, Math.floor((this.ownsPool ? this.opts.maxConnections : (this.pool.options.max ?? 10)) / 2)),
      assertOpen: () => this.assertOpen(),
    });
    this.schedules = new PgSchedules({
      pool: this.pool,
      queries: buildScheduleQueries(this.s, prefix),
      schema: this.schema,
      assertOpen: () => this.assertOpen(),
      enqueueInTransaction: (client, jobs, data) => this.enqueuer.inStoreTransaction(client, jobs, data),
    });
  }

  // ------------------------------------------------------------------ lifecycle

  async migrate(): Promise<void> {
    this.assertOpen();
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (e) {
      throw toStoreError(e, 'migrate');
    }
    try {
      await runMigrations(client, { schema: this.schema, quotedSchema: this.s, apply: this.opts.migrate });
    } catch (e) {
      throw toStoreError(e, 'migrate');
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.notifier.close();
    if (this.ownsPool) await this.pool.end().catch(() => {});
  }

  async now(): Promise<Date> {
    const { rows } = await this.run<{ now: number }>(this.admin.now, [], 'now');
    return new Date(rows[0]!.now);
  }

  subscribe(listener: (notification: StoreNotification) => void): () => void {
    this.assertOpen();
    return this.notifier.subscribe(listener);
  }

  /** Whether the LISTEN connection is up (it starts with the first `subscribe`). */
  get listening(): boolean {
    return this.notifier.listening;
  }

  /** Resolves once this store's LISTEN connection is up (after `subscribe`). */
  whenListening(): Promise<void> {
    return this.notifier.whenListening();
  }

  // ------------------------------------------------------------------ jobs

  async enqueue(params: EnqueueParams): Promise<EnqueueResult[]> {
    return this.enqueuer.enqueue(params);
  }

  async claimJobs(params: ClaimParams): Promise<ClaimedJob[]> {
    checkClaim(params);
    const queues = params.queues.filter((q) => q.limit > 0);
    if (queues.length === 0 || params.names.length === 0) {
      this.assertOpen();
      return [];
    }
    const { rows } = await this.run<ClaimRow>(
      this.hot.claimJobs,
      [queues.map((q) => q.queue), queues.map((q) => q.limit), params.names, params.leaseMs, params.workerId, `${randomBytes(12).toString('base64url')}.`],
      'claimJobs',
    );
    const jobs = rows.map((r) => toClaimedJob(r, params.leaseMs, params.workerId));
    return jobs.sort((a, b) => b.priority - a.priority || a.runAt.getTime() - b.runAt.getTime() || compareIds(a.id, b.id));
  }

  async applyTransitions(params: { transitions: LeasedTransition[] }): Promise<TransitionResult[]> {
    checkTransitions(params.transitions);
    this.assertOpen();
    if (params.transitions.length === 0) return [];
    const { results, wake } = await applyTransitions(params.transitions, this.hot, (q, v, op) => this.run(q, v, op), this.transaction);
    if (wake.size > 0) this.notifier.signalJobsAvailable(wake);
    return results;
  }

  /** One statement (apply-transitions.ts): one round trip, one commit. */
  async applyAndClaim(params: ApplyAndClaimParams): Promise<ApplyAndClaimResult> {
    checkTransitions(params.transitions);
    checkClaim(params.claim);
    const claim = { ...params.claim, queues: params.claim.queues.filter((q) => q.limit > 0) };
    if (claim.queues.length === 0 || claim.names.length === 0) return { results: await this.applyTransitions(params), jobs: [] };
    if (params.transitions.length === 0) return { results: [], jobs: await this.claimJobs(claim) };
    this.assertOpen();
    const prefix = `${randomBytes(12).toString('base64url')}.`;
    const { results, wake, jobs } = await applyAndClaim(params.transitions, claim, prefix, this.hot, (q, v, op) => this.run(q, v, op), this.transaction);
    if (wake.size > 0) this.notifier.signalJobsAvailable(wake);
    return { results, jobs: jobs.sort((a, b) => b.priority - a.priority || a.runAt.getTime() - b.runAt.getTime() || compareIds(a.id, b.id)) };
  }

  async extendLeases(params: ExtendLeasesParams): Promise<ExtendLeasesResult> {
    checkLeaseMs(params.leaseMs);
    this.assertOpen();
    if (params.leases.length === 0) return { lost: [], cancelRequested: [] };
    const valid = params.leases.filter((l) => parseJobId(l.jobId) !== null);
    if (valid.length === 0) return { lost: params.leases.map((l) => l.jobId), cancelRequested: [] };
    const { rows } = await this.run<{ id: string; lease_token: string; cancel_requested: boolean }>(
      this.hot.extendLeases,
      [valid.map((l) => l.jobId), valid.map((l) => l.leaseToken), params.leaseMs],
      'extendLeases',
    );
    const held = new Map(rows.map((r) => [`${r.id}\u0000${r.lease_token}`, r.cancel_requested]));
    const lost: string[] = [];
    const cancelRequested: string[] = [];
    for (const l of params.leases) {
      const flag = held.get(`${l.jobId}\u0000${l.leaseToken}`);
      if (flag === undefined) lost.push(l.jobId);
      else if (flag) cancelRequested.push(l.jobId);
    }
    return { lost, cancelRequested };
  }

  async saveProgress(params: Parameters<Store['saveProgress']>[0]): Promise<string[]> {
    checkProgress(params.updates);
    this.assertOpen();
    if (params.updates.length === 0) return [];
    const valid = params.updates.filter((u) => parseJobId(u.jobId) !== null);
    if (valid.length === 0) return params.updates.map((u) => u.jobId);
    const { rows } = await this.run<{ id: string }>(
      this.hot.saveProgress,
      [valid.map((u) => u.jobId), valid.map((u) => u.leaseToken), valid.map((u) => u.progress.current), valid.map((u) => u.progress.total), valid.map((u) => u.progress.message)],
      'saveProgress',
    );
    const saved = new Set(rows.map((r) => r.id));
    return params.updates.filter((u) => !saved.has(u.jobId)).map((u) => u.jobId);
  }

  /** Core's decideRescue over the expired leases, in one transaction (rescue-expired.ts). */
  async rescueExpired(params: { maxStalls: number; limit: number }): Promise<RescueResult> {
    int('maxStalls', params.maxStalls, 0, 1_000_000);
    int('limit', params.limit, 1, 1_000_000);
    const { result, wake } = await rescueExpired(params, this.hot, this.transaction);
    if (wake.size > 0) this.notifier.signalJobsAvailable(wake);
    return result;
  }

  async cancelJob(params: { jobId: string; reason: string }): Promise<CancelResult> {
    if (typeof params.reason !== 'string') throw invalid('reason', 'reason must be a string');
    const id = parseJobId(params.jobId);
    if (id === null) {
      this.assertOpen();
      return { outcome: 'not_found', job: null };
    }
    const { rows } = await this.run<JobRow & { prev_state: StoredState }>(
      this.admin.cancelJob,
      [id, params.reason, this.channel, cancelRequestedPayload(this.instanceId, id)],
      'cancelJob',
    );
    const row = rows[0];
    if (row) {
      const job = toJobRecord(row);
      // A job someone holds (reserved or active) is pushed to its worker (the NOTIFY went with the write).
      if (LEASED_STATES.includes(row.prev_state)) this.notifier.emitLocal({ type: 'cancel-requested', jobId: id });
      return CANCELLABLE_STATES.includes(row.prev_state) ? { outcome: 'cancelled', job } : { outcome: 'cancel_requested', job };
    }
    const job = await this.getJob({ jobId: id });
    return job ? { outcome: 'already_finished', job } : { outcome: 'not_found', job: null };
  }

  async retryJob(params: { jobId: string }): Promise<JobRecord | null> {
    const job = await this.oneJob(this.admin.retryJob, params.jobId, 'retryJob');
    if (job) this.notifier.signalJobsAvailable([job.queue]);
    return job;
  }

  async promoteJob(params: { jobId: string }): Promise<JobRecord | null> {
    const job = await this.oneJob(this.admin.promoteJob, params.jobId, 'promoteJob');
    if (job) this.notifier.signalJobsAvailable([job.queue]);
    return job;
  }

  async deleteJob(params: { jobId: string }): Promise<boolean> {
    const id = parseJobId(params.jobId);
    if (id === null) {
      this.assertOpen();
      return false;
    }
    const { rows } = await this.run<{ deleted: number; state: string | null }>(this.admin.deleteJob, [id], 'deleteJob');
    const r = rows[0]!;
    if (r.deleted > 0) return true;
    if (r.state === 'active') throw new InvalidTransitionError('active', 'deleted', id);
    return false;
  }

  async pruneJobs(params: PruneParams): Promise<number> {
    checkPrune(params);
    if (params.maxAgeMs === null && params.maxCount === null) {
      this.assertOpen();
      return 0;
    }
    const { rows } = await this.run<{ deleted: number }>(
      this.admin.pruneJobs,
      [params.queue, params.state, params.maxAgeMs, params.maxCount, params.limit],
      'pruneJobs',
    );
    return rows[0]!.deleted;
  }

  async getJob(params: { jobId: string }): Promise<JobRecord | null> {
    return this.oneJob(this.admin.getJob, params.jobId, 'getJob');
  }

  async getJobs(params: { jobIds: string[] }): Promise<JobRecord[]> {
    this.assertOpen();
    const ids = params.jobIds.map(parseJobId).filter((id): id is string => id !== null);
    if (ids.length === 0) return [];
    const { rows } = await this.run<JobRow>(this.admin.getJobs, [ids], 'getJobs');
    const byId = new Map(rows.map((r) => [r.id, toJobRecord(r)]));
    const out: JobRecord[] = [];
    const emitted = new Set<string>();
    for (const id of ids) {
      const j = byId.get(id);
      if (j && !emitted.has(id)) {
        emitted.add(id);
        out.push(j);
      }
    }
    return out;
  }

  async listJobs(params: ListJobsParams): Promise<JobPage> {
    this.assertOpen();
    const query = buildListJobsQuery(this.s, params);
    if (query === null) return { jobs: [], nextCursor: null };
    const { text, values, limit } = query;
    const { rows } = await this.run<JobRow>({ text }, values, 'listJobs');
    const jobs = rows.slice(0, limit).map(toJobRecord);
    const last = jobs[jobs.length - 1];
    return { jobs, nextCursor: rows.length > limit && last ? encodeCursor(last.id) : null };
  }

  async countJobs(params?: { queue?: string }): Promise<QueueCounts[]> {
    if (params?.queue !== undefined) assertName('queue', params.queue);
    const { rows } = await this.run<CountRow>(this.admin.countJobs, [params?.queue ?? null], 'countJobs');
    // A queue asked for by name is reported even when it has no jobs.
    if (params?.queue !== undefined) rows.push({ queue: params.queue, state: null, n: 0, paused: null });
    return toCounts(rows).map(({ queue, counts }) => ({ queue, counts }));
  }

  async jobStats(params: JobStatsParams): Promise<JobStats> {
    this.assertOpen();
    return jobStats(params, this.stats, (query, values, operation) => this.run(query, values, operation));
  }

  async jobTimeline(params: JobTimelineParams): Promise<JobTimeline> {
    this.assertOpen();
    return jobTimeline(params, this.timeline, (query, values, operation) => this.run(query, values, operation));
  }

  // ------------------------------------------------------------------ queues

  async setQueuePaused(params: { queue: string; paused: boolean }): Promise<void> {
    assertName('queue', params.queue);
    if (typeof params.paused !== 'boolean') throw invalid('paused', 'paused must be a boolean');
    await this.run(this.admin.setQueuePaused, [params.queue, params.paused], 'setQueuePaused');
    if (!params.paused) this.notifier.signalJobsAvailable([params.queue]);
  }

  async listQueues(): Promise<QueueInfo[]> {
    const { rows } = await this.run<CountRow>(this.admin.countJobs, [null], 'listQueues');
    return toCounts(rows);
  }

  // ------------------------------------------------------------------ workers

  async recordWorker(params: { worker: WorkerInfoInput }): Promise<void> {
    const w = params.worker;
    if (typeof w?.id !== 'string' || w.id.length === 0) throw invalid('worker.id', 'worker.id must be a non-empty string');
    await this.run(this.admin.recordWorker, [w.id, w.host, w.pid, w.queues, w.concurrency, w.activeJobs, w.startedAt], 'recordWorker');
  }

  async removeWorker(params: { workerId: string }): Promise<void> {
    await this.run(this.admin.removeWorker, [params.workerId], 'removeWorker');
  }

  async listWorkers(params: { aliveWithinMs: number }): Promise<WorkerInfo[]> {
    int('aliveWithinMs', params.aliveWithinMs, 0, Number.MAX_SAFE_INTEGER);
    const { rows } = await this.run<WorkerRow>(this.admin.listWorkers, [params.aliveWithinMs], 'listWorkers');
    return rows.map(toWorkerInfo);
  }

  // ------------------------------------------------------------------ schedules (schedules.ts)

  upsertSchedules(p: UpsertSchedulesParams): Promise<UpsertSchedulesResult> { return this.schedules.upsertSchedules(p); }
  listDueSchedules(p: { lookaheadMs: number; limit: number }): Promise<DueSchedules> { return this.schedules.listDueSchedules(p); }
  claimFire(p: ClaimFireParams): Promise<ClaimFireResult> { return this.schedules.claimFire(p); }
  triggerSchedule(p: { name: string; job: NewJob }): Promise<TriggerScheduleResult | null> { return this.schedules.triggerSchedule(p); }
  pauseSchedule(p: { name: string }): Promise<ScheduleRecord | null> { return this.schedules.pauseSchedule(p); }
  getSchedule(p: { name: string }): Promise<ScheduleRecord | null> { return this.schedules.getSchedule(p); }
  listSchedules(): Promise<ScheduleRecord[]> { return this.schedules.listSchedules(); }
  listScheduleFires(p: { name: string; limit: number }): Promise<ScheduleFire[]> { return this.schedules.listScheduleFires(p); }
  deleteSchedule(p: { name: string }): Promise<boolean> { return this.schedules.deleteSchedule(p); }

  // ------------------------------------------------------------------ plumbing

  private assertOpen(): void {
    if (this.closed) throw new StoreClosedError();
  }

  private async run<R>(query: NamedQuery | { text: string }, values: unknown[], operation: string): Promise<{ rows: R[] }> {
    this.assertOpen();
    try {
      return (await this.pool.query({ ...query, values })) as unknown as { rows: R[] };
    } catch (e) {
      throw toStoreError(e, operation);
    }
  }

  /** One transaction on one pooled connection (transaction.ts); an arrow, so helpers can take it as is. */
  private readonly transaction: Transaction = (operation, fn) => {
    this.assertOpen();
    return inTransaction(this.pool, operation, fn);
  };

  private async oneJob(query: NamedQuery, jobId: string, operation: string): Promise<JobRecord | null> {
    const id = parseJobId(jobId);
    if (id === null) {
      this.assertOpen();
      return null;
    }
    const { rows } = await this.run<JobRow>(query, [id], operation);
    return rows[0] ? toJobRecord(rows[0]) : null;
  }


}

interface CountRow {
  queue: string;
  state: string | null;
  n: number;
  paused: boolean | null;
}

function compareIds(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}


