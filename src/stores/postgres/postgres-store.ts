import pg from 'pg';
import type { Pool, PoolClient } from 'pg';
import { randomBytes } from 'node:crypto';
import { InvalidTransitionError, StoreClosedError, ValidationError } from '../../core/errors.js';
import { assertName } from '../../core/validate.js';
import type { ClaimedJob, JobRecord, NewJob } from '../../core/job.js';
import { outcomeDelayMs, outcomeFailure, outcomeRefundsAttempt, outcomeState, type LeasedTransition, type TransitionResult } from '../../core/outcome.js';
import type {
  CancelResult,
  ClaimParams,
  EnqueueParams,
  EnqueueResult,
  ExtendLeasesParams,
  ExtendLeasesResult,
  JobStats,
  JobStatsParams,
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
import { buildAdminQueries, type AdminQueries } from './admin-queries.js';
import { dedupeKeys, ENQUEUE_CHUNK, enqueueStatement, parseJobData, runnableNow, type Queryable } from './enqueue.js';
import { EnqueueBatcher } from './enqueue-batcher.js';
import { buildHotQueries, type HotQueries, type NamedQuery } from './hot-queries.js';
import { failureJson, parseJobId, toClaimedJob, toJobRecord, type ClaimRow, type JobRow } from './job-row.js';
import { buildStatsQueries, jobStats, type StatsQueries } from './job-stats.js';
import { buildListJobsQuery, toCounts } from './list-jobs.js';
import { checkClaim, checkLeaseMs, checkNewJobs, checkPrune, checkTransitions, int, invalid } from './input.js';
import { runMigrations } from './migrations.js';
import { cancelRequestedPayload, jobsAvailablePayload, Notifier } from './notifier.js';
import {
  DEFAULT_PG_CONNECT_TIMEOUT_MS,
  DEFAULT_PG_RECONNECT_MAX_MS,
  DEFAULT_PG_RECONNECT_MIN_MS,
  resolvePostgresStoreOptions,
  type PostgresStoreOptions,
  type ResolvedPostgresStoreOptions,
} from './options.js';
import { toStoreError } from './store-error.js';

/**
 * The PostgreSQL store: many processes and machines on one database.
 * Claims use FOR UPDATE SKIP LOCKED, every time is the server's now(), and
 * wake-ups and cancel requests travel by LISTEN/NOTIFY.
 */
export class PostgresStore implements Store {
  readonly kind = 'postgres';
  readonly capabilities: StoreCapabilities = { crossProcessWakeups: true, cancelPush: true, transactionalEnqueue: true };
  readonly schema: string;

  private readonly opts: ResolvedPostgresStoreOptions;
  private readonly pool: Pool;
  private readonly ownsPool: boolean;
  private readonly s: string;
  private readonly hot: HotQueries;
  private readonly admin: AdminQueries;
  private readonly stats: StatsQueries;
  private readonly notifier: Notifier;
  private readonly channel: string;
  private readonly instanceId = randomBytes(6).toString('hex');
  private readonly batcher: EnqueueBatcher<NewJob, EnqueueResult>;
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
    const prefix = `dk_${this.schema}_`;
    this.hot = buildHotQueries(this.s, prefix);
    this.admin = buildAdminQueries(this.s, prefix);
    this.stats = buildStatsQueries(this.s, prefix);
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
    // Leave connections for claims and completions while adds are grouped.
    const enqueueSlots = Math.max(1, Math.floor((this.ownsPool ? this.opts.maxConnections : (this.pool.options.max ?? 10)) / 2));
    this.batcher = new EnqueueBatcher((jobs) => this.enqueueNow(jobs), enqueueSlots, ENQUEUE_CHUNK);
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
    this.assertOpen();
    const jobs = params.jobs;
    checkNewJobs(jobs);
    checkPgText(jobs);
    parseJobData(jobs);
    if (jobs.length === 0) return [];
    if (params.tx !== undefined && params.tx !== null) return this.enqueueInTransaction(jobs, params.tx);
    return this.batcher.submit(jobs);
  }

  /** One statement (or one transaction of chunks) for jobs from one or more grouped calls. */
  private async enqueueNow(jobs: NewJob[]): Promise<EnqueueResult[]> {
    this.assertOpen();
    const { unique, expand } = dedupeKeys(jobs);
    const now = Date.now();
    const wake = new Set<string>();
    for (const j of unique) if (runnableNow(j, now)) wake.add(j.queue);
    const sendNow: string[] = [];
    const suppressed: string[] = [];
    for (const q of wake) {
      if (this.notifier.takeNotifySlot(q, now)) sendNow.push(jobsAvailablePayload(this.instanceId, q));
      else suppressed.push(q);
    }
    let results: EnqueueResult[];
    try {
      if (unique.length <= ENQUEUE_CHUNK) {
        results = await enqueueStatement(this.pool, this.hot, unique, sendNow, this.channel);
      } else {
        results = await this.inTransaction((c) => this.enqueueChunks(c, unique, sendNow));
      }
    } catch (e) {
      throw toStoreError(e, 'enqueue');
    }
    const created = new Set<string>();
    for (const r of results) if (r.created && r.job && r.job.state === 'waiting') created.add(r.job.queue);
    for (const q of created) this.notifier.emitLocal({ type: 'jobs-available', queue: q });
    for (const q of suppressed) if (created.has(q)) this.notifier.notifySuppressed(q);
    return expand(results);
  }

  /** On the caller's client, inside their transaction: NOTIFY goes with it, so it is delivered only on commit. */
  private async enqueueInTransaction(jobs: NewJob[], tx: unknown): Promise<EnqueueResult[]> {
    if (typeof tx !== 'object' || typeof (tx as { query?: unknown }).query !== 'function') {
      throw new ValidationError('INVALID_OPTION', 'tx', 'tx must be a pg client (PoolClient or Client) inside BEGIN');
    }
    const { unique, expand } = dedupeKeys(jobs);
    const now = Date.now();
    const queues = new Set<string>();
    for (const j of unique) if (runnableNow(j, now)) queues.add(j.queue);
    const notify = [...queues].map((q) => jobsAvailablePayload('', q));
    try {
      return expand(await this.enqueueChunks(tx as Queryable, unique, notify));
    } catch (e) {
      throw toStoreError(e, 'enqueue');
    }
  }

  private async enqueueChunks(db: Queryable, jobs: NewJob[], notify: string[]): Promise<EnqueueResult[]> {
    const out: EnqueueResult[] = [];
    for (let i = 0; i < jobs.length; i += ENQUEUE_CHUNK) {
      out.push(...(await enqueueStatement(db, this.hot, jobs.slice(i, i + ENQUEUE_CHUNK), i === 0 ? notify : [], this.channel)));
    }
    return out;
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
      [queues.map((q) => q.queue), queues.map((q) => q.limit), params.names, params.leaseMs, params.workerId],
      'claimJobs',
    );
    const jobs = rows.map((r) => toClaimedJob(r, params.leaseMs, params.workerId));
    return jobs.sort((a, b) => b.priority - a.priority || a.runAt.getTime() - b.runAt.getTime() || compareIds(a.id, b.id));
  }

  async applyTransitions(params: { transitions: LeasedTransition[] }): Promise<TransitionResult[]> {
    const all = params.transitions;
    checkTransitions(all);
    this.assertOpen();
    if (all.length === 0) return [];
    // The same job twice in one call: the first wins, as if applied in order.
    const results = new Array<TransitionResult>(all.length).fill('lease_lost');
    const seen = new Set<string>();
    const idx: number[] = [];
    for (let i = 0; i < all.length; i++) {
      const id = parseJobId(all[i]!.jobId);
      if (id === null || seen.has(id)) continue;
      seen.add(id);
      idx.push(i);
    }
    if (idx.length === 0) return results;
    const n = idx.length;
    if (idx.every((i) => all[i]!.outcome.kind === 'complete')) {
      const { rows } = await this.run<{ id: string }>(
        this.hot.completeJobs,
        [idx.map((i) => all[i]!.jobId), idx.map((i) => all[i]!.leaseToken), idx.map((i) => (all[i]!.outcome as { resultJson: string | null }).resultJson)],
        'applyTransitions',
      );
      const applied = new Set(rows.map((r) => r.id));
      for (const i of idx) if (applied.has(all[i]!.jobId)) results[i] = 'applied';
      return results;
    }
    const ids = new Array<string>(n), tokens = new Array<string>(n), states = new Array<string>(n), delays = new Array<number | null>(n);
    const refunds = new Array<number>(n), setResult = new Array<boolean>(n), resultJson = new Array<string | null>(n);
    const errors = new Array<string | null>(n), reasons = new Array<string | null>(n);
    for (let k = 0; k < n; k++) {
      const t = all[idx[k]!]!;
      const o = t.outcome;
      ids[k] = t.jobId;
      tokens[k] = t.leaseToken;
      states[k] = outcomeState(o);
      // null keeps the run time: a released job keeps its place in line
      delays[k] = o.kind === 'release' ? null : outcomeDelayMs(o);
      refunds[k] = outcomeRefundsAttempt(o) ? 1 : 0;
      setResult[k] = o.kind === 'complete';
      resultJson[k] = o.kind === 'complete' ? o.resultJson : null;
      const f = outcomeFailure(o);
      errors[k] = f ? failureJson(f) : null;
      reasons[k] = o.kind === 'cancel' ? o.reason : null;
    }
    const { rows } = await this.run<{ id: string; queue: string; state: string }>(
      this.hot.applyTransitions,
      [ids, tokens, states, delays, refunds, setResult, resultJson, errors, reasons],
      'applyTransitions',
    );
    const applied = new Set<string>();
    const wake = new Set<string>();
    for (const r of rows) {
      applied.add(r.id);
      if (r.state === 'waiting') wake.add(r.queue);
    }
    for (const i of idx) if (applied.has(all[i]!.jobId)) results[i] = 'applied';
    if (wake.size > 0) this.notifier.signalJobsAvailable(wake);
    return results;
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
    params.updates.forEach(({ progress: p }, i) => {
      if (typeof p?.current !== 'number' || !Number.isFinite(p.current)) throw invalid(`updates[${i}].progress.current`, 'progress.current must be a finite number');
      if (p.total !== null && (typeof p.total !== 'number' || !Number.isFinite(p.total))) throw invalid(`updates[${i}].progress.total`, 'progress.total must be a finite number or null');
      if (p.message !== null && typeof p.message !== 'string') throw invalid(`updates[${i}].progress.message`, 'progress.message must be a string or null');
    });
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

  async rescueExpired(params: { maxStalls: number; limit: number }): Promise<RescueResult> {
    int('maxStalls', params.maxStalls, 0, 1_000_000);
    int('limit', params.limit, 1, 1_000_000);
    const { rows } = await this.run<{ id: string; queue: string; state: string }>(this.hot.rescueExpired, [params.maxStalls, params.limit], 'rescueExpired');
    const requeued: string[] = [], failed: string[] = [];
    const wake = new Set<string>();
    for (const r of rows) {
      if (r.state === 'failed') failed.push(r.id);
      else {
        requeued.push(r.id);
        wake.add(r.queue);
      }
    }
    if (wake.size > 0) this.notifier.signalJobsAvailable(wake);
    return { requeued, failed };
  }

  async cancelJob(params: { jobId: string; reason: string }): Promise<CancelResult> {
    if (typeof params.reason !== 'string') throw invalid('reason', 'reason must be a string');
    const id = parseJobId(params.jobId);
    if (id === null) {
      this.assertOpen();
      return { outcome: 'not_found', job: null };
    }
    const { rows } = await this.run<JobRow & { prev_state: string }>(
      this.admin.cancelJob,
      [id, params.reason, this.channel, cancelRequestedPayload(this.instanceId, id)],
      'cancelJob',
    );
    const row = rows[0];
    if (row) {
      const job = toJobRecord(row);
      if (row.prev_state === 'active') {
        this.notifier.emitLocal({ type: 'cancel-requested', jobId: id });
        return { outcome: 'cancel_requested', job };
      }
      return { outcome: 'cancelled', job };
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
    return rows.map((r) => ({
      id: r.id,
      host: r.host,
      pid: r.pid,
      queues: r.queues,
      concurrency: r.concurrency,
      activeJobs: r.active_jobs,
      startedAt: new Date(r.started_at),
      lastHeartbeatAt: new Date(r.last_heartbeat_at),
    }));
  }

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

  private async oneJob(query: NamedQuery, jobId: string, operation: string): Promise<JobRecord | null> {
    const id = parseJobId(jobId);
    if (id === null) {
      this.assertOpen();
      return null;
    }
    const { rows } = await this.run<JobRow>(query, [id], operation);
    return rows[0] ? toJobRecord(rows[0]) : null;
  }

  private async inTransaction<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const out = await fn(client);
      await client.query('COMMIT');
      return out;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => {});
      throw e;
    } finally {
      client.release();
    }
  }
}

interface CountRow {
  queue: string;
  state: string | null;
  n: number;
  paused: boolean | null;
}

interface WorkerRow {
  id: string;
  host: string;
  pid: number;
  queues: string[];
  concurrency: number;
  active_jobs: number;
  started_at: number;
  last_heartbeat_at: number;
}

/** PostgreSQL text cannot hold NUL; refuse it up front rather than fail the batch in the server. */
function checkPgText(jobs: NewJob[]): void {
  jobs.forEach((j, i) => {
    if (j.idempotencyKey !== null && j.idempotencyKey.includes('\u0000')) throw invalid(`jobs[${i}].idempotencyKey`, `jobs[${i}].idempotencyKey must not contain NUL characters`);
    if (j.scheduleName !== null && j.scheduleName.includes('\u0000')) throw invalid(`jobs[${i}].scheduleName`, `jobs[${i}].scheduleName must not contain NUL characters`);
  });
}

function compareIds(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

function encodeCursor(id: string): string {
  return Buffer.from(`id:${id}`, 'utf8').toString('base64url');
}

