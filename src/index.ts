// The public surface of `docket`: explicit named exports only.

export { Docket, type DocketOptions, type EnqueueCallOptions, type EnqueuedJob, type JobHandle, type ListJobsQuery, type WaitOptions } from './docket.js';
export { DocketEventEmitter, type AttemptUsage, type DocketEventName, type DocketEvents, type DocketListener, type JobEventBase, type ScheduleEventBase, type ScheduleFireRange } from './runtime/events.js';
export type { DefineJobOptions, HandlerModule, Isolation, JobDefinition, JobHandler } from './jobs/job-definition.js';
export type { CancelRequestResult, JobAdmin, JobAdminApi, RunNowResult } from './jobs/job-admin.js';
export type { StandardSchemaV1 } from './jobs/standard-schema.js';
export type { JobContext } from './worker/job-context.js';
export type { Service } from './runtime/service.js';

// Handler outcomes and typed errors (switch on `code`).
export {
  AbortReason,
  DocketError,
  ERROR_CODES,
  HandlerCrashedError,
  InvalidTransitionError,
  JobCancelledError,
  JobFailedError,
  JobNotFoundError,
  JobTimeoutError,
  LeaseLostError,
  OutOfMemoryError,
  ScheduleNotFoundError,
  PermanentError,
  isPermanentError,
  isSnoozeSignal,
  SnoozeSignal,
  StoreClosedError,
  UnknownJobError,
  ValidationError,
  WaitTimeoutError,
  isDocketError,
  type ErrorCode,
} from './core/errors.js';

// The job model.
export { FINISHED_STATES, JOB_STATES, UNFINISHED_STATES, type ClaimedJob, type JobFailure, type JobProgress, type JobRecord, type JobState, type Json, type NewJob } from './core/job.js';
export type { AttemptOutcome, LeasedTransition, TransitionResult } from './core/outcome.js';
export type { Backoff, RetryPolicy } from './core/next-state.js';

// Configuration: named defaults and the option types.
export {
  DEFAULT_CANCEL_GRACE_MS,
  DEFAULT_CONCURRENCY,
  DEFAULT_EVENT_LOOP_LAG_WARN_MS,
  DEFAULT_RECYCLE_AFTER_JOBS,
  DEFAULT_LEASE_MS,
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_MAX_PAYLOAD_BYTES,
  DEFAULT_MAX_STALLS,
  DEFAULT_POLL_INTERVAL_MS,
  DEFAULT_PRIORITY,
  DEFAULT_PROGRESS_FLUSH_MS,
  DEFAULT_PRUNE_INTERVAL_MS,
  DEFAULT_QUEUE,
  DEFAULT_RESCUE_INTERVAL_MS,
  DEFAULT_RETENTION,
  DEFAULT_RETRY_POLICY,
  DEFAULT_SHUTDOWN_GRACE_MS,
  DEFAULT_WORKER_HEARTBEAT_MS,
  type CoreConfig,
  type EnqueueOptions,
  type RetentionPolicy,
  type RetentionRule,
} from './core/config.js';
// Queue policy (stored per queue, the same in every process): shapes, defaults, resolution.
export {
  ALL_QUEUES,
  DEFAULT_QUEUE_POLICY,
  UNLIMITED,
  resolveQueuePolicy,
  type PolicyLimit,
  type QueuePolicy,
  type QueuePolicyOverrides,
  type QueuePolicyPatch,
} from './core/queue-policy.js';
export type { AdminQueueInfo } from './jobs/job-admin.js';
// Payload rules every store shares (README: payloads): nesting limit of job data and results.
export { MAX_JSON_DEPTH } from './core/validate.js';

// Schedules: triggers, policy, and what docket.listSchedules() / getSchedule() return.
export type { ScheduleConfig, ScheduleOptions } from './scheduler/declarations.js';
export type { ScheduleDetails, ScheduleInfo } from './scheduler/schedule-info.js';
export type { SchedulerPass } from './scheduler/scheduler.js';
export {
  DEFAULT_SCHEDULER_BATCH_SIZE,
  DEFAULT_SCHEDULER_LOOKAHEAD_MS,
  DEFAULT_SCHEDULER_TICK_MS,
  type SchedulerConfig,
  type SchedulerOptions,
} from './scheduler/scheduler-config.js';
export {
  DEFAULT_CATCH_UP,
  DEFAULT_CATCH_UP_MAX,
  DEFAULT_MISFIRE_GRACE_MS,
  describeTrigger,
  nextFireTimes,
  parseTrigger,
  type CatchUp,
  type SchedulePolicy,
  type SchedulePolicyInput,
  type Trigger,
  type TriggerInput,
} from './core/schedule.js';

// The clock seam (tests: `ManualClock` from `docket/testing`).
export { systemClock, type Clock, type TimerHandle } from './core/clock.js';

// The Store seam, for store authors and admin tooling.
export type {
  CancelResult,
  JobPage,
  QueueCounts,
  QueueInfo,
  SetQueuePolicyParams,
  SetQueuePolicyResult,
  StateCounts,
  Store,
  StoreCapabilities,
  StoreNotification,
  WorkerInfo,
} from './store/store.js';
export {
  FIRE_HISTORY_LIMIT,
  type ClaimFireParams,
  type ClaimFireResult,
  type DueSchedules,
  type ScheduleDeclaration,
  type ScheduleFire,
  type ScheduleFireKind,
  type ScheduleJobTemplate,
  type ScheduleRecord,
  type ScheduleState,
  type ScheduleStore,
} from './store/schedule-store.js';

// The config file of the `docket` CLI (docket.config.ts): `export default defineConfig({ ... })`.
export { defineConfig, type ConfigTeardown, type DocketApiConfig, type DocketConfig } from './cli/define-config.js';
