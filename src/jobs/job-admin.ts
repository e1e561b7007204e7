import { z } from 'zod';
import { parseOrThrow } from '../core/config.js';
import { InvalidTransitionError, JobNotFoundError } from '../core/errors.js';
import { JOB_STATES, type JobRecord } from '../core/job.js';
import { ALL_QUEUES, parseQueuePolicyPatch, resolveQueuePolicy, type QueuePolicy, type QueuePolicyOverrides } from '../core/queue-policy.js';
import { assertName, assertText, clipText } from '../core/validate.js';
import type { DocketEventEmitter } from '../runtime/events.js';
import { emptyCounts } from '../store/store.js';
import type {
  CancelResult,
  JobPage,
  JobStats,
  JobStatsParams,
  JobTimeline,
  JobTimelineParams,
  QueueCounts,
  QueueInfo,
  Store,
  WorkerInfo,
} from '../store/store.js';

export interface ListJobsQuery {
  state?: JobRecord['state'] | JobRecord['state'][];
  queue?: string;
  name?: string;
  /** Substring of the job's JSON data. */
  search?: string;
  scheduleName?: string;
  createdAfter?: Date;
  createdBefore?: Date;
  order?: 'desc' | 'asc';
  /** 1..1000, default 50. */
  limit?: number;
  cursor?: string | null;
}

/** What a cancel request got: `cancelled` at once (it was not running), or `cancel_requested` (its worker aborts it). */
export type CancelRequestResult = Exclude<CancelResult, { outcome: 'not_found' }>;

/** A queue as the admin surfaces show it: the store's QueueInfo plus the policy that applies to it. */
export interface AdminQueueInfo extends QueueInfo {
  /** What applies: core's defaults, then the overrides set for every queue, then this queue's (`policy`). */
  effectivePolicy: QueuePolicy;
}

/** What "run now" did: `none` (already waiting), `promoted` (delayed -> waiting) or `retried` (a finished job runs again). */
export interface RunNowResult {
  action: 'none' | 'promoted' | 'retried';
  job: JobRecord;
}

/**
 * The job operations the admin surfaces (HTTP API, dashboard, CLI) use:
 * reads of jobs, queues, workers and statistics, and the operator actions.
 * Structural, so a wrapper (or a test double) can stand in for a Docket's.
 */
export interface JobAdminApi {
  /** What the store is (`sqlite`, `postgres`, …). */
  readonly storeKind: string;
  /** Resolves once the store's schema is current (migrates on the first call; idempotent). */
  ready(): Promise<void>;
  /** The store's clock: every time the admin surfaces show is relative to it. */
  now(): Promise<Date>;
  get(jobId: string): Promise<JobRecord | null>;
  list(query?: ListJobsQuery): Promise<JobPage>;
  /** JobNotFoundError for an unknown id; `already_finished` is returned, not thrown. */
  cancel(jobId: string, options?: { reason?: string }): Promise<CancelRequestResult>;
  /** Finished -> waiting with a fresh set of attempts; JobNotFoundError / InvalidTransitionError otherwise. */
  retry(jobId: string): Promise<JobRecord>;
  /** Delayed -> runnable now; finished -> retry; waiting -> nothing; active -> InvalidTransitionError. */
  runNow(jobId: string): Promise<RunNowResult>;
  /** Deletes a job that is not active (its idempotency key is released); JobNotFoundError / InvalidTransitionError. */
  delete(jobId: string): Promise<void>;
  counts(params?: { queue?: string }): Promise<QueueCounts[]>;
  /** Every queue with jobs or a stored row, with counts, its stored policy overrides and its effective policy. */
  listQueues(): Promise<AdminQueueInfo[]>;
  /** One queue (an unknown name answers zero counts and the default policy). */
  getQueue(queue: string): Promise<AdminQueueInfo>;
  /**
   * Changes a queue's policy for every process, at once (a merge patch: given
   * keys set, `null` back to the default, e.g. `{ retention: { completed: { maxCount: 500 } } }`).
   * Overrides a config declaration until the next `start()` that declares the
   * same key. ValidationError (INVALID_NAME, INVALID_OPTION) with nothing written.
   */
  setQueuePolicy(queue: string, patch: unknown): Promise<AdminQueueInfo>;
  pauseQueue(queue: string): Promise<void>;
  resumeQueue(queue: string): Promise<void>;
  /** Workers of every process seen within `aliveWithinMs` (store clock). */
  listWorkers(params: { aliveWithinMs: number }): Promise<WorkerInfo[]>;
  stats(params: JobStatsParams): Promise<JobStats>;
  /** Per-bucket finished counts in one pass over the jobs finished in the span. */
  timeline(params: JobTimelineParams): Promise<JobTimeline>;
}

