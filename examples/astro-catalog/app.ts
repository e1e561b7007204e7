/**
 * Wires the example: a Docket for the `catalog-updates` queue (the seed's
 * BullMQ queue, with its retry and retention policy), the comet catalog, the
 * admin routes and the COBS stand-in. main.ts runs it; tests build it on a ManualClock.
 */
import { Hono } from 'hono';
import type { Logger } from 'pino';
import { Docket, type Clock, type Store } from 'docket';
import { adminJobsApi } from './api.js';
import { CometCatalog } from './catalog.js';
import { cobsStandIn } from './cobs-stand-in.js';
import { defineJobs, QUEUE, RETENTION } from './jobs.js';

export interface AstroCatalogOptions {
  store: Store;
  /** SQLite file of the comet catalog. */
  catalogPath: string;
  /** Base URL of the COBS API, e.g. https://cobs.si/api; default the stand-in of this server. */
  cobsApiUrl: () => string;
  /** Required on /api/admin when set (`x-api-key` or `Authorization: Bearer`). */
  adminApiKey?: string;
  clock?: Clock;
  logger?: Logger | false;
  /** Jobs run at once (BullMQ's worker `concurrency`; default 1). */
  concurrency?: number;
  /**
   * Whether this process runs jobs (default true). The web process of a split deployment sets
   * false: it enqueues and reports, and `worker.ts` (`npm run example:astro-catalog:worker`, the
   * seed's `npm run worker`) runs them, on the same store.
   */
  runWorker?: boolean;
}

export function createAstroCatalog(options: AstroCatalogOptions) {
  const concurrency = options.concurrency ?? 1;
  const docket = new Docket({
    store: options.store,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    worker: { concurrency, enabled: options.runWorker ?? true },
    queues: { [QUEUE]: { concurrency, retention: RETENTION } },
    // No `schedules` here: `schedule-recurring-comets` stores the weekly one at run time,
    // and a process that declares none leaves stored schedules as they are.
  });
  const catalog = new CometCatalog(options.catalogPath);
  const jobs = defineJobs({ docket, catalog, cobsApiUrl: options.cobsApiUrl });

  const app = new Hono();
  app.route('/api/admin/jobs', adminJobsApi({ docket, jobs, adminApiKey: options.adminApiKey ?? null }));
  app.route('/stand-in/cobs/api', cobsStandIn());
  app.notFound((c) => c.json({ error: 'Not Found' }, 404));

  return {
    docket,
    app,
    jobs,
    catalog,
    async close(graceMs = 10_000): Promise<void> {
      await docket.close({ graceMs });
      catalog.close();
    },
  };
}

export type AstroCatalog = ReturnType<typeof createAstroCatalog>;
