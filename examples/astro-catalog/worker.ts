/**
 * `npm run example:astro-catalog:worker`: the worker-only process, the seed's
 * `npm run worker` (run under systemd, PM2 or Docker beside the web app). It
 * runs the `catalog-updates` jobs (and the scheduler and maintenance) on the
 * web process's store, serves nothing, and on SIGTERM / SIGINT stops claiming,
 * gives running jobs 10 s, puts the rest back and exits. Start the web process
 * with `RUN_WORKER=false npm run example:astro-catalog`; any number of workers
 * may run (one SQLite file on one machine; the PostgreSQL store across machines).
 */
import pino from 'pino';
import { SqliteStore } from 'docket/sqlite';
import { createAstroCatalog } from './app.js';
import { QUEUE } from './jobs.js';

const env = process.env;
const concurrency = Number(env.WORKER_CONCURRENCY ?? 1);
if (!Number.isInteger(concurrency) || concurrency < 1) {
  console.error(`astro-catalog worker: WORKER_CONCURRENCY must be a positive integer (got ${env.WORKER_CONCURRENCY})`);
  process.exit(2);
}
const logger = pino({ name: 'astro-catalog-worker', level: env.LOG_LEVEL ?? 'info' }, pino.destination(2));
const docketDb = env.DOCKET_DB ?? './astro-jobs.db';
const catalogDb = env.CATALOG_DB ?? './astro-catalog.db';
// Without COBS_API_URL, the stand-in the web process serves (on its PORT, default 3000).
const cobsApiUrl = env.COBS_API_URL ?? `http://${env.WEB_HOST ?? '127.0.0.1'}:${env.PORT ?? 3000}/stand-in/cobs/api`;
const astro = createAstroCatalog({ store: new SqliteStore({ path: docketDb }), catalogPath: catalogDb, cobsApiUrl: () => cobsApiUrl, logger, concurrency });
await astro.docket.start();
console.log(`astro-catalog worker started (queue ${QUEUE}, concurrency ${concurrency}; jobs: ${docketDb}; catalog: ${catalogDb}; COBS: ${cobsApiUrl})`);

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return; // a second signal (e.g. relayed by npm/tsx) changes nothing
  stopping = true;
  logger.info({ signal }, 'shutting down: no new jobs are claimed, running ones get 10 s to finish');
  await astro.close(10_000);
  console.log('astro-catalog worker stopped');
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
