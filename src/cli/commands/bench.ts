/**
 * `docket bench`: a quick throughput and latency check of docket on SQLite on
 * this machine, with the same split as a deployment (a producer Docket and a
 * worker Docket on one store) and no-op handlers, so the numbers are docket's
 * own overhead. It always uses a fresh temporary database file (never your
 * store). The full suite with more scenarios and the peer comparison is
 * `npm run bench` in a checkout (bench/README.md); it is not shipped in the
 * package, so this command carries its own small version.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Option, type Command } from 'commander';
import { Docket } from '../../docket.js';
import { SqliteStore } from '../../stores/sqlite/index.js';
import type { CliContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { fields, formatNumber, table, writeJson } from '../output.js';
import { parseChoice, parsePositiveInteger } from '../parse.js';
import type { Act } from '../program.js';
import { startProgress } from '../progress.js';

interface BenchFlags {
  n: number;
  concurrency: number;
  sync: 'FULL' | 'NORMAL';
  dir: string;
  latency: number;
}

const JOB = 'bench';
const BATCH = 1_000;
const LATENCY_RATE_PER_SEC = 200;
/** Give up when no job finished for this long (a lost job, not a slow machine). */
const STALL_MS = 30_000;

export function registerBenchCommand(program: Command, act: Act): void {
  program
    .command('bench')
    .description('quick benchmark of docket on a temporary SQLite file: bulk enqueue, drain, enqueue-to-start latency (full suite: npm run bench in a checkout)')
    .option('-n, --n <jobs>', 'jobs to enqueue and drain', parsePositiveInteger, 10_000)
    .option('--concurrency <n>', 'worker concurrency', parsePositiveInteger, 32)
    .addOption(new Option('--sync <mode>', 'SQLite synchronous').argParser(parseChoice(['FULL', 'NORMAL'] as const)).default('FULL'))
    .option('--latency <jobs>', 'jobs in the latency run, enqueued one at a time at 200/s (0 skips it)', (v) => (v === '0' ? 0 : parsePositiveInteger(v)), 500)
    .option('--dir <dir>', 'where the temporary database goes (pick the disk you care about: FULL is fsync-bound)', os.tmpdir())
    .action(act<BenchFlags>(async (ctx, f) => runBench(ctx, f)));
}

