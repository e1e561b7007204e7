import { z } from '@hono/zod-openapi';
import { MAX_PRIORITY, MIN_PRIORITY, storableText } from '../../core/config.js';
import { JOB_STATES, type JobRecord } from '../../core/job.js';
import { UNLIMITED } from '../../core/queue-policy.js';
import { NAME_PATTERN } from '../../core/validate.js';
import { PROBLEM_CONTENT_TYPE } from '../kit/problem.js';

/**
 * The API's zod schemas: they validate requests AND generate the OpenAPI
 * document (one source of truth). Dates travel as ISO 8601 strings.
 */

export const nameSchema = z.string().regex(NAME_PATTERN).openapi({ example: 'send-email', description: `matches ${NAME_PATTERN}` });
/** Store-assigned, opaque; the pattern only keeps junk out of store calls. */
export const jobIdSchema = z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/).openapi({ example: '42' });
const isoDate = z.iso.datetime({ offset: true }).openapi({ example: '2026-01-01T12:00:00.000Z' });
const stateSchema = z.enum(JOB_STATES).openapi('JobState');

/**
 * An integer query parameter in [min, max], written in decimal digits only:
 * `null`, an empty value, `1e2`, `0x10` or ` 5` answer 400 INVALID_OPTION
 * (z.coerce would have read `''` as 0 and `1e2` as 100). Documented as an integer.
 */
export function intQuery(min: number, max: number, description: string) {
  return z
    .string()
    .regex(/^(0|[1-9][0-9]{0,14})$/, 'must be an integer in decimal digits')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max))
    .optional()
    .openapi({ type: 'integer', minimum: min, maximum: max, description: `${description}; decimal digits only (anything else, \`null\` or empty too, answers 400 INVALID_OPTION)` });
}

export const STATES_LIST_PATTERN = new RegExp(`^(${JOB_STATES.join('|')})(,(${JOB_STATES.join('|')}))*$`);

export const ProblemSchema = z
  .object({
    type: z.string().openapi({ example: 'urn:docket:problem:JOB_NOT_FOUND' }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string().openapi({ description: 'stable error code; switch on this, not on the message', example: 'JOB_NOT_FOUND' }),
    field: z.string().optional().openapi({ description: 'dotted path of the offending field (validation problems)' }),
    details: z.record(z.string(), z.unknown()).optional(),
    retryAfter: z.number().int().optional().openapi({ description: 'seconds (429 only)' }),
  })
  .openapi('Problem');

export function problemContent(description: string) {
  return { description, content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemSchema } } } as const;
}

export function jsonContent<S extends z.ZodType>(schema: S, description: string) {
  return { description, content: { 'application/json': { schema } } } as const;
}

/** A 201 answer that created a job: the body, and in `Location` where to read the job. */
export function createdJobContent<S extends z.ZodType>(schema: S, description: string) {
  return {
    ...jsonContent(schema, description),
    headers: {
      Location: {
        description: 'the new job, as a path on this server: `{server}/api/v1/jobs/{id}`, where `{server}` is the URL in `servers` (the basePath the app is mounted at)',
        required: true,
        schema: { type: 'string', format: 'uri-reference', example: '/api/v1/jobs/42' },
      },
    },
  } as const;
}

export const StateCountsSchema = z.object(Object.fromEntries(JOB_STATES.map((s) => [s, z.number().int()])) as Record<(typeof JOB_STATES)[number], z.ZodNumber>).openapi('StateCounts');

const FailureSchema = z
  .object({
    message: z.string(),
    name: z.string(),
    code: z.string().nullable(),
    stack: z.string().nullable(),
    attempt: z.number().int(),
    at: isoDate,
  })
  .openapi('JobFailure');

const ProgressSchema = z
  .object({ current: z.number(), total: z.number().nullable(), message: z.string().nullable(), updatedAt: isoDate })
  .openapi('JobProgress');

