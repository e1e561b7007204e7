/**
 * The seed's admin routes: POST /api/admin/jobs/trigger `{ jobType, ...params }`
 * and GET /api/admin/jobs/status (`?jobId=`). Errors are `{ error }` with a 4xx.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import type { Docket, JobRecord } from 'docket';
import { DEFAULT_DAYS_OLD, DEFAULT_MAX_MAGNITUDE, QUEUE, type CatalogJobs } from './jobs.js';

const magnitude = z.number().min(-30).max(35).default(DEFAULT_MAX_MAGNITUDE);
const params = {
  'update-comets': z.object({ maxMagnitude: magnitude }).strict(),
  'schedule-recurring-comets': z.object({ maxMagnitude: magnitude }).strict(),
  'cleanup-old-data': z.object({ daysOld: z.number().int().min(1).max(3650).default(DEFAULT_DAYS_OLD) }).strict(),
} as const;
type JobType = keyof typeof params;
const JOB_TYPES = Object.keys(params) as JobType[];
const statusQuery = z.object({ jobId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be a job id').optional() }).strict();
export const RECENT_JOBS = 20;

class ApiError extends Error {
  constructor(
    readonly status: 400 | 401 | 404 | 415,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export function adminJobsApi(deps: { docket: Docket; jobs: CatalogJobs; adminApiKey: string | null }) {
  const { docket, jobs } = deps;
  const handles: Record<JobType, { name: string; enqueue(data: never): Promise<{ id: string }> }> = {
    'update-comets': jobs.updateComets,
    'schedule-recurring-comets': jobs.scheduleRecurringComets,
    'cleanup-old-data': jobs.cleanupOldData,
  };
  const api = new Hono();
  api.onError((error, c) => {
    if (error instanceof ApiError) return c.json({ error: error.message, ...(error.details ? { details: error.details } : {}) }, error.status);
    docket.logger.error({ err: error, path: c.req.path }, 'request failed');
    return c.json({ error: 'Internal Server Error' }, 500);
  });
  if (deps.adminApiKey) api.use('*', requireKey(deps.adminApiKey));
  api.use('*', bodyLimit({ maxSize: 64 * 1024, onError: (c) => c.json({ error: 'request body too large' }, 413, { connection: 'close' }) }));

  api.post('/trigger', async (c) => {
    parse(z.object({}).strict(), c.req.query(), 'query');
    const body = await readJson(c);
    const { jobType, ...rest } = body as { jobType?: unknown };
    if (typeof jobType !== 'string' || !JOB_TYPES.includes(jobType as JobType)) {
      throw new ApiError(400, jobType === undefined ? `jobType is required: one of ${JOB_TYPES.join(', ')}` : `Unknown jobType ${JSON.stringify(jobType)}: use one of ${JOB_TYPES.join(', ')}`);
    }
    const type = jobType as JobType;
    const data = parse(params[type], rest, 'body');
    const job = await handles[type].enqueue(data as never);
    return c.json({ success: true, jobId: job.id, jobType: type, message: `${type} job queued` }, 202);
  });

  api.get('/status', async (c) => {
    const { jobId } = parse(statusQuery, c.req.query(), 'query');
    if (jobId !== undefined) {
      const job = await docket.getJob(jobId);
      if (!job || job.queue !== QUEUE) throw new ApiError(404, `Job ${jobId} not found`);
      return c.json({ job: toBullJob(job) });
    }
    const [counts] = await docket.store.countJobs({ queue: QUEUE });
    const c0 = counts?.counts;
    const queueStats = { waiting: c0?.waiting ?? 0, active: c0?.active ?? 0, completed: c0?.completed ?? 0, failed: c0?.failed ?? 0, delayed: c0?.delayed ?? 0 };
    const recent = await docket.listJobs({ queue: QUEUE, limit: RECENT_JOBS });
    return c.json({ queueStats, recentJobs: recent.jobs.map(toBullJob) });
  });

  return api;
}

/** A job in the shape BullMQ's `job.toJSON()` gave the dashboard (times in epoch ms, progress in percent). */
export function toBullJob(job: JobRecord) {
  const p = job.progress;
  return {
    id: job.id,
    name: job.name,
    data: job.data,
    state: job.state,
    progress: p ? (p.total ? Math.round((p.current / p.total) * 100) : p.current) : 0,
    attemptsMade: job.attempt,
    maxAttempts: job.maxAttempts,
    returnvalue: job.state === 'completed' ? job.result : null,
    failedReason: job.error?.message ?? null,
    timestamp: job.createdAt.getTime(),
    processedOn: job.startedAt?.getTime() ?? null,
    finishedOn: job.finishedAt?.getTime() ?? null,
    nextAttemptAt: job.state === 'delayed' ? job.runAt.getTime() : null,
    repeatJobKey: job.scheduleName, // the schedule that enqueued it, as BullMQ names it
  };
}

async function readJson(c: Context): Promise<Record<string, unknown>> {
  if (!(c.req.header('content-type') ?? '').includes('application/json')) throw new ApiError(415, 'send Content-Type: application/json');
  let body: unknown;
  try {
    body = JSON.parse(await c.req.text());
  } catch {
    throw new ApiError(400, 'request body is not valid JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ApiError(400, 'request body must be a JSON object');
  return body as Record<string, unknown>;
}

function parse<S extends z.ZodType>(schema: S, value: unknown, where: 'body' | 'query'): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const details = r.error.issues.map((i) => ({ field: [...i.path.map(String), ...(i.code === 'unrecognized_keys' ? i.keys : [])].join('.') || where, message: i.message }));
  throw new ApiError(400, `invalid ${where}: ${details.map((d) => `${d.field}: ${d.message}`).join('; ')}`, details);
}

/** `x-api-key` or `Authorization: Bearer`, compared in constant time. */
function requireKey(key: string) {
  const expected = createHash('sha256').update(key).digest();
  return async (c: Context, next: () => Promise<void>) => {
    const given = c.req.header('x-api-key') ?? c.req.header('authorization')?.replace(/^Bearer\s+/i, '');
    if (!given || !timingSafeEqual(createHash('sha256').update(given).digest(), expected)) throw new ApiError(401, 'Unauthorized: missing or invalid API key');
    await next();
  };
}
