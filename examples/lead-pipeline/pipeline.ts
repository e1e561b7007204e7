/**
 * Wires the example: one Docket (worker, scheduler, maintenance) on the
 * given store, the jobs, the seed's periodic maintenance schedules ("beat")
 * and the HTTP app. main.ts starts it; the tests build it on a ManualClock.
 */
import { Hono } from 'hono';
import type { Logger } from 'pino';
import { Docket, type Clock, type ScheduleConfig, type Store } from 'docket';
import { jobsApi } from './api.js';
import { defineJobs, QUEUES } from './jobs.js';
import { CompanyDirectory } from './leads.js';
import { standInSites } from './stand-in-sites.js';

export interface LeadPipelineOptions {
  store: Store;
  clock?: Clock;
  logger?: Logger | false;
  /** Required as `x-api-key` / `Authorization: Bearer` on /api/v1 when set. */
  apiKey?: string;
  /** Search page of batch scraping; default the stand-in search of this server (known once it listens). */
  searchUrl: () => string;
  optimizeDatabase: () => Promise<Record<string, unknown>>;
  workerConcurrency?: number;
}

const DAY = 24 * 60 * 60_000;

/**
 * The seed's beat schedule. docket stores each schedule's next fire, so a
 * restart neither skips nor repeats one, and any number of processes may run
 * this: each fire is claimed by exactly one of them.
 */
export const MAINTENANCE_SCHEDULES: ScheduleConfig[] = [
  { name: 'job-cleanup', trigger: { cron: '0 3 * * *' }, job: 'cleanup-jobs', data: { older_than_days: 30 }, maxRunning: 1 },
  { name: 'statistics-update', trigger: { every: '1h' }, job: 'update-statistics', maxRunning: 1 },
  { name: 'health-check', trigger: { every: '30m' }, job: 'health-check', maxRunning: 1 },
  { name: 'database-optimization', trigger: { cron: '0 4 * * 0' }, job: 'optimize-db', maxRunning: 1 },
];

export function createLeadPipeline(options: LeadPipelineOptions) {
  const concurrency = options.workerConcurrency ?? 8;
  const docket = new Docket({
    store: options.store,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    worker: { concurrency },
    // Celery's queue priorities, in docket terms: a worker shares its free slots
    // among its queues and each queue is capped at its concurrency, so the high
    // queue gets the most slots and the low one never more than one.
    queues: {
      scraping: { concurrency: Math.max(1, Math.ceil(concurrency / 2)) },
      processing: { concurrency: Math.max(1, Math.ceil(concurrency / 4)) },
      analytics: { concurrency: Math.max(1, Math.ceil(concurrency / 4)) },
      maintenance: { concurrency: 1 },
    },
    // "Remove expired job data": finished jobs go after 30 days (failed ones after 90) without any code
    retention: { completed: { maxAgeMs: 30 * DAY }, failed: { maxAgeMs: 90 * DAY }, cancelled: { maxAgeMs: 30 * DAY } },
    schedules: MAINTENANCE_SCHEDULES,
  });
  const companies = new CompanyDirectory();
  const jobs = defineJobs({ docket, companies, searchUrl: options.searchUrl, optimizeDatabase: options.optimizeDatabase });

  const app = new Hono();
  app.route('/stand-in', standInSites());
  app.route('/api/v1/jobs', jobsApi({ docket, jobs, apiKey: options.apiKey ?? null, queues: QUEUES }));
  app.notFound((c) => c.json({ detail: 'Not Found' }, 404));

  return { docket, app, jobs, companies };
}

export type LeadPipeline = ReturnType<typeof createLeadPipeline>;