export const JobSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    queue: z.string(),
    state: stateSchema,
    reserved: z.boolean().openapi({
      description: 'a waiting job a worker holds ahead of a free slot (claimed ahead, handler not started; workerId names it): it starts within about 50 ms, or goes back to line if that worker dies',
    }),
    data: z.unknown(),
    priority: z.number().int(),
    runAt: isoDate,
    createdAt: isoDate,
    startedAt: isoDate.nullable(),
    finishedAt: isoDate.nullable(),
    attempt: z.number().int().openapi({ description: 'attempts started so far' }),
    maxAttempts: z.number().int(),
    timeoutMs: z.number().int().nullable(),
    stalls: z.number().int(),
    workerId: z.string().nullable(),
    leaseExpiresAt: isoDate.nullable(),
    cancelRequested: z.boolean(),
    progress: ProgressSchema.nullable(),
    result: z.unknown(),
    error: FailureSchema.nullable().openapi({ description: 'the most recent failure, with its stack' }),
    idempotencyKey: z.string().nullable(),
    scheduleName: z.string().nullable(),
    fireTime: isoDate.nullable(),
    unreadable: z
      .object({ fields: z.array(z.string()), message: z.string() })
      .optional()
      .openapi({ description: 'present only when stored fields could not be read (corrupt JSON, a value out of range): those fields hold stand-ins (data/result: the raw stored text); a claim fails such a job with code UNREADABLE_JOB' }),
  })
  .openapi('Job');
export type JobView = z.infer<typeof JobSchema>;

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

/** A JobRecord as the API shows it. The lease token is left out: it is a worker's write credential. */
export function jobView(job: JobRecord): JobView {
  return {
    id: job.id,
    name: job.name,
    queue: job.queue,
    state: job.state,
    reserved: job.reserved,
    data: job.data,
    priority: job.priority,
    runAt: job.runAt.toISOString(),
    createdAt: job.createdAt.toISOString(),
    startedAt: iso(job.startedAt),
    finishedAt: iso(job.finishedAt),
    attempt: job.attempt,
    maxAttempts: job.maxAttempts,
    timeoutMs: job.timeoutMs,
    stalls: job.stalls,
    workerId: job.workerId,
    leaseExpiresAt: iso(job.leaseExpiresAt),
    cancelRequested: job.cancelRequested,
    progress: job.progress ? { ...job.progress, updatedAt: job.progress.updatedAt.toISOString() } : null,
    result: job.result ?? null,
    error: job.error ? { ...job.error, at: job.error.at.toISOString() } : null,
    idempotencyKey: job.idempotencyKey,
    scheduleName: job.scheduleName,
    fireTime: iso(job.fireTime),
    ...(job.unreadable ? { unreadable: job.unreadable } : {}),
  };
}

export const JobPageSchema = z
  .object({ jobs: z.array(JobSchema), nextCursor: z.string().nullable().openapi({ description: 'pass as `cursor` for the next page; null on the last page' }) })
  .openapi('JobPage');

export const ListJobsQuery = z.object({
  state: z.string().regex(STATES_LIST_PATTERN).optional().openapi({ description: 'one state or a comma-separated list', example: 'failed,cancelled' }),
  queue: nameSchema.optional(),
  name: nameSchema.optional(),
  createdAfter: isoDate.optional().openapi({ description: 'created at or after this instant' }),
  createdBefore: isoDate.optional().openapi({ description: 'created before this instant' }),
  search: z.string().min(1).max(200).optional().openapi({ description: 'substring of the JSON text of the job data' }),
  order: z.enum(['desc', 'asc']).optional().openapi({ description: 'newest first (default) or oldest first' }),
  limit: intQuery(1, 500, 'page size, default 50'),
  cursor: z.string().min(1).max(1000).optional(),
});

export const EnqueueBody = z
  .object({
    name: nameSchema,
    data: z.unknown().optional().openapi({ description: 'JSON job data; null when left out' }),
    queue: nameSchema.optional(),
    priority: z.number().int().min(MIN_PRIORITY).max(MAX_PRIORITY).optional().openapi({ description: 'higher runs first' }),
    delayMs: z.number().int().nonnegative().optional(),
    runAt: isoDate.optional(),
    idempotencyKey: storableText.min(1).max(512).optional(),
    keepKeyForever: z.boolean().optional().openapi({ description: 'keep the idempotency key after the job is pruned (run-once work)' }),
    releaseKeyOnFailure: z.boolean().optional().openapi({ description: 'free the key when the job ends failed' }),
    maxAttempts: z.number().int().min(1).max(1000).optional(),
    timeoutMs: z.number().int().positive().nullable().optional(),
  })
  .strict()
  .refine((b) => !(b.delayMs !== undefined && b.runAt !== undefined), { message: 'give delayMs or runAt, not both', path: ['runAt'] })
  .openapi('EnqueueRequest', {
    description: '`delayMs` and `runAt` exclude each other: a body with both answers 400 INVALID_OPTION (field `runAt`). Unknown fields answer 400 INVALID_OPTION too.',
    // the properties are named again inside `not` so that linters see the required names defined
    not: { required: ['delayMs', 'runAt'], properties: { delayMs: {}, runAt: {} } },
  });