export interface JobAdminDeps {
  store: Store;
  events: DocketEventEmitter;
  /** Migrates the store once (the Docket's, so every path shares one migration). */
  ready: () => Promise<void>;
}

/** The largest page `list` returns (API `limit`, CLI `--limit`). */
export const MAX_LIST_LIMIT = 1_000;

const stateSchema = z.enum(JOB_STATES);
const listJobsSchema = z
  .object({
    state: z.union([stateSchema, z.array(stateSchema)]).optional(),
    queue: z.string().optional(),
    name: z.string().optional(),
    search: z.string().max(1_000).optional(),
    scheduleName: z.string().optional(),
    createdAfter: z.date().optional(),
    createdBefore: z.date().optional(),
    order: z.enum(['desc', 'asc']).optional(),
    limit: z.number().int().min(1).max(MAX_LIST_LIMIT).optional(),
    cursor: z.string().nullable().optional(),
  })
  .strict();

const DEFAULT_CANCEL_REASON = 'cancelled by request';
const MAX_REASON_LENGTH = 500;

/**
 * The job-admin layer, beside `scheduler/schedule-admin.ts`: what an operator
 * does to jobs, queues and workers, in one place, so the HTTP API, the
 * dashboard and the CLI never reach past the Docket to the store. Every call
 * waits for the store's schema first; actions emit their events here.
 */
export class JobAdmin implements JobAdminApi {
  constructor(private readonly deps: JobAdminDeps) {}

  get storeKind(): string {
    return this.deps.store.kind;
  }

  ready(): Promise<void> {
    return this.deps.ready();
  }

  async now(): Promise<Date> {
    await this.deps.ready();
    return this.deps.store.now();
  }

  async get(jobId: string): Promise<JobRecord | null> {
    await this.deps.ready();
    return this.deps.store.getJob({ jobId: String(jobId) });
  }

  async list(query: ListJobsQuery = {}): Promise<JobPage> {
    const { state, limit, ...q } = parseOrThrow(listJobsSchema, query, 'INVALID_OPTION', 'query');
    await this.deps.ready();
    return this.deps.store.listJobs({
      ...q,
      ...(state === undefined ? {} : { states: Array.isArray(state) ? state : [state] }),
      limit: limit ?? 50,
    });
  }

  /**
   * The first step of a cancel (see ARCHITECTURE.md, "How a cancel reaches a
   * running job"): a waiting or delayed job is `cancelled` at once; for an
   * active one the store records the request and tells the owning worker
   * (push where it can, else at its next heartbeat), which aborts the attempt.
   */
  async cancel(jobId: string, options: { reason?: string } = {}): Promise<CancelRequestResult> {
    await this.deps.ready();
    const reason = typeof options.reason === 'string' && options.reason ? clipText(assertText('options.reason', options.reason), MAX_REASON_LENGTH) : DEFAULT_CANCEL_REASON;
    const result = await this.deps.store.cancelJob({ jobId: String(jobId), reason });
    if (result.outcome === 'not_found') throw new JobNotFoundError(String(jobId));
    if (result.outcome === 'cancelled') {
      this.deps.events.emit('job:cancelled', { jobId: result.job.id, name: result.job.name, queue: result.job.queue, reason });
    }
    return result;
  }