async function runBench(ctx: CliContext, f: BenchFlags): Promise<number> {
  const dir = mkdtempSync(join(f.dir, 'docket-bench-'));
  const store = new SqliteStore({ path: join(dir, 'bench.db'), synchronous: f.sync });
  const seen = new Uint8Array(f.n);
  let dup = 0;
  let stray = 0;
  let started = 0;
  const latencies: number[] = [];
  const producer = new Docket({ store, logger: false, worker: { enabled: false }, maintenance: { enabled: false } });
  const worker = new Docket({ store, logger: false, worker: { concurrency: f.concurrency } });
  const handler = async (data: { i: number; t?: number }) => {
    started++;
    if (data.t !== undefined) latencies.push(performance.now() - data.t);
    else if (data.i < 0 || data.i >= f.n) stray++;
    else if (seen[data.i]) dup++;
    else seen[data.i] = 1;
  };
  producer.defineJob(JOB, { handler });
  worker.defineJob(JOB, { handler });
  let completed = 0;
  worker.on('job:completed', () => void completed++);
  if (!ctx.json) ctx.io.stderr.write(`docket bench: N=${formatNumber(f.n)}, concurrency ${f.concurrency}, synchronous=${f.sync}, file in ${dir}\n`);

  try {
    await producer.start();
    // 1. bulk enqueue
    let bar = startProgress(ctx.io, { label: 'enqueue', total: f.n, unit: 'jobs', quiet: ctx.json });
    const cpu0 = process.cpuUsage();
    let t0 = performance.now();
    for (let i = 0; i < f.n; i += BATCH) {
      const items = [];
      for (let j = i; j < Math.min(f.n, i + BATCH); j++) items.push({ name: JOB, data: { i: j } });
      await producer.enqueueMany(items);
      bar.update(Math.min(f.n, i + BATCH));
    }
    const enqueueMs = performance.now() - t0;
    bar.stop();

    // 2. drain
    bar = startProgress(ctx.io, { label: 'drain', total: f.n, unit: 'jobs', quiet: ctx.json });
    t0 = performance.now();
    await worker.start();
    let last = -1;
    let lastChange = performance.now();
    while (completed < f.n) {
      await sleep(20);
      bar.update(completed);
      if (completed !== last) [last, lastChange] = [completed, performance.now()];
      else if (performance.now() - lastChange > STALL_MS) break;
    }
    const drainMs = performance.now() - t0;
    bar.update(completed);
    bar.stop();
    const cpu = process.cpuUsage(cpu0);

    // 3. latency: one enqueue at a time while the worker idles
    if (f.latency > 0) {
      bar = startProgress(ctx.io, { label: 'latency', total: f.latency, unit: 'jobs', quiet: ctx.json });
      const before = started;
      for (let k = 0; k < f.latency; k++) {
        void producer.enqueue(JOB, { i: -1, t: performance.now() });
        await sleep(1_000 / LATENCY_RATE_PER_SEC);
        bar.update(k + 1);
      }
      const deadline = performance.now() + STALL_MS;
      while (started - before < f.latency && performance.now() < deadline) await sleep(10);
      bar.stop();
    }

    let lost = 0;
    for (let i = 0; i < f.n; i++) if (!seen[i]) lost++;
    latencies.sort((a, b) => a - b);
    const pct = (p: number) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)]! : null);
    const result = {
      n: f.n,
      concurrency: f.concurrency,
      synchronous: f.sync,
      node: process.version,
      cpus: os.availableParallelism(),
      enqueueBulkPerSec: Math.round(f.n / (enqueueMs / 1_000)),
      drainPerSec: Math.round(f.n / (drainMs / 1_000)),
      cpuUsPerJob: Math.round(((cpu.user + cpu.system) / f.n) * 10) / 10,
      latencyMs: f.latency > 0 ? { samples: latencies.length, p50: pct(50), p95: pct(95), p99: pct(99), max: latencies.at(-1) ?? null } : null,
      lost,
      dup,
      stray,
    };
    if (ctx.json) writeJson(ctx.io, result);
    else {
      const rows: Array<[string, string]> = [
        [`enqueue, bulk (enqueueMany x ${BATCH})`, `${formatNumber(result.enqueueBulkPerSec)} jobs/s`],
        [`drain, concurrency ${f.concurrency}`, `${formatNumber(result.drainPerSec)} jobs/s`],
        ['CPU per job (enqueue + drain)', `${result.cpuUsPerJob} µs`],
      ];
      if (result.latencyMs) {
        const l = result.latencyMs;
        const ms = (v: number | null) => (v === null ? '-' : `${v.toFixed(2)} ms`);
        rows.push([`enqueue -> handler start, ${LATENCY_RATE_PER_SEC}/s`, `p50 ${ms(l.p50)} · p95 ${ms(l.p95)} · p99 ${ms(l.p99)} · max ${ms(l.max)}`]);
      }
      ctx.io.stdout.write(`\n${table(rows, [{ header: 'SCENARIO', value: (r) => r[0] }, { header: 'RESULT', value: (r) => r[1], max: 100 }])}`);
      ctx.io.stdout.write(fields([['verified', `${formatNumber(f.n - lost)} of ${formatNumber(f.n)} jobs ran; lost ${lost}, duplicates ${dup}`], ['machine', `node ${process.version}, ${os.availableParallelism()} CPUs`]]));
      if (lost > 0) ctx.io.stdout.write(`LOST ${lost} jobs: this run is not valid\n`);
    }
    return lost > 0 || stray > 0 ? EXIT.CHECK_FAILED : EXIT.OK;
  } finally {
    await worker.stop({ graceMs: 1_000 }).catch(() => undefined);
    await producer.stop().catch(() => undefined);
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
