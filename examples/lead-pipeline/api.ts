/**
 * The seed's REST API under /api/v1/jobs: submit scraping, processing,
 * analytics and maintenance jobs, read a job's status, list by status,
 * cancel (also a running job), statistics. Errors are FastAPI-shaped:
 * `{ detail }`, 400 for a malformed body, 422 for invalid input.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import { isDocketError, type Docket, type JobHandle, type JobState } from 'docket';
import { collectStatistics, jobStatus, PRIORITIES, SEED_STATUSES, seedStatus, statesFor } from './job-status.js';
import type { PipelineJobs } from './jobs.js';

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });
const priority = z.enum(['high', 'normal', 'low']).optional();
const companyIds = z.array(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be a company id like comp_123')).min(1).max(500);

const bodies = {
  scrapeCompanies: z.object({ company_urls: z.array(httpUrl).min(1).max(100), priority }).strict(),
  scrapeCompany: z.object({ company_url: httpUrl, priority }).strict(),
  scrapeBatch: z
    .object({ search_queries: z.array(z.string().trim().min(1).max(200)).min(1).max(20), max_results_per_query: z.number().int().min(1).max(50).default(10), priority })
    .strict(),
  companies: z.object({ company_ids: companyIds, priority }).strict(),
  report: z.object({ company_ids: companyIds, report_type: z.enum(['summary', 'comprehensive']).default('comprehensive'), priority }).strict(),
};
const listQuery = z.object({ status: z.enum(SEED_STATUSES).optional(), limit: z.coerce.number().int().min(1).max(100).default(20) }).strict();
const cleanupQuery = z.object({ older_than_days: z.coerce.number().int().min(1).max(3650).default(30) }).strict();
const noQuery = z.object({}).strict();
const jobIdParam = /^[A-Za-z0-9_-]{1,64}$/;
/** How long DELETE /cancel of a running job waits for it to end before answering `running`. */
const CANCEL_WAIT_MS = 2_000;
const FINAL_STATES: ReadonlySet<JobState> = new Set(['completed', 'failed', 'cancelled']);

/** A 4xx answer with a FastAPI-style body. */
class ApiError extends Error {
  constructor(
    readonly status: 400 | 401 | 404 | 409 | 413 | 415 | 422,
    readonly detail: unknown,
  ) {
    super(typeof detail === 'string' ? detail : 'invalid request');
  }
}

