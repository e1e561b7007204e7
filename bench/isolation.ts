/**
 * `npx tsx bench/isolation.ts [--n 2000] [--latency 200] [--concurrency 8]`: what isolation costs.
 * Per mode (in-process, thread, process), on an in-memory SQLite store:
 *  - throughput: jobs/s of N no-op jobs at `concurrency`, enqueued to the running worker, timed
 *    from the first enqueue to the last completion (threads/processes started before timing);
 *  - start latency: for `latency` jobs run one at a time, the time from the worker starting the
 *    attempt (job.startedAt) to the handler's first line (wall clock), p50/p99.
 */
import { parseArgs } from 'node:util';
import { createTestDocket } from '../src/testing/index.js';
import type { Isolation } from '../src/jobs/job-definition.js';

const { values: args } = parseArgs({ options: { n: { type: 'string', default: '2000' }, latency: { type: 'string', default: '200' }, concurrency: { type: 'string', default: '8' } } });
const N = Number(args.n);
const LATENCY = Number(args.latency);
const CONCURRENCY = Number(args.concurrency);
const HANDLERS = new URL('./isolation-handlers.ts', import.meta.url);

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function measure(isolation: Isolation) {
  const docket = createTestDocket({ worker: { concurrency: CONCURRENCY, pollIntervalMs: 20 } });
  const handler = (name: string) => ({ module: HANDLERS, export: name });
  const noop = docket.defineJob('noop', { isolation, handler: handler('noop') });
  const stamp = docket.defineJob('stamp', { isolation, handler: handler('startedAt') });
  await docket.start();
  // Warm-up: start every thread/process and load the modules.
  await Promise.all(Array.from({ length: CONCURRENCY * 2 }, async () => (await stamp.enqueue(null)).wait({ timeoutMs: 60_000 })));

  // Start latency, one job at a time.
  const delays: number[] = [];
  for (let i = 0; i < LATENCY; i++) {
    const job = await stamp.enqueue(null);
    const began = (await job.wait({ timeoutMs: 60_000 })) as number;
    const record = await docket.getJob(job.id);
    delays.push(began - record!.startedAt!.getTime());
  }
  delays.sort((a, b) => a - b);

  // Throughput: N jobs enqueued at once (in chunks of 500) to the running worker, until the last completes.
  let done = 0;
  const all = new Promise<void>((resolve) => docket.on('job:completed', (e) => e.name === 'noop' && ++done === N && resolve()));
  const t0 = performance.now();
  for (let i = 0; i < N; i += 500) await Promise.all(Array.from({ length: Math.min(500, N - i) }, () => noop.enqueue(null)));
  await all;
  const seconds = (performance.now() - t0) / 1000;
  await docket.close({ graceMs: 1_000 });
  return { isolation, jobsPerSec: Math.round(N / seconds), startP50: pct(delays, 50), startP99: pct(delays, 99) };
}

const rows = [];
for (const mode of ['in-process', 'thread', 'process'] as const) rows.push(await measure(mode));
console.log(`no-op jobs: n=${N}, concurrency ${CONCURRENCY}; start latency over ${LATENCY} sequential jobs (ms from attempt start to the handler's first line)`);
console.log('isolation    jobs/s   start p50   start p99');
for (const r of rows) console.log(`${r.isolation.padEnd(11)} ${String(r.jobsPerSec).padStart(7)} ${r.startP50.toFixed(2).padStart(11)} ${r.startP99.toFixed(2).padStart(11)}`);
