// Wires the example: docket on SQLite, the `etl` and `heatmap` jobs, their interval schedules
// (one running instance each, misfires coalesced) and POST /admin/run-jobs.
import { createHash, timingSafeEqual } from 'node:crypto';
import { join } from 'node:path';
import { Hono, type Context } from 'hono';
import type { Logger } from 'pino';
import { Docket, isDocketError, type Clock } from 'docket';
import { SqliteStore } from 'docket/sqlite';
import { z } from 'zod';
import { MAX_LEVEL, type EtlConfig } from './config.js';
import { Warehouse, type EtlResult, type HeatmapResult } from './warehouse.js';

export const TASKS = ['etl', 'heatmap'] as const;
export type Task = (typeof TASKS)[number];

export interface EtlApp {
  readonly docket: Docket;
  readonly warehouse: Warehouse;
  readonly http: Hono;
  start(): Promise<void>;
  close(): Promise<void>;
}

const heatmapData = z.object({ levels: z.array(z.string()).min(1), date: z.string().nullable() }).strict();

/** The seed's optional body: `{ tasks, levels, date }` (levels as strings or numbers). */
const runJobsBody = z
  .object({
    tasks: z.array(z.enum(TASKS, { error: (i) => `unknown task ${JSON.stringify(i.input)} (tasks are ${TASKS.join(', ')})` })).min(1).optional(),
    levels: z
      .array(z.union([z.string(), z.number()]).transform(String).pipe(z.string().regex(/^[1-9]\d*$/, 'a level is a positive integer').refine((l) => Number(l) <= MAX_LEVEL, `levels are 1..${MAX_LEVEL}`)))
      .min(1)
      .optional(),
    date: z.iso.date('date must be YYYY-MM-DD').optional(),
  })
  .strict();

class HttpError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 415 | 422,
    message: string,
  ) {
    super(message);
  }
}

export function createEtlApp(config: EtlConfig, options: { clock?: Clock; logger?: Logger | false } = {}): EtlApp {
  const { clock } = options;
  const warehouse = new Warehouse(config.dataDir);
  const docket = new Docket({
    store: new SqliteStore({ path: join(config.dataDir, 'docket.db'), ...(clock ? { clock } : {}) }),
    ...(clock ? { clock } : {}),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    // One job of each kind at a time in this process, manual runs included (APScheduler's max_instances=1).
    queues: { etl: { concurrency: 1 }, heatmap: { concurrency: 1 } },
  });
  const today = () => new Date(docket.clock.now()).toISOString().slice(0, 10); // UTC, as the seed says

  const etl = docket.defineJob('etl', {
    queue: 'etl',
    maxAttempts: 3,
    handler: (_data: null, ctx): EtlResult => {
      const result = warehouse.runEtl(new Date(docket.clock.now()), ctx.signal);
      ctx.log.info(result, 'etl done');
      return result;
    },
  });
  const heatmap = docket.defineJob('heatmap', {
    queue: 'heatmap',
    schema: heatmapData,
    maxAttempts: 3,
    handler: ({ levels, date }, ctx): HeatmapResult[] => {
      const day = date ?? today(); // a scheduled run builds "today" as of when it runs
      return levels.map((level) => {
        ctx.signal.throwIfAborted();
        return warehouse.buildHeatmap(level, day);
      });
    },
  });

  const http = new Hono();
  http.onError((error, c) => {
    if (error instanceof HttpError) return c.json({ detail: error.message }, error.status);
    docket.logger.error({ err: error, path: c.req.path }, 'request failed');
    return c.json({ detail: 'internal error' }, 500);
  });
  http.notFound((c) => c.json({ detail: `no route ${c.req.method} ${c.req.path}` }, 404));
  http.get('/healthz', (c) => c.json({ status: 'ok' }));

  // Runs the requested tasks now, in order (ETL first, so the heatmap sees its rows), and answers
  // with each one's outcome. Bad input is refused before anything is enqueued.
  http.post('/admin/run-jobs', async (c) => {
    requireKey(c);
    const body = await jsonBody(c);
    const tasks = TASKS.filter((t) => (body.tasks ?? TASKS).includes(t));
    const levels = body.levels ? [...new Set(body.levels)] : config.heatmapLevels;
    const date = body.date ?? today();
    const results: Record<string, unknown>[] = [];
    for (const task of tasks) {
      // Manual runs get one attempt: the caller sees a failure now instead of after the backoff.
      const job = task === 'etl' ? await etl.enqueue(null, { maxAttempts: 1 }) : await heatmap.enqueue({ levels, date }, { maxAttempts: 1 });
      try {
        const result = await job.wait({ timeoutMs: config.runJobsTimeoutMs });
        results.push(task === 'heatmap' ? { status: 'ok', job: task, results: result } : { status: 'ok', job: task });
      } catch (error) {
        const pending = isDocketError(error) && error.code === 'WAIT_TIMEOUT';
        results.push({ status: pending ? 'pending' : 'error', job: task, jobId: job.id, ...(pending ? {} : { error: (error as Error).message }) });
      }
    }
    return c.json({ status: results.every((r) => r.status === 'ok') ? 'ok' : 'error', results });
  });

  function requireKey(c: Context): void {
    if (!config.adminApiKey) throw new HttpError(403, 'ADMIN_API_KEY is not set on the server: manual runs are disabled');
    const given = c.req.header('x-api-key');
    if (!given) throw new HttpError(401, 'missing x-api-key header');
    const digest = (s: string) => createHash('sha256').update(s).digest();
    if (!timingSafeEqual(digest(given), digest(config.adminApiKey))) throw new HttpError(401, 'invalid API key');
  }

  return {
    docket,
    warehouse,
    http,
    async start() {
      // APScheduler's max_instances=1 → maxRunning: 1; coalesce=True → catchUp: 'latest'.
      await docket.schedule('run_etl_job', { every: `${config.etlIntervalMinutes}m` }, { job: etl, maxRunning: 1, catchUp: 'latest' });
      await docket.schedule('run_heatmap_job', { every: `${config.heatmapIntervalMinutes}m` }, { job: heatmap, data: { levels: config.heatmapLevels, date: null }, maxRunning: 1, catchUp: 'latest' });
      await docket.start();
    },
    async close() {
      await docket.close();
      warehouse.close();
    },
  };
}

/** The optional body: empty means {}; malformed JSON is 400, a well-formed body with a bad field 422 (as FastAPI). */
async function jsonBody(c: Context): Promise<z.infer<typeof runJobsBody>> {
  const text = await c.req.text();
  if (text.trim() === '') return {};
  if (!(c.req.header('content-type') ?? '').includes('application/json')) throw new HttpError(415, 'send Content-Type: application/json');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'the body is not valid JSON');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new HttpError(422, 'the body must be a JSON object');
  const parsed = runJobsBody.safeParse(raw);
  if (!parsed.success) throw new HttpError(422, parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
  return parsed.data;
}
