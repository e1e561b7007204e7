import Database from 'better-sqlite3';
import type { Clock } from '../../core/clock.js';
import { StoreClosedError } from '../../core/errors.js';
import type { ClaimedJob, JobProgress, JobRecord, NewJob } from '../../core/job.js';
import type { LeasedTransition, TransitionResult } from '../../core/outcome.js';
import type { QueuePolicyOverrides } from '../../core/queue-policy.js';
import { assertName } from '../../core/validate.js';
import type {
  ApplyAndClaimParams,
  ApplyAndClaimResult,
  CancelResult,
  ClaimParams,
  EnqueueParams,
  EnqueueResult,
  ExtendLeasesParams,
  ExtendLeasesResult,
  JobPage,
  JobStats,
  JobStatsParams,
  JobTimeline,
  JobTimelineParams,
  ListJobsParams,
  PruneParams,
  QueueCounts,
  QueueInfo,
  RescueResult,
  SetQueuePolicyParams,
  SetQueuePolicyResult,
  Store,
  StoreCapabilities,
  StoreNotification,
  WorkerInfo,
  WorkerInfoInput,
} from '../../store/store.js';
import type { ClaimFireParams, ClaimFireResult, DueSchedules, ScheduleFire, ScheduleRecord, TriggerScheduleResult, UpsertSchedulesParams, UpsertSchedulesResult } from '../../store/schedule-store.js';
import { SqliteEnqueuer } from './enqueue.js';
import { CrossProcessSignals } from './cross-process-signals.js';
import { SqliteStoreError, wrapSqliteError } from './errors.js';
import { splitUnreadable } from '../../store/readable-job.js';
import { checkClaim, checkLeaseMs, checkPrune, checkProgress, checkTransitions, int, invalid } from '../../store/input.js';
import { checkPolicyQueue, checkSetQueuePolicy, planPolicyWrite, rowOverrides, type QueuePolicyRow } from '../../store/queue-policy.js';
import { checkMigrations, runMigrations } from './migrations.js';
import { resolveSqliteOptions, type SqliteStoreOptions, type SqliteSynchronous } from './options.js';
import { SQL } from './queries.js';
import { countJobs, listJobs, listQueues } from './read-queries.js';
import { jobStats } from './job-stats.js';
import { jobTimeline } from './job-timeline.js';
import { SqliteSchedules } from './schedules.js';
import { parseJobId, readJobSafely, readJobsSafely } from './job-rows.js';
import { claimedJobs, claimRows } from './claim.js';
import { applyTransitionBatch, rescue } from './transitions.js';
import { readDiagnostics, type SqliteDiagnostics } from './diagnostics.js';
import { cancelJob, deleteJob, pruneJobs, retryJob } from './operator-actions.js';
import { listWorkers, recordWorker } from './workers.js';

export type { SqliteDiagnostics } from './diagnostics.js';

/**
 * The embedded store: one better-sqlite3 connection per object, WAL, every
 * write in a BEGIN IMMEDIATE transaction (so processes sharing one file queue
 * for the write lock at BEGIN, up to busy_timeout, instead of failing half-way),
 * prepared statements cached. Push notifications are in-process only.
 */
export class SqliteStore implements Store {
  readonly kind = 'sqlite';
  readonly capabilities: StoreCapabilities = Object.freeze({ transactionalEnqueue: false });

  private db: Database.Database | null;
  private readonly clock: Clock;
  private readonly path: string;
  /** false: migrate() only checks (options.migrate). */
  private readonly applyMigrations: boolean;
  private readonly statements = new Map<string, Database.Statement>();
  private readonly listeners = new Set<(n: StoreNotification) => void>();
  private readonly prepare = (sql: string, pluck = false): Database.Statement => this.st(sql, pluck);
  /** The schedule operations (schedules.ts), run on this connection. */
  private readonly schedules = new SqliteSchedules({
    prepare: this.prepare,
    read: (fn) => this.read(fn),
    write: (fn) => this.write(fn),
    now: () => this.clock.now(),
    jobsAvailable: (queue) => this.emit({ type: 'jobs-available', queue }),
  });
  /** Store.enqueue (enqueue.ts): checked per call, concurrent calls grouped into one transaction. */
  private readonly enqueuer = new SqliteEnqueuer({ capabilities: this.capabilities, prepare: this.prepare, write: (fn) => this.write(fn), now: () => this.clock.now(), jobsAvailable: (queue) => this.emit({ type: 'jobs-available', queue }) });