export const EnqueueResponseSchema = z
  .object({ id: z.string(), created: z.boolean(), job: JobSchema.nullable().openapi({ description: 'null when the idempotency key is held by a pruned job' }) })
  .openapi('EnqueueResponse');

const limitSchema = z
  .union([z.number().int().min(0), z.literal(UNLIMITED)])
  .openapi('PolicyLimit', { description: `a limit, or "${UNLIMITED}" for none` });
const ruleOverridesSchema = z.object({ maxAgeMs: limitSchema.optional(), maxCount: limitSchema.optional() }).openapi('RetentionRuleOverrides');
export const QueuePolicyOverridesSchema = z
  .object({
    paused: z.boolean().optional().openapi({ description: 'present only when paused' }),
    retention: z
      .object({ completed: ruleOverridesSchema.optional(), failed: ruleOverridesSchema.optional(), cancelled: ruleOverridesSchema.optional() })
      .optional(),
  })
  .openapi('QueuePolicyOverrides', { description: 'what is set for this queue; a key left out takes the default (or what the config set for every queue)' });

const ruleSchema = z
  .object({ maxAgeMs: z.number().int().nullable(), maxCount: z.number().int().nullable() })
  .openapi('RetentionRule', { description: 'finished jobs older than maxAgeMs, or beyond the maxCount newest, are pruned; null = no limit' });
export const QueuePolicySchema = z
  .object({ paused: z.boolean(), retention: z.object({ completed: ruleSchema, failed: ruleSchema, cancelled: ruleSchema }) })
  .openapi('QueuePolicy', { description: 'the policy every process applies to the queue: defaults, then overrides for every queue, then this queue\'s' });

const limitPatch = z.union([z.number().int().min(0), z.literal(UNLIMITED)]).nullable().optional();
const rulePatch = z.object({ maxAgeMs: limitPatch, maxCount: limitPatch }).strict().nullable().optional();
/**
 * PATCH body: the shape of core's queuePolicyPatchSchema, written with the
 * OpenAPI-aware zod so the document names it (core's schema, checked again by
 * the job admin, stays the rule: bounds, ALL_QUEUES). JSON merge patch: a key
 * given is set, a key left out is kept, null clears it back to the default.
 */
export const QueuePolicyPatchSchema = z
  .object({
    paused: z.boolean().nullable().optional(),
    retention: z.object({ completed: rulePatch, failed: rulePatch, cancelled: rulePatch }).strict().nullable().optional(),
  })
  .strict()
  .openapi('QueuePolicyPatch', {
    description: `a JSON merge patch over the queue's \`policy\`: given keys are set, absent keys kept, null = back to the default; "${UNLIMITED}" = no limit`,
    example: { retention: { completed: { maxCount: 500, maxAgeMs: null }, failed: { maxAgeMs: UNLIMITED } } },
  });

export const QueueSchema = z
  .object({
    queue: z.string(),
    paused: z.boolean(),
    concurrency: z.number().int().nullable().openapi({ description: "per-worker concurrency from this process's config; null when not configured" }),
    counts: StateCountsSchema,
    policy: QueuePolicyOverridesSchema,
    effectivePolicy: QueuePolicySchema,
  })
  .openapi('Queue');

export const WorkerSchema = z
  .object({
    id: z.string(),
    host: z.string(),
    pid: z.number().int(),
    queues: z.array(z.string()),
    concurrency: z.number().int(),
    activeJobs: z.number().int(),
    startedAt: isoDate,
    lastHeartbeatAt: isoDate,
  })
  .openapi('Worker');

export const jobIdParams = z.object({ id: jobIdSchema.openapi({ param: { name: 'id', in: 'path' } }) });
export const queueParams = z.object({ queue: nameSchema.openapi({ param: { name: 'queue', in: 'path' } }) });
