// Wires the example: docket on SQLite, the cache (Redis or SQLite), the precompute job and its
// daily schedule, and the HTTP endpoints that serve panchangam from the cache.
import { timingSafeEqual, createHash } from 'node:crypto';
import { Hono, type Context } from 'hono';
import type { Logger } from 'pino';
import { Docket, type Clock, type JobRecord } from 'docket';
import { SqliteStore } from 'docket/sqlite';
import { z } from 'zod';
import { findCity } from './cities.js';
import { keys, RedisCache, SqliteCache, TTL, type Cache } from './cache.js';
import type { PrecomputeConfig } from './config.js';
import { computeFestivals, computePanchang, localDate, TIMEZONE } from './panchang.js';
import { definePrecomputeJob, PRECOMPUTE_JOB, precomputeInput } from './precompute-job.js';

export const SCHEDULE_NAME = 'precompute_panchangam';

export interface PrecomputeApp {
  readonly docket: Docket;
  readonly cache: Cache;
  readonly http: Hono;
  start(): Promise<void>;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 415,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function createPrecomputeApp(config: PrecomputeConfig, options: { clock?: Clock; logger?: Logger | false } = {}): PrecomputeApp {
  const clock = options.clock;
  const store = new SqliteStore({ path: config.dbPath, ...(clock ? { clock } : {}) });
  const docket = new Docket({
    store,
    ...(clock ? { clock } : {}),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    scheduler: { enabled: config.schedEnabled }, // SCHED_ENABLED=false: this process fires nothing
  });
  const cache: Cache = config.redisUrl ? new RedisCache(config.redisUrl) : new SqliteCache(config.dbPath, docket.clock);
  // The job runs in a worker thread and opens its own cache and PostgreSQL connections there.
  const precompute = definePrecomputeJob(docket, config);
  const defaults = { cityPrecompute: config.cityPrecompute, days: config.precomputeDays };
  const [hour, minute] = config.precomputeTime.split(':').map(Number);
  const cron = `${minute} ${hour} * * *`;

  const http = new Hono();
  http.onError((error, c) => {
    if (error instanceof HttpError) return c.json({ error: { code: error.code, message: error.message } }, error.status);
    docket.logger.error({ err: error, path: c.req.path }, 'request failed');
    return c.json({ error: { code: 'INTERNAL_ERROR', message: 'internal error' } }, 500);
  });
  http.notFound((c) => c.json({ error: { code: 'NOT_FOUND', message: `no route ${c.req.method} ${c.req.path}` } }, 404));

  http.get('/healthz', (c) => c.json({ ok: true, cache: cache.kind }));

  // A city's panchangam: from the cache, else computed now (and cached for next time).
  http.get('/panchangam/:city', async (c) => {
    const city = cityParam(c.req.param('city'));
    const date = dateParam(c.req.query('date') ?? localDate(docket.clock.now()));
    const key = keys.panchangam(city.name, date);
    const cached = await cache.get(key);
    if (cached) return c.json({ source: 'cache', key, panchangam: cached }, 200, { 'x-cache': 'HIT' });
    const panchangam = computePanchang(city, date);
    await cache.setMany([{ key, value: panchangam, ttlSeconds: TTL.panchangam }]);
    return c.json({ source: 'computed', key, panchangam }, 200, { 'x-cache': 'MISS' });
  });

  http.get('/festivals/:city/:year/:month', async (c) => {
    const city = cityParam(c.req.param('city'));
    const year = intParam(c.req.param('year'), 'year', 1900, 2100);
    const month = intParam(c.req.param('month'), 'month', 1, 12);
    const key = keys.festivals(city.name, year, month);
    const cached = await cache.get(key);
    if (cached) return c.json({ source: 'cache', key, festivals: cached }, 200, { 'x-cache': 'HIT' });
    const festivals = computeFestivals(city, year, month);
    await cache.setMany([{ key, value: festivals, ttlSeconds: TTL.festivals }]);
    return c.json({ source: 'computed', key, festivals }, 200, { 'x-cache': 'MISS' });
  });

  // "Check job status": the schedule's next run, the latest job and the last run's summary.
  http.get('/precompute/status', async (c) => {
    const schedule = config.schedEnabled ? await docket.getSchedule(SCHEDULE_NAME, { nextFires: 3, recentFires: 5 }) : null;
    const [last] = (await docket.listJobs({ name: PRECOMPUTE_JOB, limit: 1 })).jobs;
    return c.json({
      schedEnabled: config.schedEnabled,
      cache: cache.kind,
      schedule: schedule && { name: schedule.name, description: schedule.description, nextFires: schedule.nextFires, lastFire: schedule.lastFire, recentFires: schedule.recentFires },
      lastJob: last ? jobView(last) : null,
      summary: await cache.get(keys.summary),
    });
  });

  // "Trigger precomputation" by hand; the body may override the city set and the number of days.
  http.post('/precompute/run', async (c) => {
    requireKey(c);
    const body = await jsonBody(c, precomputeInput.partial());
    const job = await precompute.enqueue({ ...defaults, ...body });
    return c.json({ jobId: job.id, state: 'queued', statusUrl: `/precompute/jobs/${job.id}` }, 202);
  });

  http.get('/precompute/jobs/:id', async (c) => {
    const id = c.req.param('id');
    const job = /^\d{1,18}$/.test(id) ? await docket.getJob(id) : null;
    if (!job || job.name !== PRECOMPUTE_JOB) throw new HttpError(404, 'JOB_NOT_FOUND', `no precompute job ${id}`);
    return c.json(jobView(job));
  });

  // "Clear cache": panchangam:* and festivals:* (the summary stays).
  http.delete('/precompute/cache', async (c) => {
    requireKey(c);
    return c.json({ deleted: { panchangam: await cache.deletePrefix('panchangam:'), festivals: await cache.deletePrefix('festivals:') } });
  });

  function requireKey(c: Context): void {
    if (!config.adminApiKey) throw new HttpError(403, 'ADMIN_DISABLED', 'set ADMIN_API_KEY to enable admin endpoints');
    const given = c.req.header('x-api-key');
    if (!given) throw new HttpError(401, 'UNAUTHORIZED', 'missing x-api-key header');
    if (!sameSecret(given, config.adminApiKey)) throw new HttpError(401, 'UNAUTHORIZED', 'wrong API key');
  }

  return {
    docket,
    cache,
    http,
    async start() {
      if (config.schedEnabled) {
        await docket.schedule(SCHEDULE_NAME, { cron, timezone: TIMEZONE }, { job: precompute, data: defaults, maxRunning: 1 });
      }
      await docket.start();
    },
    async close() {
      await docket.close();
      await cache.close();
    },
  };
}

function cityParam(name: string) {
  const city = findCity(name);
  if (!city) throw new HttpError(404, 'UNKNOWN_CITY', `no Indian city named "${name}" (use e.g. mumbai, delhi, bengaluru)`);
  return city;
}

function dateParam(value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`)) || new Date(`${value}T00:00:00Z`).toISOString().slice(0, 10) !== value) {
    throw new HttpError(400, 'INVALID_DATE', `date must be a real YYYY-MM-DD date (got "${value}")`);
  }
  const year = Number(value.slice(0, 4));
  if (year < 1900 || year > 2100) throw new HttpError(400, 'INVALID_DATE', 'date must be between 1900 and 2100');
  return value;
}

function intParam(value: string, name: string, min: number, max: number): number {
  const n = /^\d{1,4}$/.test(value) ? Number(value) : NaN;
  if (!(n >= min && n <= max)) throw new HttpError(400, 'INVALID_PARAMETER', `${name} must be an integer in [${min}, ${max}] (got "${value}")`);
  return n;
}

/** An optional JSON body: empty means {}; malformed JSON, a non-object or a wrong field is a 400. */
async function jsonBody<T>(c: Context, schema: z.ZodType<T>): Promise<T> {
  const text = await c.req.text();
  if (text.trim() !== '' && !(c.req.header('content-type') ?? '').includes('application/json')) {
    throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', 'send Content-Type: application/json');
  }
  let raw: unknown = {};
  try {
    if (text.trim() !== '') raw = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'MALFORMED_JSON', 'the body is not valid JSON');
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new HttpError(400, 'INVALID_BODY', parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
  return parsed.data;
}

function sameSecret(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(a), digest(b));
}

function jobView(job: JobRecord) {
  return { id: job.id, state: job.state, createdAt: job.createdAt, startedAt: job.startedAt, finishedAt: job.finishedAt, attempt: job.attempt, progress: job.progress, result: job.result, error: job.error?.message ?? null, fireTime: job.fireTime };
}