  /** The durability every commit has, except a claim alone's (writeUnsynced). */
  private readonly synchronous: SqliteSynchronous;
  /** Push between processes on one file (PRAGMA data_version), while someone subscribes; null for ":memory:". */
  private readonly signals: CrossProcessSignals | null;

  constructor(options: SqliteStoreOptions) {
    const o = resolveSqliteOptions(options);
    this.clock = o.clock;
    this.path = o.path;
    this.applyMigrations = o.migrate;
    this.synchronous = o.synchronous;
    try {
      this.db = new Database(o.path, { timeout: o.busyTimeoutMs });
      this.db.pragma(`busy_timeout = ${o.busyTimeoutMs}`);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma(`synchronous = ${o.synchronous}`);
      this.db.pragma('cache_size = -32000');
      this.db.pragma('temp_store = MEMORY');
    } catch (e) {
      throw new SqliteStoreError(`sqlite: cannot open ${o.path}: ${(e as Error).message}`, { path: o.path }, { cause: e });
    }
    this.signals =
      o.path === ':memory:' || o.path === ''
        ? null
        : new CrossProcessSignals({
            clock: this.clock,
            prepare: this.prepare,
            dataVersion: () => this.st('PRAGMA data_version', true).get() as number,
            emit: (n) => this.emit(n),
          });
  }

  // ------------------------------------------------------------------ lifecycle

  async migrate(): Promise<void> {
    this.read((db) => (this.applyMigrations ? runMigrations(db, this.clock.now()) : checkMigrations(db)));
  }

  async close(): Promise<void> {
    const db = this.db;
    this.db = null;
    this.signals?.stop();
    this.statements.clear();
    this.listeners.clear();
    db?.close();
  }

  async now(): Promise<Date> {
    return new Date(this.clock.now());
  }

