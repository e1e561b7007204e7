import type { ClaimedJob, FinishedState, JobProgress, JobRecord, JobState, NewJob } from '../core/job.js';
import type { LeasedTransition, TransitionResult } from '../core/outcome.js';
import type { QueuePolicyOverrides, QueuePolicyPatch } from '../core/queue-policy.js';
import type { ScheduleStore } from './schedule-store.js';

/**
 * The persistence seam. A store speaks in job operations, one params object
 * each; policy (which state comes next, backoff) is decided in `core/` and a
 * store only applies it under a guard (expected state, lease token).
 *
 * Time: every timestamp a store writes or compares comes from the store's own
 * clock (SQLite: the process clock or an injected one; PostgreSQL: now()), so
 * callers pass delays, not instants, wherever a lease or a run time is set.
 *
 * Every method is atomic: it either applies fully or throws and writes nothing.
 *
 * The schedule operations are declared in ScheduleStore (schedule-store.ts);
 * every store implements them.
 */
export interface Store extends ScheduleStore {
  readonly kind: string;
  readonly capabilities: StoreCapabilities;

  /** Creates or upgrades the schema. Idempotent; safe when processes race. */
  migrate(): Promise<void>;
  close(): Promise<void>;
  /** The store's current time. */
  now(): Promise<Date>;

  /**
   * Push notifications from the store: new runnable jobs, cancel requests.
   * In-process only on SQLite; across processes on PostgreSQL (LISTEN/NOTIFY).
   * Delivery is best-effort; workers also poll. Returns an unsubscribe function.
   */
  subscribe(listener: (notification: StoreNotification) => void): () => void;

  // ------------------------------------------------------------------ jobs
  /**
   * Inserts jobs in order, in one transaction. A job whose idempotency key is
   * already held yields the holder (`created: false`), or `job: null` when the
   * holder was pruned but its key kept.
   */
  enqueue(params: EnqueueParams): Promise<EnqueueResult[]>;

  /**
   * Reserves up to `limit` runnable jobs per queue (state waiting/delayed with
   * runAt <= now, queue not paused, name in `names`), in the order priority
   * desc, runAt asc, id asc: each becomes `reserved` (users see it waiting,
   * `reserved: true`) under a fresh lease token for this worker. Its attempt
   * is not counted and it is not `active` until the worker records its start
   * (`applyTransitions`). Never hands one job to two concurrent claimers.
   */
  claimJobs(params: ClaimParams): Promise<ClaimedJob[]>;

  /**
   * Applies a worker's writes about jobs it holds, in order, each under its
   * guard (core's `transitionOperation`): a start (reserved → active: attempt
   * + 1, startedAt = now - startedAgoMs), an outcome (from active, or from
   * reserved when the start comes with it), or the end of a job that never
   * started (reserved → waiting/cancelled, nothing counted). A job no longer
   * held under that token yields 'lease_lost' and is not touched.
   */
  applyTransitions(params: { transitions: LeasedTransition[] }): Promise<TransitionResult[]>;

  /**
   * `applyTransitions` then `claimJobs`, as one atomic operation (one
   * transaction, one round trip, one commit): a busy worker hands in the
   * outcomes of its finished jobs and takes its next ones in a single write.
   * `results` are what applyTransitions would return, `jobs` what claimJobs
   * would; whether a job that a transition made runnable is among `jobs` is
   * unspecified. Bad input in either part throws before anything is written.
   */
  applyAndClaim(params: ApplyAndClaimParams): Promise<ApplyAndClaimResult>;

  /**
   * One heartbeat for all leases of a worker (reserved and active jobs): extends those still held and
   * reports the ones lost and the ones an operator asked to cancel.
   */
  extendLeases(params: ExtendLeasesParams): Promise<ExtendLeasesResult>;

  /** Writes progress of held jobs (reserved or active; coalesced by the worker); returns the ids whose lease was lost. */
  saveProgress(params: { updates: Array<{ jobId: string; leaseToken: string; progress: Omit<JobProgress, 'updatedAt'> }> }): Promise<string[]>;

  /**
   * Applies core's `decideRescue` to jobs whose lease expired (store clock):
   * an active job returns to `waiting` counting a stall, or past `maxStalls`
   * goes to `failed` (or `cancelled` when its cancel was requested); a
   * reserved job returns to `waiting` with nothing counted (`unreserved`).
   */
  rescueExpired(params: { maxStalls: number; limit: number }): Promise<RescueResult>;

  /**
   * Cancels a job: waiting/delayed become `cancelled` at once; a job a
   * worker holds (reserved or active) gets `cancelRequested`, is pushed as
   * `cancel-requested` where the store can push, and its worker records
   * `cancelled` (a reserved job without running it). A reservation that
   * expires with the request pending is cancelled by the rescuer.
   */
  cancelJob(params: { jobId: string; reason: string }): Promise<CancelResult>;

