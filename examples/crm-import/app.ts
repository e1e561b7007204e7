// Wires the example: docket on SQLite, the one-off CRM import (run exactly once, ever, through an
// idempotency key kept forever), the daily page-monitoring job, and a small jobs API.
import { createHash, timingSafeEqual } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Hono, type Context } from 'hono';
import type { Logger } from 'pino';
import { Docket, type Clock, type JobRecord } from 'docket';
import { PostgresStore } from 'docket/postgres';
import { SqliteStore } from 'docket/sqlite';
import type { CrmConfig } from './config.js';
import { CrmDb } from './crm-db.js';
import { checkPage, type MonitorResult } from './monitor.js';
import { readRows, type CrmRow } from './workbook.js';

/** The seed's job ids: the one-off import's id is also its idempotency key. */
export const IMPORT_JOB_ID = 'import_crm_data_v1';
export const IMPORT_JOB_NAME = 'import_crm_data';
export const MONITORING_JOB_ID = 'mofa_monitoring';

export interface ImportResult {
  file: string;
  rows: number;
  inserted: number;
  duplicates: number;
  invalid: number;
  batches: number;
}

export interface CrmApp {
  readonly docket: Docket;
  readonly db: CrmDb;
  readonly http: Hono;
  /** Starts docket and enqueues the one-off import (a no-op once it has run). Returns what enqueue said. */
  start(): Promise<{ importJobId: string; created: boolean }>;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: 401 | 403 | 404 | 409,
    message: string,
  ) {
    super(message);
  }
}

