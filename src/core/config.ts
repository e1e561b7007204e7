import { z } from 'zod';
import { ValidationError } from './errors.js';
import { DEFAULT_MAX_ATTEMPTS, DEFAULT_RETRY_POLICY, type Backoff, type RetryPolicy } from './next-state.js';
import { DEFAULT_RETENTION, MAX_RETENTION_AGE_MS, MAX_RETENTION_COUNT, UNLIMITED, type QueuePolicyOverrides } from './queue-policy.js';
import { DEFAULT_MAX_PAYLOAD_BYTES, NAME_PATTERN, textProblem } from './validate.js';

// ---------------------------------------------------------------- named defaults

export const DEFAULT_QUEUE = 'default';
export const DEFAULT_PRIORITY = 0;
export const MIN_PRIORITY = -1_000_000;
export const MAX_PRIORITY = 1_000_000;
export const DEFAULT_CONCURRENCY = 10;
export const DEFAULT_LEASE_MS = 30_000;
export const DEFAULT_POLL_INTERVAL_MS = 500;
export const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;
export const DEFAULT_CANCEL_GRACE_MS = 5_000;
export const DEFAULT_PROGRESS_FLUSH_MS = 250;
export const DEFAULT_RESCUE_INTERVAL_MS = 1_000;
export const DEFAULT_PRUNE_INTERVAL_MS = 60_000;
export const DEFAULT_MAX_STALLS = 3;
export const DEFAULT_WORKER_HEARTBEAT_MS = 5_000;
export { DEFAULT_MAX_ATTEMPTS, DEFAULT_MAX_PAYLOAD_BYTES, DEFAULT_RETENTION, DEFAULT_RETRY_POLICY };
export type { RetentionPolicy, RetentionRule } from './queue-policy.js';

// ---------------------------------------------------------------- schemas

const name = z.string().regex(NAME_PATTERN, `must match ${NAME_PATTERN}`);
const ms = z.number().int().nonnegative();
const positiveMs = z.number().int().positive();

/**
 * Declared retention (config `retention` and `queues.<q>.retention`): a limit is
 * a number, or `null` / `'unlimited'` for no limit; a key left out takes the
 * default. Declared at start as queue policy in the store (core/queue-policy.ts).
 */
const retentionLimit = (max: number) => z.union([z.number().int().min(0).max(max), z.literal(UNLIMITED)]).nullable().optional();
const retentionRule = z.object({ maxAgeMs: retentionLimit(MAX_RETENTION_AGE_MS), maxCount: retentionLimit(MAX_RETENTION_COUNT) }).strict();
const retentionInput = z
  .object({ completed: retentionRule.optional(), failed: retentionRule.optional(), cancelled: retentionRule.optional() })
  .strict();

const backoffSchema = z.union([
  z.object({ type: z.literal('fixed'), delayMs: ms }).strict(),
  z.object({ type: z.literal('exponential'), delayMs: ms, factor: z.number().min(1).optional() }).strict(),
  z.custom<(attempt: number, error: unknown) => number>((v) => typeof v === 'function', 'must be a function'),
]);

const retrySchema = z
  .object({
    backoff: backoffSchema.optional(),
    jitter: z.number().min(0).max(1).optional(),
    maxDelayMs: ms.optional(),
  })
  .strict();

/** Options a job definition may set for all its jobs; enqueue may override some. */
export const jobOptionsSchema = z
  .object({
    queue: name.optional(),
    priority: z.number().int().min(MIN_PRIORITY).max(MAX_PRIORITY).optional(),
    maxAttempts: z.number().int().min(1).max(1_000).optional(),
    timeoutMs: positiveMs.nullable().optional(),
    retry: retrySchema.optional(),
  })
  .strict();
export type JobOptionsInput = z.input<typeof jobOptionsSchema>;

/** A string every store keeps as given: no NUL, no lone surrogate (validate.ts textProblem); refused, never altered. */
export const storableText = z.string().superRefine((s, ctx) => {
  const problem = textProblem(s);
  if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
});

export const enqueueOptionsSchema = z
  .object({
    queue: name.optional(),
    priority: z.number().int().min(MIN_PRIORITY).max(MAX_PRIORITY).optional(),
    delayMs: ms.optional(),
    runAt: z.date().optional(),
    maxAttempts: z.number().int().min(1).max(1_000).optional(),
    timeoutMs: positiveMs.nullable().optional(),
    idempotencyKey: storableText.min(1).max(512).optional(),
    keepKeyForever: z.boolean().optional(),
    releaseKeyOnFailure: z.boolean().optional(),
  })
  .strict()
  .refine((o) => !(o.delayMs !== undefined && o.runAt !== undefined), {
    message: 'give delayMs or runAt, not both',
    path: ['runAt'],
  })
  .refine((o) => o.runAt === undefined || !Number.isNaN(o.runAt.getTime()), { message: 'is an invalid Date', path: ['runAt'] });
