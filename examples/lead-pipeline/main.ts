/**
 * `npm run example:lead-pipeline`: the API, the workers and the maintenance
 * scheduler in one process (run several for more workers: they share the store).
 * Settings come from the environment; see README.md.
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import pino from 'pino';
import { openDatabase } from './database.js';
import { createLeadPipeline } from './pipeline.js';

const env = process.env;
const host = env.HOST ?? '127.0.0.1';
const port = Number(env.PORT ?? 8000);
const concurrency = Number(env.WORKER_CONCURRENCY ?? 8);
const problems = [
  !Number.isInteger(port) || port < 0 || port > 65_535 ? `PORT must be a port number (got ${env.PORT})` : null,
  !Number.isInteger(concurrency) || concurrency < 1 ? `WORKER_CONCURRENCY must be a positive integer (got ${env.WORKER_CONCURRENCY})` : null,
  !env.API_KEY && !['127.0.0.1', 'localhost', '::1'].includes(host) ? `HOST=${host} exposes the API: set API_KEY too` : null,
].filter(Boolean);
if (problems.length > 0) {
  for (const p of problems) console.error(`lead-pipeline: ${p}`);
  process.exit(2);
}

const logger = pino({ name: 'lead-pipeline', level: env.LOG_LEVEL ?? 'info' }, pino.destination(2));
const db = await openDatabase({ databaseUrl: env.DATABASE_URL, sqlitePath: env.DOCKET_DB ?? './lead-pipeline.db' });

let publicUrl = '';
const pipeline = createLeadPipeline({
  store: db.store,
  logger,
  apiKey: env.API_KEY,
  searchUrl: () => env.SEARCH_URL ?? `${publicUrl}/stand-in/search`,
  optimizeDatabase: () => db.optimize(),
  workerConcurrency: concurrency,
});
await pipeline.docket.start();

const server = serve({ fetch: pipeline.app.fetch, hostname: host, port }, (info: AddressInfo) => {
  publicUrl = `http://${host.includes(':') ? `[${host}]` : host}:${info.port}`;
  const store = db.kind === 'postgres' ? 'postgres (DATABASE_URL)' : `sqlite ${env.DOCKET_DB ?? './lead-pipeline.db'}`;
  console.log(`lead-pipeline listening on ${publicUrl} (store: ${store}; auth: ${env.API_KEY ? 'API_KEY' : 'off, loopback only'})`);
});

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return; // a second signal (e.g. relayed by npm/tsx) changes nothing
  stopping = true;
  logger.info({ signal }, 'shutting down: no new jobs are claimed, running ones get 10 s to finish');
  server.close();
  await pipeline.docket.close({ graceMs: 10_000 });
  await db.close();
  console.log('lead-pipeline stopped');
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