export function createCrmApp(config: CrmConfig & { mofaUrl: string }, options: { clock?: Clock; logger?: Logger | false } = {}): CrmApp {
  const { clock } = options;
  mkdirSync(config.dataDir, { recursive: true });
  const db = new CrmDb(join(config.dataDir, 'crm.db'));
  const docket = new Docket({
    store: config.database
      ? new PostgresStore({ connectionString: config.database.url })
      : new SqliteStore({ path: join(config.dataDir, 'docket.db'), ...(clock ? { clock } : {}) }),
    ...(clock ? { clock } : {}),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
  const now = () => new Date(docket.clock.now());

  // One-off: import the workbook in batches. Each batch is one transaction and rows are keyed by
  // their hash, so an attempt that died half-way (docket runs it again) skips what is already in.
  const importJob = docket.defineJob(IMPORT_JOB_NAME, {
    queue: 'one-off',
    maxAttempts: 3,
    async handler(_data: null, ctx): Promise<ImportResult> {
      db.startRun(IMPORT_JOB_NAME, IMPORT_JOB_ID, now());
      try {
        const result: ImportResult = { file: config.crmXlsx, rows: 0, inserted: 0, duplicates: 0, invalid: 0, batches: 0 };
        let batch: CrmRow[] = [];
        const flush = () => {
          ctx.signal.throwIfAborted();
          const { inserted, duplicates } = db.insertContacts(batch, now());
          result.inserted += inserted;
          result.duplicates += duplicates;
          result.batches++;
          ctx.progress(result.rows, null, `batch ${result.batches}: ${result.inserted} imported, ${result.duplicates} duplicates`);
          batch = [];
        };
        for await (const row of readRows(config.crmXlsx)) {
          result.rows++;
          if (!row['Email'] && !row['Phone']) result.invalid++; // nothing to reach the contact by
          else batch.push(row);
          if (batch.length >= config.crmBatchSize) flush();
        }
        if (batch.length) flush();
        db.finishRun(IMPORT_JOB_NAME, IMPORT_JOB_ID, 'completed', null, now());
        ctx.log.info(result, 'CRM import finished');
        return result;
      } catch (error) {
        db.finishRun(IMPORT_JOB_NAME, IMPORT_JOB_ID, 'failed', (error as Error).message, now());
        throw error;
      }
    },
  });

  // Recurring: daily change detection on the monitored page.
  const monitoringJob = docket.defineJob(MONITORING_JOB_ID, {
    queue: 'recurring',
    maxAttempts: 3,
    timeoutMs: 60_000,
    async handler(_data: null, ctx): Promise<MonitorResult> {
      const result = await checkPage(db, config.mofaUrl, now(), ctx.signal);
      // The seed's "notification system integration": here a warning in the log, and the change row.
      if (result.changed) ctx.log.warn({ added: result.added, removed: result.removed, modified: result.modified }, 'monitored page changed');
      return result;
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

  const latest = async (name: string) => (await docket.listJobs({ name, limit: 1 })).jobs[0] ?? null;

  // The seed's "get_jobs": every job with its type and next run.
  http.get('/jobs', async (c) => {
    const schedule = await docket.getSchedule(MONITORING_JOB_ID, { nextFires: 1, recentFires: 0 });
    const imported = await latest(IMPORT_JOB_NAME);
    return c.json([
      { id: IMPORT_JOB_ID, name: 'CRM Data Import', type: 'one-off', state: imported?.state ?? 'not-enqueued', jobId: imported?.id ?? null },
      { id: MONITORING_JOB_ID, name: 'MOFA Embassy Monitoring', type: 'recurring', trigger: schedule?.description ?? null, nextRunTime: schedule?.nextFires[0] ?? null, lastRun: schedule?.lastFire?.fireAt ?? null },
    ]);
  });

  http.get('/jobs/task-runs', (c) => c.json(db.taskRuns()));

  http.get('/jobs/:id', async (c) => {
    const id = c.req.param('id');
    if (id === IMPORT_JOB_ID) {
      const job = await latest(IMPORT_JOB_NAME);
      return c.json({ id, job: job && jobView(job), taskRun: db.taskRuns().find((r) => r.idempotency_key === IMPORT_JOB_ID) ?? null, contacts: db.contactCount() });
    }
    if (id === MONITORING_JOB_ID) {
      const schedule = await docket.getSchedule(MONITORING_JOB_ID, { nextFires: 3, recentFires: 10 });
      const job = await latest(MONITORING_JOB_ID);
      return c.json({ id, schedule, lastJob: job && jobView(job), changes: db.changes() });
    }
    throw new HttpError(404, `unknown job "${id}" (jobs: ${IMPORT_JOB_ID}, ${MONITORING_JOB_ID})`);
  });

  // Run a job now. The one-off import only while its key is free (it never ran, or its run failed).
  http.post('/jobs/:id/run', async (c) => {
    requireKey(c);
    const id = c.req.param('id');
    if (id === MONITORING_JOB_ID) {
      const job = await docket.triggerSchedule(MONITORING_JOB_ID);
      return c.json({ id, jobId: job.id, status: 'queued' }, 202);
    }
    if (id === IMPORT_JOB_ID) {
      const job = await enqueueImport();
      if (!job.created) throw new HttpError(409, `${IMPORT_JOB_ID} is a one-off job and has already run (job ${job.id})`);
      return c.json({ id, jobId: job.id, status: 'queued' }, 202);
    }
    throw new HttpError(404, `unknown job "${id}" (jobs: ${IMPORT_JOB_ID}, ${MONITORING_JOB_ID})`);
  });

  function requireKey(c: Context): void {
    if (!config.adminApiKey) throw new HttpError(403, 'ADMIN_API_KEY is not set on the server: manual runs are disabled');
    const given = c.req.header('x-api-key');
    if (!given) throw new HttpError(401, 'missing x-api-key header');
    const digest = (s: string) => createHash('sha256').update(s).digest();
    if (!timingSafeEqual(digest(given), digest(config.adminApiKey))) throw new HttpError(401, 'invalid API key');
  }

  // keepKeyForever: the key outlives the job (retention may prune it), so the import never runs
  // twice; releaseKeyOnFailure: an import that failed all its attempts runs again at the next start.
  const enqueueImport = () => importJob.enqueue(null, { idempotencyKey: IMPORT_JOB_ID, keepKeyForever: true, releaseKeyOnFailure: true });

  return {
    docket,
    db,
    http,
    async start() {
      await docket.schedule(MONITORING_JOB_ID, { cron: '0 3 * * *', timezone: config.taskTimezone }, {
        job: monitoringJob,
        maxRunning: config.taskMaxInstances,
        misfireGraceMs: config.taskMisfireGrace * 1_000,
        catchUp: 'skip', // as APScheduler: a run later than the grace is skipped (and recorded as a misfire)
      });
      await docket.start();
      const job = await enqueueImport();
      docket.logger.info({ jobId: job.id, created: job.created }, job.created ? `${IMPORT_JOB_ID} enqueued` : `${IMPORT_JOB_ID} already ran; not enqueued again`);
      return { importJobId: job.id, created: job.created };
    },
    async close() {
      await docket.close();
      db.close();
    },
  };
}

function jobView(job: JobRecord) {
  return { id: job.id, state: job.state, attempt: job.attempt, maxAttempts: job.maxAttempts, createdAt: job.createdAt, finishedAt: job.finishedAt, progress: job.progress, result: job.result, error: job.error?.message ?? null, fireTime: job.fireTime };
}
