/**
 * `npm run example:astro-catalog`: the admin API and the worker of the
 * `catalog-updates` queue in one process. The seed ran `npm run worker` beside
 * the web app: `RUN_WORKER=false` here and `npm run example:astro-catalog:worker`
 * (worker.ts) split them the same way. Settings come from the environment.
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import pino from 'pino';
import { SqliteStore } from 'docket/sqlite';
import { createAstroCatalog } from './app.js';

const env = process.env;
const host = env.HOST ?? '127.0.0.1';
const port = Number(env.PORT ?? 3000);
const concurrency = Number(env.WORKER_CONCURRENCY ?? 1);
const runWorker = env.RUN_WORKER !== 'false';
const problems = [
  !Number.isInteger(port) || port < 0 || port > 65_535 ? `PORT must be a port number (got ${env.PORT})` : null,
  !Number.isInteger(concurrency) || concurrency < 1 ? `WORKER_CONCURRENCY must be a positive integer (got ${env.WORKER_CONCURRENCY})` : null,
  env.RUN_WORKER !== undefined && !['true', 'false'].includes(env.RUN_WORKER) ? `RUN_WORKER must be true or false (got ${env.RUN_WORKER})` : null,
  !env.ADMIN_API_KEY && !['127.0.0.1', 'localhost', '::1'].includes(host) ? `HOST=${host} exposes the admin API: set ADMIN_API_KEY too` : null,
].filter(Boolean);
if (problems.length > 0) {
  for (const p of problems) console.error(`astro-catalog: ${p}`);
  process.exit(2);
}

const logger = pino({ name: 'astro-catalog', level: env.LOG_LEVEL ?? 'info' }, pino.destination(2));
const docketDb = env.DOCKET_DB ?? './astro-jobs.db';
const catalogDb = env.CATALOG_DB ?? './astro-catalog.db';
let publicUrl = '';
const astro = createAstroCatalog({
  store: new SqliteStore({ path: docketDb }),
  catalogPath: catalogDb,
  cobsApiUrl: () => env.COBS_API_URL ?? `${publicUrl}/stand-in/cobs/api`,
  adminApiKey: env.ADMIN_API_KEY,
  logger,
  concurrency,
  runWorker,
});
await astro.docket.start();

const server = serve({ fetch: astro.app.fetch, hostname: host, port }, (info: AddressInfo) => {
  publicUrl = `http://${host.includes(':') ? `[${host}]` : host}:${info.port}`;
  console.log(`astro-catalog listening on ${publicUrl} (jobs: ${docketDb}; catalog: ${catalogDb}; COBS: ${env.COBS_API_URL ?? 'local stand-in'}; auth: ${env.ADMIN_API_KEY ? 'ADMIN_API_KEY' : 'off, loopback only'}; worker: ${runWorker ? `in this process, concurrency ${concurrency}` : 'off (RUN_WORKER=false): run npm run example:astro-catalog:worker'})`);
});

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return; // a second signal (e.g. relayed by npm/tsx) changes nothing
  stopping = true;
  logger.info({ signal }, 'shutting down: no new jobs are claimed, running ones get 10 s to finish');
  server.close();
  await astro.close(10_000);
  console.log('astro-catalog stopped');
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
