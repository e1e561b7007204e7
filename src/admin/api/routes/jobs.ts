import { z, type OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { InvalidTransitionError, JobNotFoundError } from '../../../core/errors.js';
import type { EnqueueOptions } from '../../../core/config.js';
import type { JobRecord, JobState } from '../../../core/job.js';
import type { AuthEnv } from '../../kit/auth.js';
import type { AdminDocket } from '../../kit/admin-port.js';
import { API_PREFIX, apiRoute, guard, jobLocation, type RouteMiddleware } from '../route-kit.js';
import {
  EnqueueBody,
  EnqueueResponseSchema,
  JobPageSchema,
  JobSchema,
  ListJobsQuery,
  jobIdParams,
  jobView,
  createdJobContent,
  jsonContent,
  problemContent,
} from '../schemas.js';

export const DEFAULT_PAGE_SIZE = 50;

const listJobs = apiRoute('read', {
  method: 'get',
  operationId: 'listJobs',
  path: `${API_PREFIX}/jobs`,
  tags: ['jobs'],
  summary: 'List jobs, newest first, with filters and cursor paging',
  request: { query: ListJobsQuery },
  responses: { 200: jsonContent(JobPageSchema, 'one page of jobs'), 400: problemContent('bad filter or cursor') },
});

const getJob = apiRoute('read', {
  method: 'get',
  operationId: 'getJob',
  path: `${API_PREFIX}/jobs/{id}`,
  tags: ['jobs'],
  summary: 'One job: data, result, error with stack, attempts, progress',
  request: { params: jobIdParams },
  responses: { 200: jsonContent(JobSchema, 'the job'), 404: problemContent('no such job') },
});

const enqueue = apiRoute('admin', {
  method: 'post',
  operationId: 'enqueueJob',
  path: `${API_PREFIX}/jobs`,
  tags: ['jobs'],
  summary: 'Enqueue a job by name (rate limited)',
  description: 'Returns 201 with the new job, or 200 with the existing one when `idempotencyKey` is already held.',
  request: { body: { required: true, content: { 'application/json': { schema: EnqueueBody } } } },
  responses: {
    200: jsonContent(EnqueueResponseSchema, 'the idempotency key was held: the existing job'),
    201: createdJobContent(EnqueueResponseSchema, 'a new job'),
    400: problemContent('invalid name, data or option'),
    413: problemContent('body or job data too large'),
    422: problemContent('no job with that name is defined in the serving process'),
    429: problemContent('enqueue rate limit hit; see Retry-After'),
  },
});

const CancelResponse = z
  .object({ outcome: z.enum(['cancelled', 'cancel_requested']), job: JobSchema })
  .openapi('CancelResponse');

const cancel = apiRoute('admin', {
  method: 'post',
  operationId: 'cancelJob',
  path: `${API_PREFIX}/jobs/{id}/cancel`,
  tags: ['jobs'],
  summary: 'Cancel a job',
  description: 'A waiting or delayed job is cancelled at once (200). An active job is asked to stop (202): its worker aborts the handler and records `cancelled`.',
  request: { params: jobIdParams },
  responses: {
    200: jsonContent(CancelResponse, 'cancelled'),
    202: jsonContent(CancelResponse, 'cancel requested from the running worker'),
    404: problemContent('no such job'),
    409: problemContent('the job already finished'),
  },
});

const retry = apiRoute('admin', {
  method: 'post',
  operationId: 'retryJob',
  path: `${API_PREFIX}/jobs/{id}/retry`,
  tags: ['jobs'],
  summary: 'Put a completed, failed or cancelled job back to waiting with a fresh set of attempts',
  request: { params: jobIdParams },
  responses: { 200: jsonContent(JobSchema, 'the job, now waiting'), 404: problemContent('no such job'), 409: problemContent('the job is not finished') },
});

const RunResponse = z
  .object({
    action: z.enum(['promoted', 'retried', 'none']).openapi({ description: 'promoted: a delayed job made runnable; retried: a finished job re-run; none: it was already waiting' }),
    job: JobSchema,
  })
  .openapi('RunNowResponse');

const runNow = apiRoute('admin', {
  method: 'post',
  operationId: 'runJobNow',
  path: `${API_PREFIX}/jobs/{id}/run`,
  tags: ['jobs'],
  summary: 'Run now',
  description:
    'A delayed job (future run time or retry backoff) becomes runnable at once; a finished job (completed, failed, cancelled) runs again with a fresh set of attempts, as retry does; a waiting job is left as it is. An active job answers 409.',
  request: { params: jobIdParams },
  responses: { 200: jsonContent(RunResponse, 'what was done'), 404: problemContent('no such job'), 409: problemContent('the job is active') },
});

const remove = apiRoute('admin', {
  method: 'delete',
  operationId: 'deleteJob',
  path: `${API_PREFIX}/jobs/{id}`,
  tags: ['jobs'],
  summary: 'Delete a job that is not active (its idempotency key is released)',
  request: { params: jobIdParams },
  responses: { 204: { description: 'deleted' }, 404: problemContent('no such job'), 409: problemContent('the job is active: cancel it first') },
});

export function registerJobRoutes(app: OpenAPIHono<AuthEnv>, docket: AdminDocket, mw: RouteMiddleware, enqueueLimit: MiddlewareHandler<AuthEnv> | null): void {
  const jobs = docket.jobs;
  const mustGet = async (jobId: string): Promise<JobRecord> => {
    const job = await jobs.get(jobId);
    if (!job) throw new JobNotFoundError(jobId);
    return job;
  };

  guard(app, listJobs, mw);
  app.openapi(listJobs, async (c) => {
    const q = c.req.valid('query');
    const page = await jobs.list({
      state: q.state ? (q.state.split(',') as JobState[]) : undefined,
      queue: q.queue,
      name: q.name,
      createdAfter: q.createdAfter ? new Date(q.createdAfter) : undefined,
      createdBefore: q.createdBefore ? new Date(q.createdBefore) : undefined,
      search: q.search,
      order: q.order,
      limit: q.limit ?? DEFAULT_PAGE_SIZE,
      cursor: q.cursor ?? null,
    });
    return c.json({ jobs: page.jobs.map(jobView), nextCursor: page.nextCursor }, 200);
  });

  guard(app, getJob, mw);
  app.openapi(getJob, async (c) => c.json(jobView(await mustGet(c.req.valid('param').id)), 200));

  guard(app, enqueue, mw, ...(enqueueLimit ? [enqueueLimit] : []));
  app.openapi(enqueue, async (c) => {
    const { name, data, runAt, ...rest } = c.req.valid('json');
    const options: EnqueueOptions = {};
    for (const [k, v] of Object.entries(rest)) if (v !== undefined) (options as Record<string, unknown>)[k] = v;
    if (runAt !== undefined) options.runAt = new Date(runAt);
    const { id, created } = await docket.enqueue(name, data === undefined ? null : data, options);
    const job = await jobs.get(id);
    const body = { id, created, job: job ? jobView(job) : null };
    if (created) {
      c.header('location', jobLocation(c, id));
      return c.json(body, 201);
    }
    return c.json(body, 200);
  });

  guard(app, cancel, mw);
  app.openapi(cancel, async (c) => {
    const { id } = c.req.valid('param');
    const r = await jobs.cancel(id, { reason: 'cancelled through the admin API' });
    switch (r.outcome) {
      case 'already_finished':
        throw new InvalidTransitionError(r.job.state, 'cancelled', id);
      case 'cancelled':
        return c.json({ outcome: r.outcome, job: jobView(r.job) }, 200);
      case 'cancel_requested':
        return c.json({ outcome: r.outcome, job: jobView(r.job) }, 202);
    }
  });

  guard(app, retry, mw);
  app.openapi(retry, async (c) => c.json(jobView(await jobs.retry(c.req.valid('param').id)), 200));

  guard(app, runNow, mw);
  app.openapi(runNow, async (c) => {
    const { action, job } = await jobs.runNow(c.req.valid('param').id);
    return c.json({ action, job: jobView(job) }, 200);
  });

  guard(app, remove, mw);
  app.openapi(remove, async (c) => {
    await jobs.delete(c.req.valid('param').id);
    return c.body(null, 204);
  });
}