  subscribe(listener: (notification: StoreNotification) => void): () => void {
    this.listeners.add(listener);
    if (this.db) this.signals?.start();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.signals?.stop();
    };
  }

  /** Connection settings and schema version, for `docket doctor` and tests. */
  async diagnostics(): Promise<SqliteDiagnostics> {
    return this.read((db) => readDiagnostics(db, this.path));
  }

  // ------------------------------------------------------------------ jobs

  async enqueue(params: EnqueueParams): Promise<EnqueueResult[]> {
    return this.enqueuer.enqueue(params);
  }

  async claimJobs(params: ClaimParams): Promise<ClaimedJob[]> {
    checkClaim(params);
    if (params.names.length === 0) return [];
    const now = this.clock.now();
    const queues = this.read(() => {
      const probe = this.st(SQL.claimJobs.anyRunnable, true);
      return params.queues.filter((q) => q.limit > 0 && probe.get(q.queue, now) !== undefined);
    });
    this.signals?.claiming(params.workerId, params.queues);
    if (queues.length === 0) return [];
    const rows = this.writeUnsynced(() => claimRows(params, queues, now, this.prepare));
    return this.handOut(claimedJobs(rows, params, now), now);
  }

  /**
   * The jobs a claim took, to hand out. Those that cannot be read (readable-job.ts) end `failed`
   * with code UNREADABLE_JOB, in a transaction of their own (rare: the
   * claim's own transaction stays as short as ever); the rest are handed out.
   */
  private handOut(claimed: ClaimedJob[], now: number): ClaimedJob[] {
    const { jobs, fail } = splitUnreadable(claimed, new Date(now));
    try {
      if (fail.length > 0) this.write(() => applyTransitionBatch(fail, now, this.prepare, new Set()));
    } catch {
      // Not failed now (e.g. the file is busy): they stay reserved until their lease expires, and a later claim fails them.
    }
    return jobs;
  }

  async applyTransitions(params: { transitions: LeasedTransition[] }): Promise<TransitionResult[]> {
    const ts = params.transitions;
    checkTransitions(ts);
    if (ts.length === 0) return [];
    const now = this.clock.now();
    const available = new Set<string>();
    const results = this.write(() => applyTransitionBatch(ts, now, this.prepare, available));
    for (const queue of available) this.emit({ type: 'jobs-available', queue });
    return results;
  }

  /** Both in one BEGIN IMMEDIATE transaction: one commit (one fsync at FULL) instead of two. */
  async applyAndClaim(params: ApplyAndClaimParams): Promise<ApplyAndClaimResult> {
    const ts = params.transitions;
    checkTransitions(ts);
    checkClaim(params.claim);
    const claim = params.claim;
    this.signals?.claiming(claim.workerId, claim.queues);
    const queues = claim.names.length === 0 ? [] : claim.queues.filter((q) => q.limit > 0);
    if (ts.length === 0) return { results: [], jobs: queues.length === 0 ? [] : await this.claimJobs(claim) };
    const now = this.clock.now();
    const available = new Set<string>();
    const { results, rows } = this.write(() => ({
      results: applyTransitionBatch(ts, now, this.prepare, available),
      rows: queues.length === 0 ? { rows: [], unreadable: [] } : claimRows(claim, queues, now, this.prepare),
    }));
    for (const queue of available) this.emit({ type: 'jobs-available', queue });
    return { results, jobs: this.handOut(claimedJobs(rows, claim, now), now) };
  }

  async extendLeases(params: ExtendLeasesParams): Promise<ExtendLeasesResult> {
    checkLeaseMs(params.leaseMs);
    const lost: string[] = [];
    const cancelRequested: string[] = [];
    if (params.leases.length === 0) return { lost, cancelRequested };
    const until = this.clock.now() + params.leaseMs;
    this.write(() => {
      const extend = this.st(SQL.extendLeases, true);
      for (const { jobId, leaseToken } of params.leases) {
        const id = parseJobId(jobId);
        const cancel = id === null ? undefined : (extend.get(until, id, leaseToken) as number | undefined);
        if (cancel === undefined) lost.push(jobId);
        else if (cancel === 1) cancelRequested.push(jobId);
      }
    });
    return { lost, cancelRequested };
  }

  async saveProgress(params: { updates: Array<{ jobId: string; leaseToken: string; progress: Omit<JobProgress, 'updatedAt'> }> }): Promise<string[]> {
    checkProgress(params.updates);
    if (params.updates.length === 0) return [];
    const now = this.clock.now();
    return this.write(() => {
      const save = this.st(SQL.saveProgress);
      const lost: string[] = [];
      for (const { jobId, leaseToken, progress: p } of params.updates) {
        const id = parseJobId(jobId);
        if (id === null || save.run(p.current, p.total, p.message, now, id, leaseToken).changes === 0) lost.push(jobId);
      }
      return lost;
    });
  }

  async rescueExpired(params: { maxStalls: number; limit: number }): Promise<RescueResult> {
    int('maxStalls', params.maxStalls, 0, 1_000_000);
    int('limit', params.limit, 1, 1_000_000);
    const now = this.clock.now();
    const available = new Set<string>();
    const result = this.write(() => rescue(params.maxStalls, params.limit, now, this.prepare, available));
    for (const queue of available) this.emit({ type: 'jobs-available', queue });
    return result;
  }

  async cancelJob(params: { jobId: string; reason: string }): Promise<CancelResult> {
    if (typeof params.reason !== 'string') throw invalid('reason', 'reason must be a string');
    const id = parseJobId(params.jobId);
    if (id === null) return { outcome: 'not_found', job: null };
    const now = this.clock.now();
    const result = this.write(() => cancelJob(id, params.reason, now, this.prepare));
    if (result.outcome === 'cancel_requested') this.emit({ type: 'cancel-requested', jobId: String(id) });
    return result;
  }

  async retryJob(params: { jobId: string }): Promise<JobRecord | null> {
    const id = parseJobId(params.jobId);
    if (id === null) return null;
    const now = this.clock.now();
    const job = this.write(() => retryJob(id, now, this.prepare));
    return job === undefined ? null : this.available(job);
  }

  async promoteJob(params: { jobId: string }): Promise<JobRecord | null> {
    const id = parseJobId(params.jobId);
    if (id === null) return null;
    const now = this.clock.now();
    const job = this.write(() => (this.st(SQL.promoteJob, true).get(now, id, now) === undefined ? undefined : readJobSafely(id, now, this.prepare)));
    return job === undefined ? null : this.available(job);
  }

  async deleteJob(params: { jobId: string }): Promise<boolean> {
    const id = parseJobId(params.jobId);
    if (id === null) return false;
    return this.write(() => deleteJob(id, params.jobId, this.prepare));
  }

  async pruneJobs(params: PruneParams): Promise<number> {
    checkPrune(params);
    const now = this.clock.now();
    return this.write(() => pruneJobs(params, now, this.prepare));
  }

  // ------------------------------------------------------------------ reads

  async getJob(params: { jobId: string }): Promise<JobRecord | null> {
    const id = parseJobId(params.jobId);
    if (id === null) return null;
    return this.read(() => this.readJob(id, this.clock.now()));
  }

  async getJobs(params: { jobIds: string[] }): Promise<JobRecord[]> {
    if (!Array.isArray(params.jobIds)) throw invalid('jobIds', 'jobIds must be an array');
    const ids = params.jobIds.map(parseJobId).filter((id): id is number => id !== null);
    if (ids.length === 0) return [];
    return this.read(() => {
      const now = this.clock.now();
      const list = JSON.stringify(ids);
      const jobs = readJobsSafely(() => this.st(SQL.getJobs, true).all(list) as string[], () => ids, now, this.prepare);
      const byId = new Map(jobs.map((job) => [Number(job.id), job] as const));
      // In the order asked for; unknown ids are left out.
      return ids.flatMap((id) => byId.get(id) ?? []);
    });
  }

  async listJobs(params: ListJobsParams): Promise<JobPage> {
    return this.read(() => listJobs(params, this.clock.now(), this.prepare));
  }

  async countJobs(params?: { queue?: string }): Promise<QueueCounts[]> {
    if (params?.queue !== undefined) assertName('queue', params.queue);
    return this.read(() => countJobs(params?.queue, this.clock.now(), this.prepare));
  }

  // ------------------------------------------------------------------ queues

  async setQueuePolicy(params: SetQueuePolicyParams): Promise<SetQueuePolicyResult> {
    const { queue, patch } = checkSetQueuePolicy(params);
    const q = SQL.setQueuePolicy;
    const write = this.write(() => {
      const plan = planPolicyWrite(this.st(q.read).get(queue) as QueuePolicyRow | undefined, patch);
      this.st(q.write).run(queue, plan.paused ? 1 : 0, plan.json, this.clock.now());
      return plan;
    });
    if (patch.paused !== undefined && !write.paused) this.emit({ type: 'jobs-available', queue });
    return { previous: write.previous, policy: write.policy };
  }

  async getQueuePolicy(params: { queue: string }): Promise<QueuePolicyOverrides> {
    const queue = checkPolicyQueue(params?.queue);
    return this.read(() => rowOverrides(this.st(SQL.setQueuePolicy.read).get(queue) as QueuePolicyRow | undefined));
  }

  async setQueuePaused(params: { queue: string; paused: boolean }): Promise<void> {
    assertName('queue', params.queue);
    if (typeof params.paused !== 'boolean') throw invalid('paused', 'paused must be a boolean');
    await this.setQueuePolicy({ queue: params.queue, policy: { paused: params.paused } });
  }

  async listQueues(): Promise<QueueInfo[]> {
    return this.read(() => listQueues(this.clock.now(), this.prepare));
  }

  // ------------------------------------------------------------------ workers

  async recordWorker(params: { worker: WorkerInfoInput }): Promise<void> {
    const now = this.clock.now();
    this.write(() => recordWorker(params.worker, now, this.prepare));
  }

  async removeWorker(params: { workerId: string }): Promise<void> {
    this.write(() => this.st(SQL.removeWorker).run(params.workerId));
  }

  async listWorkers(params: { aliveWithinMs: number }): Promise<WorkerInfo[]> {
    int('aliveWithinMs', params.aliveWithinMs, 0, Number.MAX_SAFE_INTEGER);
    return this.read(() => listWorkers(this.clock.now() - params.aliveWithinMs, this.prepare));
  }

  async jobStats(params: JobStatsParams): Promise<JobStats> {
    return this.read(() => jobStats(params, this.clock.now(), this.prepare));
  }

  async jobTimeline(params: JobTimelineParams): Promise<JobTimeline> {
    return this.read(() => jobTimeline(params, this.clock.now(), this.prepare));
  }

  // ------------------------------------------------------------------ schedules (schedules.ts)

  upsertSchedules(params: UpsertSchedulesParams): Promise<UpsertSchedulesResult> {
    return this.schedules.upsertSchedules(params);
  }
  listDueSchedules(params: { lookaheadMs: number; limit: number }): Promise<DueSchedules> {
    return this.schedules.listDueSchedules(params);
  }
  claimFire(params: ClaimFireParams): Promise<ClaimFireResult> {
    return this.schedules.claimFire(params);
  }
  triggerSchedule(params: { name: string; job: NewJob }): Promise<TriggerScheduleResult | null> {
    return this.schedules.triggerSchedule(params);
  }
  pauseSchedule(params: { name: string }): Promise<ScheduleRecord | null> {
    return this.schedules.pauseSchedule(params);
  }
  getSchedule(params: { name: string }): Promise<ScheduleRecord | null> {
    return this.schedules.getSchedule(params);
  }
  listSchedules(): Promise<ScheduleRecord[]> {
    return this.schedules.listSchedules();
  }
  listScheduleFires(params: { name: string; limit: number }): Promise<ScheduleFire[]> {
    return this.schedules.listScheduleFires(params);
  }
  deleteSchedule(params: { name: string }): Promise<boolean> {
    return this.schedules.deleteSchedule(params);
  }

  // ------------------------------------------------------------------ plumbing

  private readJob(id: number, now: number): JobRecord | null {
    return readJobSafely(id, now, this.prepare) ?? null;
  }

  /** A statement prepared once per store object (pluck: the first column only). */
  private st(sql: string, pluck = false): Database.Statement {
    const key = pluck ? `p:${sql}` : sql;
    let s = this.statements.get(key);
    if (!s) {
      s = this.open().prepare(sql);
      if (pluck) s.pluck(true);
      this.statements.set(key, s);
    }
    return s;
  }

  private open(): Database.Database {
    if (!this.db) throw new StoreClosedError();
    return this.db;
  }

  /** Runs a read (or self-contained work); driver errors become typed errors. */
  private read<T>(fn: (db: Database.Database) => T): T {
    const db = this.open();
    try {
      return fn(db);
    } catch (e) {
      throw wrapSqliteError(e);
    }
  }

  /**
   * Runs `fn` in a BEGIN IMMEDIATE transaction: the write lock is taken up
   * front, so a transaction never fails half-way on a lock another process
   * holds (it waits up to busy_timeout at BEGIN instead). Any throw rolls back.
   */
  private write<T>(fn: () => T): T {
    const db = this.open();
    try {
      this.st('BEGIN IMMEDIATE').run();
    } catch (e) {
      throw wrapSqliteError(e);
    }
    try {
      const result = fn();
      this.st('COMMIT').run();
      return result;
    } catch (e) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw wrapSqliteError(e);
    }
  }

  /**
   * A write whose loss in a power failure nobody could see: a claim alone
   * (jobs reserved, nothing counted, nothing started). At FULL it commits
   * without its own fsync (synchronous=NORMAL for this one transaction), so
   * an idle worker's claim adds no fsync between an enqueue and the start.
   * Durability is unchanged for what users see: WAL frames are appended in
   * order, so the next fsynced commit (the start or the outcome, always
   * later) makes the claim durable too; and a power failure that loses the
   * claim also stops the machine its worker ran on, so the job is found
   * waiting, which is what the rescuer would have made of it (a reserved
   * job whose lease expired returns with nothing counted).
   */
  private writeUnsynced<T>(fn: () => T): T {
    if (this.synchronous !== 'FULL') return this.write(fn);
    this.st('PRAGMA synchronous = NORMAL').run();
    try {
      return this.write(fn);
    } finally {
      this.st('PRAGMA synchronous = FULL').run();
    }
  }

  /** Tells subscribers a job became runnable; returns it. */
  private available(job: JobRecord): JobRecord {
    this.emit({ type: 'jobs-available', queue: job.queue });
    return job;
  }

  private emit(n: StoreNotification): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(n);
      } catch {
        // Best-effort delivery: a listener's bug must not fail a write that already committed.
      }
    }
  }
}