export type EnqueueOptions = z.input<typeof enqueueOptionsSchema>;

const queueOptions = z
  .object({
    /** Jobs of this queue one worker runs at once (within the worker's total). */
    concurrency: z.number().int().positive().optional(),
    /** Declared queue policy, written to the store at start. */
    retention: retentionInput.optional(),
  })
  .strict();

const workerSchema = z
  .object({
    enabled: z.boolean().optional(),
    concurrency: z.number().int().positive().max(10_000).optional(),
    queues: z.array(name).min(1).optional(),
    leaseMs: z.number().int().min(50).optional(),
    heartbeatMs: positiveMs.optional(),
    pollIntervalMs: z.number().int().min(5).optional(),
    claimBatchSize: z.number().int().positive().max(10_000).optional(),
    shutdownGraceMs: ms.optional(),
    cancelGraceMs: ms.optional(),
    progressFlushMs: ms.optional(),
    id: z.string().min(1).max(200).optional(),
    /** Log a warning naming the running in-process jobs when the event loop lags this long (0: off). */
    eventLoopLagWarnMs: ms.optional(),
    /** Isolated handlers (threads, child processes): when a thread or process is replaced by a fresh one. */
    isolation: z
      .object({
        recycleAfterJobs: z.number().int().positive().optional(),
        recycleAboveMb: z.number().int().positive().nullable().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

const maintenanceSchema = z
  .object({
    enabled: z.boolean().optional(),
    rescueIntervalMs: z.number().int().min(10).optional(),
    pruneIntervalMs: z.number().int().min(10).optional(),
    maxStalls: z.number().int().min(0).optional(),
  })
  .strict();

export const docketOptionsSchema = z
  .object({
    worker: workerSchema.optional(),
    maintenance: maintenanceSchema.optional(),
    queues: z.record(name, queueOptions).optional(),
    retention: retentionInput.optional(),
    maxPayloadBytes: z.number().int().positive().optional(),
  })
  .passthrough();

// ---------------------------------------------------------------- resolved config

export interface WorkerConfig {
  enabled: boolean;
  /** Explicit queue list; null means the queues of the defined jobs. */
  queues: string[] | null;
  concurrency: number;
  leaseMs: number;
  heartbeatMs: number;
  pollIntervalMs: number;
  claimBatchSize: number;
  shutdownGraceMs: number;
  cancelGraceMs: number;
  progressFlushMs: number;
  id: string | null;
  eventLoopLagWarnMs: number;
  isolation: IsolationConfig;
}

/** How the worker recycles the threads and child processes that run isolated handlers. */
export interface IsolationConfig {
  /** A thread or process is replaced after running this many jobs. */
  recycleAfterJobs: number;
  /** ... or when, after a job, its V8 heap (thread) or RSS (process) is above this many MB (null: never). */
  recycleAboveMb: number | null;
}

export const DEFAULT_RECYCLE_AFTER_JOBS = 1_000;
export const DEFAULT_EVENT_LOOP_LAG_WARN_MS = 1_000;

export interface MaintenanceConfig {
  enabled: boolean;
  rescueIntervalMs: number;
  pruneIntervalMs: number;
  maxStalls: number;
}

export interface QueueConfig {
  /** Per worker process (this process's setting, not queue policy). */
  concurrency: number | null;
}

/**
 * The queue policy this config declares: only the keys it sets (a key left
 * out is not declared, so the stored value or the default stays). `all`
 * (top-level `retention`) is stored under ALL_QUEUES, `queues` per queue.
 * `Docket.start()` writes them to the store (jobs/queue-policies.ts).
 */
export interface DeclaredQueuePolicies {
  all: QueuePolicyOverrides;
  queues: Record<string, QueuePolicyOverrides>;
}

export interface CoreConfig {
  worker: WorkerConfig;
  maintenance: MaintenanceConfig;
  queues: Record<string, QueueConfig>;
  policies: DeclaredQueuePolicies;
  maxPayloadBytes: number;
}

export type CoreConfigInput = z.input<typeof docketOptionsSchema>;

/** Validates and fills in defaults. Errors name the offending field. */
export function resolveCoreConfig(input: unknown): CoreConfig {
  const o = parseOrThrow(docketOptionsSchema, input ?? {}, 'INVALID_CONFIG', '');
  const w = o.worker ?? {};
  const leaseMs = w.leaseMs ?? DEFAULT_LEASE_MS;
  const concurrency = w.concurrency ?? DEFAULT_CONCURRENCY;
  const heartbeatMs = w.heartbeatMs ?? Math.max(10, Math.floor(leaseMs / 3));
  if (heartbeatMs >= leaseMs) {
    throw new ValidationError('INVALID_CONFIG', 'worker.heartbeatMs', `worker.heartbeatMs (${heartbeatMs}) must be shorter than worker.leaseMs (${leaseMs})`);
  }
  const queues: Record<string, QueueConfig> = {};
  const policies: DeclaredQueuePolicies = { all: declaredOverrides(o.retention), queues: {} };
  for (const [q, qo] of Object.entries(o.queues ?? {})) {
    queues[q] = { concurrency: qo.concurrency ?? null };
    const declared = declaredOverrides(qo.retention);
    if (declared.retention) policies.queues[q] = declared;
  }
  const m = o.maintenance ?? {};
  return {
    worker: {
      enabled: w.enabled ?? true,
      queues: w.queues ?? null,
      concurrency,
      leaseMs,
      heartbeatMs,
      pollIntervalMs: w.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS,
      claimBatchSize: w.claimBatchSize ?? concurrency,
      shutdownGraceMs: w.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS,
      cancelGraceMs: w.cancelGraceMs ?? DEFAULT_CANCEL_GRACE_MS,
      progressFlushMs: w.progressFlushMs ?? DEFAULT_PROGRESS_FLUSH_MS,
      id: w.id ?? null,
      eventLoopLagWarnMs: w.eventLoopLagWarnMs ?? DEFAULT_EVENT_LOOP_LAG_WARN_MS,
      isolation: {
        recycleAfterJobs: w.isolation?.recycleAfterJobs ?? DEFAULT_RECYCLE_AFTER_JOBS,
        recycleAboveMb: w.isolation?.recycleAboveMb ?? null,
      },
    },
    maintenance: {
      enabled: m.enabled ?? true,
      rescueIntervalMs: m.rescueIntervalMs ?? DEFAULT_RESCUE_INTERVAL_MS,
      pruneIntervalMs: m.pruneIntervalMs ?? DEFAULT_PRUNE_INTERVAL_MS,
      maxStalls: m.maxStalls ?? DEFAULT_MAX_STALLS,
    },
    queues,
    policies,
    maxPayloadBytes: o.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES,
  };
}

/** The retry policy of a job definition, defaults filled in. */
export function resolveRetryPolicy(input: JobOptionsInput['retry']): RetryPolicy {
  return {
    backoff: (input?.backoff as Backoff | undefined) ?? DEFAULT_RETRY_POLICY.backoff,
    jitter: input?.jitter ?? DEFAULT_RETRY_POLICY.jitter,
    maxDelayMs: input?.maxDelayMs ?? DEFAULT_RETRY_POLICY.maxDelayMs,
  };
}

/** Declared retention as stored overrides: only the keys given; `null` (no limit, as in earlier configs) becomes 'unlimited'. */
function declaredOverrides(input: z.infer<typeof retentionInput> | undefined): QueuePolicyOverrides {
  const out: QueuePolicyOverrides = {};
  for (const state of ['completed', 'failed', 'cancelled'] as const) {
    const rule = input?.[state];
    for (const key of ['maxAgeMs', 'maxCount'] as const) {
      const v = rule?.[key];
      if (v !== undefined) ((out.retention ??= {})[state] ??= {})[key] = v ?? UNLIMITED;
    }
  }
  return out;
}

/**
 * Parses with a zod schema; the first issue becomes a ValidationError whose
 * `field` is the dotted path under `prefix`.
 */
export function parseOrThrow<S extends z.ZodType>(
  schema: S,
  value: unknown,
  code: 'INVALID_CONFIG' | 'INVALID_OPTION',
  prefix: string,
): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
  const field = path || prefix || '(root)';
  const unknownKeys = issue.code === 'unrecognized_keys' ? (issue as { keys?: string[] }).keys : undefined;
  const message = unknownKeys
    ? `${field}: unknown option${unknownKeys.length > 1 ? 's' : ''} ${unknownKeys.map((k) => JSON.stringify(k)).join(', ')}`
    : `${field}: ${issue.message}`;
  return throwValidation(code, unknownKeys ? [path, unknownKeys[0]].filter(Boolean).join('.') : field, message);
}

function throwValidation(code: 'INVALID_CONFIG' | 'INVALID_OPTION', field: string, message: string): never {
  throw new ValidationError(code, field, message);
}