  /** Puts a completed/failed/cancelled job back to `waiting` with a fresh set of attempts. */
  retryJob(params: { jobId: string }): Promise<JobRecord | null>;

  /** Makes a delayed job runnable now ("run now"). Returns null when it is not delayed. */
  promoteJob(params: { jobId: string }): Promise<JobRecord | null>;

  /** Deletes a job that is not active (a reserved one may go: its worker finds the lease gone). Returns false when it did not exist. */
  deleteJob(params: { jobId: string }): Promise<boolean>;

  /** Applies retention to one queue's finished jobs in one state. Returns how many were deleted. */
  pruneJobs(params: PruneParams): Promise<number>;

  getJob(params: { jobId: string }): Promise<JobRecord | null>;
  getJobs(params: { jobIds: string[] }): Promise<JobRecord[]>;
  listJobs(params: ListJobsParams): Promise<JobPage>;
  /** Counts by public state per queue (a reserved job counts as waiting); queues with no jobs but a stored row (paused) are included. */
  countJobs(params?: { queue?: string }): Promise<QueueCounts[]>;

  // ------------------------------------------------------------------ queues
  /**
   * Changes one queue's stored policy (core/queue-policy.ts) as a merge
   * patch, atomically: given keys are set, absent keys kept, `null` clears a
   * key back to the default. `queue` may be ALL_QUEUES (the overrides every
   * queue starts from; `paused` is refused there). Bad input throws a
   * ValidationError (INVALID_NAME / INVALID_OPTION) with nothing written.
   * Un-pausing wakes the queue's subscribers.
   */
  setQueuePolicy(params: SetQueuePolicyParams): Promise<SetQueuePolicyResult>;
  /** The stored overrides of one queue, or of ALL_QUEUES; `{}` when none were set. */
  getQueuePolicy(params: { queue: string }): Promise<QueuePolicyOverrides>;
  /** `setQueuePolicy({ queue, policy: { paused } })`. */
  setQueuePaused(params: { queue: string; paused: boolean }): Promise<void>;
  /** Every queue with jobs or a stored row (not ALL_QUEUES), with its counts and stored policy overrides. */
  listQueues(): Promise<QueueInfo[]>;

  // ------------------------------------------------------------------ workers
  /** Upserts a worker's liveness row (also its registration). */
  recordWorker(params: { worker: WorkerInfoInput }): Promise<void>;
  removeWorker(params: { workerId: string }): Promise<void>;
  /** Workers seen within `aliveWithinMs` (store clock). */
  listWorkers(params: { aliveWithinMs: number }): Promise<WorkerInfo[]>;

  // ------------------------------------------------------------------ stats
  /**
   * Finished-job statistics for the admin API: jobs finished within each
   * window ending now (store clock), and run time (finishedAt - startedAt of
   * the last attempt) per job name over completed and failed jobs finished
   * within `runTimeWindowMs`. Only jobs still stored count (retention prunes).
   */
  jobStats(params: JobStatsParams): Promise<JobStats>;

  /**
   * Finished jobs per time bucket, for charts: `buckets` consecutive buckets
   * of `bucketMs`, the last one ending at the store's now, oldest first. A
   * job counts, by its final state, in the bucket holding its finishedAt;
   * bucket i covers [start + i * bucketMs, start + (i + 1) * bucketMs) with
   * start = now - buckets * bucketMs (a job finished at now itself counts in
   * the last bucket). One pass over the jobs finished in the span, where
   * jobStats windows would read them once per window. Only jobs still stored
   * count.
   */
  jobTimeline(params: JobTimelineParams): Promise<JobTimeline>;
}

export interface JobTimelineParams {
  bucketMs: number;
  /** 1..1440; buckets * bucketMs at most 366 days. */
  buckets: number;
  queue?: string;
}

export interface JobTimeline {
  /** The store's now, where the last bucket ends. */
  at: Date;
  bucketMs: number;
  /** Exactly `buckets` entries, oldest first (empty ones included). */
  buckets: Array<{ start: Date; completed: number; failed: number; cancelled: number }>;
}

export interface JobStatsParams {
  /** Window lengths in ms, each ending at the store's now. */
  windowsMs: number[];
  runTimeWindowMs: number;
  queue?: string;
}

export interface JobStats {
  /** The store's now, where every window ends. */
  at: Date;
  /** In the order of `windowsMs`. */
  windows: Array<{ windowMs: number; completed: number; failed: number; cancelled: number }>;
  /** Sorted by name. p95 is nearest-rank: the smallest run time >= 95 % of the others. */
  byName: Array<{ name: string; completed: number; failed: number; meanRunMs: number | null; p95RunMs: number | null }>;
}