  async retry(jobId: string): Promise<JobRecord> {
    await this.deps.ready();
    const job = await this.deps.store.retryJob({ jobId: String(jobId) });
    if (job) return job;
    const current = await this.deps.store.getJob({ jobId: String(jobId) });
    if (!current) throw new JobNotFoundError(String(jobId));
    // Only finished jobs can be retried (RETRYABLE_STATES); a waiting or active one already runs.
    throw new InvalidTransitionError(current.state, 'waiting', current.id);
  }

  async runNow(jobId: string): Promise<RunNowResult> {
    const job = await this.mustGet(String(jobId));
    if (job.state === 'waiting') return { action: 'none', job };
    if (job.state === 'delayed') {
      const promoted = await this.deps.store.promoteJob({ jobId: job.id });
      if (promoted) return { action: 'promoted', job: promoted };
      // it became due, was claimed or cancelled meanwhile: report what it is now
      const now = await this.mustGet(job.id);
      if (now.state === 'waiting') return { action: 'none', job: now };
      throw new InvalidTransitionError(now.state, 'waiting', job.id);
    }
    // finished: the same as retry; active: retry refuses (InvalidTransitionError)
    return { action: 'retried', job: await this.retry(job.id) };
  }

  async delete(jobId: string): Promise<void> {
    await this.deps.ready();
    // the store refuses an active job itself (InvalidTransitionError), atomically
    if (!(await this.deps.store.deleteJob({ jobId: String(jobId) }))) throw new JobNotFoundError(String(jobId));
  }

  async counts(params?: { queue?: string }): Promise<QueueCounts[]> {
    await this.deps.ready();
    return this.deps.store.countJobs(params);
  }

  async listQueues(): Promise<AdminQueueInfo[]> {
    await this.deps.ready();
    const [all, queues] = await Promise.all([this.deps.store.getQueuePolicy({ queue: ALL_QUEUES }), this.deps.store.listQueues()]);
    return queues.map((q) => withEffective(q, all));
  }

  async getQueue(queue: string): Promise<AdminQueueInfo> {
    assertName('queue', queue);
    const found = (await this.listQueues()).find((q) => q.queue === queue);
    if (found) return found;
    const all = await this.deps.store.getQueuePolicy({ queue: ALL_QUEUES });
    return withEffective({ queue, paused: false, counts: emptyCounts(), policy: {} }, all);
  }

  async setQueuePolicy(queue: string, patch: unknown): Promise<AdminQueueInfo> {
    assertName('queue', queue);
    const policy = parseQueuePolicyPatch(patch, 'policy', queue);
    await this.deps.ready();
    await this.deps.store.setQueuePolicy({ queue, policy });
    return this.getQueue(queue);
  }

  async pauseQueue(queue: string): Promise<void> {
    await this.deps.ready();
    await this.deps.store.setQueuePaused({ queue: assertName('queue', queue), paused: true });
  }

  async resumeQueue(queue: string): Promise<void> {
    await this.deps.ready();
    await this.deps.store.setQueuePaused({ queue: assertName('queue', queue), paused: false });
  }

  async listWorkers(params: { aliveWithinMs: number }): Promise<WorkerInfo[]> {
    await this.deps.ready();
    return this.deps.store.listWorkers(params);
  }

  async stats(params: JobStatsParams): Promise<JobStats> {
    await this.deps.ready();
    return this.deps.store.jobStats(params);
  }

  async timeline(params: JobTimelineParams): Promise<JobTimeline> {
    await this.deps.ready();
    return this.deps.store.jobTimeline(params);
  }

  private async mustGet(jobId: string): Promise<JobRecord> {
    const job = await this.get(jobId);
    if (!job) throw new JobNotFoundError(jobId);
    return job;
  }
}

function withEffective(q: QueueInfo, all: QueuePolicyOverrides): AdminQueueInfo {
  return { ...q, effectivePolicy: resolveQueuePolicy(all, q.policy) };
}