export function jobsApi(deps: { docket: Docket; jobs: PipelineJobs; apiKey: string | null; queues: readonly string[] }) {
  const { docket, jobs } = deps;
  const api = new Hono();

  api.onError((error, c) => {
    if (error instanceof ApiError) return c.json({ detail: error.detail }, error.status);
    // docket validates again at enqueue (names, payload size): still the caller's fault
    if (isDocketError(error) && error.code === 'PAYLOAD_TOO_LARGE') return c.json({ detail: error.message }, 413);
    if (isDocketError(error) && ['INVALID_DATA', 'INVALID_OPTION', 'INVALID_NAME'].includes(error.code)) return c.json({ detail: error.message }, 422);
    docket.logger.error({ err: error, path: c.req.path }, 'request failed');
    return c.json({ detail: 'Internal Server Error' }, 500);
  });
  if (deps.apiKey) api.use('*', requireKey(deps.apiKey));
  // the rest of an oversized body is not read, so the connection cannot be reused
  api.use('*', bodyLimit({ maxSize: 256 * 1024, onError: (c) => c.json({ detail: 'request body too large' }, 413, { connection: 'close' }) }));

  /** POST route: validate the body, enqueue, answer 202 with where to poll. */
  function submit<S extends z.ZodType>(path: string, schema: S, handle: JobRef, toData: (body: z.output<S>) => unknown): void {
    api.post(path, async (c) => {
      noQueryParams(c);
      const body = await readBody(c, schema);
      const p = (body as { priority?: keyof typeof PRIORITIES }).priority;
      const job = await docket.enqueue(handle.name, toData(body), p ? { priority: PRIORITIES[p] } : {});
      return submitted(c, job.id, handle);
    });
  }
  const without = <T extends { priority?: unknown }>({ priority: _, ...rest }: T) => rest;

  submit('/scrape/companies', bodies.scrapeCompanies, jobs.scrapeCompanies, without);
  submit('/scrape/company', bodies.scrapeCompany, jobs.scrapeCompany, without);
  submit('/scrape/batch', bodies.scrapeBatch, jobs.scrapeBatch, without);
  submit('/process/data', bodies.companies, jobs.processData, without);
  submit('/process/scores', bodies.companies, jobs.calculateScores, without);
  submit('/process/enrich', bodies.companies, jobs.enrichCompanies, without);
  submit('/analytics/report', bodies.report, jobs.analyticsReport, without);
  submit('/analytics/analyze', bodies.companies, jobs.businessAnalysis, without);

  api.post('/maintenance/cleanup', async (c) => {
    const q = parse(cleanupQuery, c.req.query(), 'query');
    await noBody(c);
    return submitted(c, (await jobs.cleanupJobs.enqueue(q)).id, jobs.cleanupJobs);
  });
  api.post('/maintenance/health-check', async (c) => {
    noQueryParams(c);
    await noBody(c);
    return submitted(c, (await jobs.healthCheck.enqueue({})).id, jobs.healthCheck);
  });
  api.post('/maintenance/optimize-db', async (c) => {
    noQueryParams(c);
    await noBody(c);
    return submitted(c, (await jobs.optimizeDb.enqueue({})).id, jobs.optimizeDb);
  });

  api.get('/status/:job_id', async (c) => {
    const job = await docket.getJob(checkJobId(c.req.param('job_id')));
    if (!job) throw new ApiError(404, `job ${c.req.param('job_id')} not found`);
    return c.json(jobStatus(job));
  });

  api.get('/list', async (c) => {
    const { status, limit } = parse(listQuery, c.req.query(), 'query');
    const out = [];
    let cursor: string | null = null;
    // pending and retry share docket states; read pages until `limit` jobs of the asked status are found
    do {
      const page = await docket.listJobs({ ...(status ? { state: statesFor(status) } : {}), limit: Math.max(limit, 50), cursor });
      out.push(...page.jobs.filter((j) => !status || seedStatus(j) === status));
      cursor = page.nextCursor;
    } while (cursor && out.length < limit);
    return c.json({ status: status ?? null, limit, count: Math.min(out.length, limit), jobs: out.slice(0, limit).map(jobStatus) });
  });

  api.delete('/cancel/:job_id', async (c) => {
    const id = checkJobId(c.req.param('job_id'));
    const job = await docket.getJob(id);
    if (!job) throw new ApiError(404, `job ${id} not found`);
    const result = await docket.cancel(id, { reason: 'cancelled via API' });
    if (result.outcome === 'already_finished') throw new ApiError(409, `job ${id} already ${result.job.state}`);
    if (result.outcome !== 'cancel_requested') return c.json({ job_id: id, status: 'cancelled' });
    // A running job: its worker aborts ctx.signal now and records `cancelled` once the handler
    // returns (the scraper's downloads stop at once). The answer is one of the seed's six
    // statuses: the job's final one if it ends within CANCEL_WAIT_MS, else 202 `running` with
    // `cancel_requested` (poll /status).
    const deadline = Date.now() + CANCEL_WAIT_MS;
    for (;;) {
      const now = await docket.getJob(id);
      if (now && FINAL_STATES.has(now.state)) return c.json({ job_id: id, status: seedStatus(now) });
      if (Date.now() >= deadline) return c.json({ job_id: id, status: now ? seedStatus(now) : 'running', cancel_requested: true }, 202);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  });

  api.get('/statistics', async (c) => {
    noQueryParams(c);
    const last = (await docket.listJobs({ name: jobs.updateStatistics.name, state: 'completed', limit: 1 })).jobs[0];
    return c.json({ ...(await collectStatistics(docket, deps.queues)), hourly_snapshot: last ? { at: last.finishedAt?.toISOString(), statistics: last.result } : null });
  });

  return api;
}

type JobRef = Pick<JobHandle<never, unknown>, 'name'> & { definition: { queue: string } };

function submitted(c: Context, jobId: string, handle: JobRef) {
  return c.json({ job_id: jobId, task_name: handle.name, queue: handle.definition.queue, status: 'pending', status_url: `/api/v1/jobs/status/${jobId}` }, 202);
}

async function readBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  const type = c.req.header('content-type') ?? '';
  if (!type.includes('application/json')) throw new ApiError(415, 'send Content-Type: application/json');
  let body: unknown;
  try {
    body = JSON.parse(await c.req.text());
  } catch {
    throw new ApiError(400, 'request body is not valid JSON');
  }
  return parse(schema, body, 'body');
}

async function noBody(c: Context): Promise<void> {
  if ((await c.req.text()).trim() !== '') throw new ApiError(422, [{ loc: ['body'], msg: 'this endpoint takes no body', type: 'extra_forbidden' }]);
}

function noQueryParams(c: Context): void {
  parse(noQuery, c.req.query(), 'query');
}

function parse<S extends z.ZodType>(schema: S, value: unknown, where: 'body' | 'query'): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw new ApiError(422, r.error.issues.map((i) => ({
    loc: [where, ...i.path.map(String), ...(i.code === 'unrecognized_keys' ? i.keys : [])],
    msg: i.message,
    type: i.code,
  })));
}

function checkJobId(id: string): string {
  if (!jobIdParam.test(id)) throw new ApiError(404, `job ${id.slice(0, 64)} not found`);
  return id;
}

/** `x-api-key` or `Authorization: Bearer`, compared in constant time. */
function requireKey(key: string) {
  const expected = createHash('sha256').update(key).digest();
  return async (c: Context, next: () => Promise<void>) => {
    const given = c.req.header('x-api-key') ?? c.req.header('authorization')?.replace(/^Bearer\s+/i, '');
    if (!given || !timingSafeEqual(createHash('sha256').update(given).digest(), expected)) {
      throw new ApiError(401, 'missing or invalid API key');
    }
    await next();
  };
}