export type StoreNotification =
  | { type: 'jobs-available'; queue: string }
  | { type: 'cancel-requested'; jobId: string };

/**
 * What a store can do that others cannot, declared so shared code can branch
 * on it. Only capabilities something reads at run time are listed: the store
 * kernel's enqueue check (store/input.ts checkEnqueue) reads
 * `transactionalEnqueue`. Push of wake-ups and cancel requests is not a
 * capability: every store pushes to its own process's subscribers (the
 * conformance suite requires it), and workers poll as well.
 */
export interface StoreCapabilities {
  /** `enqueue({ tx })` joins the caller's own transaction; other stores refuse `tx`. */
  transactionalEnqueue: boolean;
}

export interface EnqueueParams {
  jobs: NewJob[];
  /** A store-specific transaction handle (PostgreSQL: a `pg` client inside BEGIN). */
  tx?: unknown;
}

export interface EnqueueResult {
  id: string;
  created: boolean;
  job: JobRecord | null;
}

export interface ClaimParams {
  workerId: string;
  /** Queues to claim from, each with how many jobs this call may take from it. */
  queues: Array<{ queue: string; limit: number }>;
  /** Job names this worker has handlers for; others are left for other workers. */
  names: string[];
  leaseMs: number;
}

export interface ApplyAndClaimParams {
  transitions: LeasedTransition[];
  claim: ClaimParams;
}

export interface ApplyAndClaimResult {
  /** One per transition, in order. */
  results: TransitionResult[];
  /** In claim order, as claimJobs returns them. */
  jobs: ClaimedJob[];
}

export interface ExtendLeasesParams {
  workerId: string;
  leases: Array<{ jobId: string; leaseToken: string }>;
  leaseMs: number;
}

export interface ExtendLeasesResult {
  /** Jobs this worker no longer holds: abort their handlers. */
  lost: string[];
  /** Jobs still held whose cancel was requested. */
  cancelRequested: string[];
}

export interface RescueResult {
  /** Active jobs back to waiting (a stall counted). */
  requeued: string[];
  failed: string[];
  /** Reserved jobs whose worker vanished before starting them: back to waiting, nothing counted. */
  unreserved: string[];
}

export type CancelResult =
  | { outcome: 'cancelled'; job: JobRecord }
  | { outcome: 'cancel_requested'; job: JobRecord }
  | { outcome: 'already_finished'; job: JobRecord }
  | { outcome: 'not_found'; job: null };

export interface PruneParams {
  queue: string;
  state: FinishedState;
  /** Delete jobs that finished longer ago than this. */
  maxAgeMs: number | null;
  /** Keep at most this many (the most recently finished). */
  maxCount: number | null;
  /** Upper bound on deletions per call, so one prune never holds the writer long. */
  limit: number;
}

export interface ListJobsParams {
  queue?: string;
  name?: string;
  states?: JobState[];
  /** Jobs created at or after / before these instants. */
  createdAfter?: Date;
  createdBefore?: Date;
  /** Substring match in the JSON text of the job's data. */
  search?: string;
  scheduleName?: string;
  /** Newest first (default) or oldest first. */
  order?: 'desc' | 'asc';
  limit: number;
  /** Opaque cursor from a previous page's `nextCursor`. */
  cursor?: string | null;
}

export interface JobPage {
  jobs: JobRecord[];
  nextCursor: string | null;
}

export type StateCounts = Record<JobState, number>;

export interface QueueCounts {
  queue: string;
  counts: StateCounts;
}

export interface QueueInfo {
  queue: string;
  paused: boolean;
  counts: StateCounts;
  /** The overrides stored for this queue (absent keys take ALL_QUEUES' or the defaults: core's resolveQueuePolicy). */
  policy: QueuePolicyOverrides;
}

export interface SetQueuePolicyParams {
  queue: string;
  policy: QueuePolicyPatch;
}

export interface SetQueuePolicyResult {
  /** The queue's overrides before and after the change. */
  previous: QueuePolicyOverrides;
  policy: QueuePolicyOverrides;
}

export interface WorkerInfoInput {
  id: string;
  host: string;
  pid: number;
  queues: string[];
  concurrency: number;
  activeJobs: number;
  startedAt: Date;
}

export interface WorkerInfo extends WorkerInfoInput {
  lastHeartbeatAt: Date;
}

export function emptyCounts(): StateCounts {
  return { waiting: 0, delayed: 0, active: 0, completed: 0, failed: 0, cancelled: 0 };
}
