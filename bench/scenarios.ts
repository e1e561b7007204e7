/**
 * docket's own benchmark scenarios. They mirror shared/bench/peers.mjs
 * (same names, sizes and timing points) so the two sets of numbers can be
 * read side by side; this runner adds nothing of the peers' and needs no
 * server. Every scenario runs on a fresh Subject (a fresh database file).
 */
import { performance } from 'node:perf_hooks';
import { percentile } from './stats.js';
import type { BenchData, Subject } from './subject.js';

export interface ScenarioOptions {
  n: number;
  concurrency: number;
  inFlight: number;
  batch: number;
  latencyRate: number;
  latencySeconds: number;
  /** Give up waiting when no job made progress for this long. */
  stallMs: number;
}

export interface Verification {
  expected: number;
  processed: number;
  lost: number;
  dup: number;
  stray: number;
}

export interface ThroughputResult extends Verification {
  n: number;
  ms: number;
  jobsPerSec: number | null;
  /**
   * This process's CPU time (user + system) per job over the timed part, µs.
   * Less sensitive than jobs/s to other load on the machine (fsync waits and
   * time spent runnable-but-descheduled are not in it), so better for A/B
   * comparisons on a shared box.
   */
  cpuUsPerJob: number;
  /** drain only: the process's peak resident set size while the worker ran, MB (producer and worker share the process). */
  peakRssMb?: number;
  /** drain only: time until every job was recorded completed. */
  completeMs?: number;
  completePerSec?: number | null;
}

export interface LatencyResult extends Verification {
  n: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
  mean: number | null;
}

const now = () => performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rate = (n: number, ms: number) => (ms > 0 ? n / (ms / 1000) : null);
const cpuPerJob = (since: NodeJS.CpuUsage, n: number) => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / n;
};

/** Counts distinct job indices seen by the handler; see shared/bench/peers.mjs. */
export class Tracker {
  readonly seen: Uint8Array;
  distinct = 0;
  dup = 0;
  /** Deliveries of data this tracker did not issue (must stay 0). */
  stray = 0;
  lastAt: number | null = null;
  readonly lat: Float64Array | null;

  constructor(
    readonly tag: string,
    readonly n: number,
    latency = false,
  ) {
    this.seen = new Uint8Array(n);
    this.lat = latency ? new Float64Array(n).fill(Number.NaN) : null;
  }

  readonly handle = (data: BenchData): void => {
    const t = now();
    if (data?.r !== this.tag || !(data.i >= 0 && data.i < this.n)) {
      this.stray++;
      return;
    }
    if (this.seen[data.i]) {
      this.dup++;
      return;
    }
    this.seen[data.i] = 1;
    this.distinct++;
    this.lastAt = t;
    if (this.lat) this.lat[data.i] = t - data.t;
  };

  async waitAll(stallMs: number): Promise<boolean> {
    return waitFor(() => this.distinct, this.n, stallMs);
  }

  verification(): Verification {
    return { expected: this.n, processed: this.distinct, lost: this.n - this.distinct, dup: this.dup, stray: this.stray };
  }
}

/** Polls `count()` until it reaches `target`, or it has not moved for stallMs. */
async function waitFor(count: () => number, target: number, stallMs: number): Promise<boolean> {
  let last = -1;
  let lastChange = now();
  while (count() < target) {
    const c = count();
    if (c !== last) {
      last = c;
      lastChange = now();
    } else if (now() - lastChange > stallMs) return false;
    await sleep(2);
  }
  return true;
}

let tagSeq = 0;
const newTag = (s: string) => `${s}${++tagSeq}`;

async function verifyByWorking(s: Subject, tr: Tracker, o: ScenarioOptions): Promise<Verification> {
  await s.startWorker(o.concurrency, tr.handle);
  await tr.waitAll(o.stallMs);
  return tr.verification();
}

async function enqueueBulk(s: Subject, tag: string, n: number, batch: number): Promise<void> {
  for (let start = 0; start < n; start += batch) {
    const t = now();
    const datas: BenchData[] = [];
    for (let i = start; i < Math.min(start + batch, n); i++) datas.push({ r: tag, i, t });
    await s.enqueueMany(datas);
  }
}

export async function enqueueSingle(s: Subject, o: ScenarioOptions): Promise<ThroughputResult> {
  const n = Math.max(1, Math.floor(o.n / 4));
  const tr = new Tracker(newTag('a'), n);
  const c0 = process.cpuUsage();
  const t0 = now();
  for (let i = 0; i < n; i++) await s.enqueueOne({ r: tr.tag, i, t: now() });
  const ms = now() - t0;
  const cpuUsPerJob = cpuPerJob(c0, n);
  return { n, ms, jobsPerSec: rate(n, ms), cpuUsPerJob, ...(await verifyByWorking(s, tr, o)) };
}

export async function enqueueConcurrent(s: Subject, o: ScenarioOptions): Promise<ThroughputResult> {
  const n = o.n;
  const tr = new Tracker(newTag('b'), n);
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < n; i = next++) await s.enqueueOne({ r: tr.tag, i, t: now() });
  };
  const c0 = process.cpuUsage();
  const t0 = now();
  await Promise.all(Array.from({ length: o.inFlight }, lane));
  const ms = now() - t0;
  const cpuUsPerJob = cpuPerJob(c0, n);
  return { n, ms, jobsPerSec: rate(n, ms), cpuUsPerJob, ...(await verifyByWorking(s, tr, o)) };
}

export async function enqueueBulkScenario(s: Subject, o: ScenarioOptions): Promise<ThroughputResult> {
  const n = o.n;
  const tr = new Tracker(newTag('c'), n);
  const c0 = process.cpuUsage();
  const t0 = now();
  await enqueueBulk(s, tr.tag, n, o.batch);
  const ms = now() - t0;
  const cpuUsPerJob = cpuPerJob(c0, n);
  return { n, ms, jobsPerSec: rate(n, ms), cpuUsPerJob, ...(await verifyByWorking(s, tr, o)) };
}

/** N jobs bulk-enqueued (untimed), then a worker of concurrency C drains them. */
export async function drain(s: Subject, o: ScenarioOptions): Promise<ThroughputResult> {
  const n = o.n;
  const tr = new Tracker(newTag('d'), n);
  await enqueueBulk(s, tr.tag, n, o.batch);
  await sleep(200);
  let peakRss = process.memoryUsage().rss;
  const rssTimer = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 100);
  const c0 = process.cpuUsage();
  const t0 = now();
  await s.startWorker(o.concurrency, tr.handle);
  const complete = await tr.waitAll(o.stallMs);
  const ms = (tr.lastAt ?? now()) - t0;
  const out: ThroughputResult = { n, ms, jobsPerSec: complete ? rate(n, ms) : null, cpuUsPerJob: 0, ...tr.verification() };
  const completed = complete && (await waitFor(s.completedCount, n, o.stallMs));
  clearInterval(rssTimer);
  out.peakRssMb = Math.max(peakRss, process.memoryUsage().rss) / 2 ** 20;
  if (completed) {
    out.cpuUsPerJob = cpuPerJob(c0, n);
    out.completeMs = now() - t0;
    out.completePerSec = rate(n, out.completeMs);
    const left = await s.unfinished();
    if (left !== 0) throw new Error(`drain: ${n} completions reported but the store still holds ${left} unfinished jobs`);
  }
  return out;
}

/**
 * Open loop: job k is added at start + k/rate whether or not earlier adds
 * have resolved; latency = handler start minus add call.
 */
export async function latency(s: Subject, o: ScenarioOptions): Promise<LatencyResult> {
  const n = Math.round(o.latencyRate * o.latencySeconds);
  const tr = new Tracker(newTag('e'), n, true);
  await s.startWorker(o.concurrency, tr.handle);
  await sleep(1000);
  const pending: Promise<unknown>[] = [];
  const start = now();
  let k = 0;
  await new Promise<void>((done) => {
    const tick = () => {
      const due = Math.min(n, Math.floor(((now() - start) * o.latencyRate) / 1000) + 1);
      while (k < due) pending.push(s.enqueueOne({ r: tr.tag, i: k++, t: now() }));
      if (k >= n) done();
      else setTimeout(tick, 1);
    };
    tick();
  });
  await Promise.all(pending);
  await tr.waitAll(o.stallMs);
  const lat = Array.from(tr.lat!)
    .filter((x) => !Number.isNaN(x))
    .sort((a, b) => a - b);
  return {
    n,
    p50: percentile(lat, 50),
    p95: percentile(lat, 95),
    p99: percentile(lat, 99),
    max: lat.length ? lat[lat.length - 1]! : null,
    mean: lat.length ? lat.reduce((a, b) => a + b, 0) / lat.length : null,
    ...tr.verification(),
  };
}

export const SCENARIOS = {
  single: { title: 'enqueue single (N/4, sequential awaited)', run: enqueueSingle },
  concurrent: { title: 'enqueue concurrent single (N, 64 in flight)', run: enqueueConcurrent },
  bulk: { title: 'enqueue bulk (N, batches of 1000)', run: enqueueBulkScenario },
  drain: { title: 'drain (N pre-enqueued, concurrency C)', run: drain },
  latency: { title: 'enqueue-to-start latency (open loop)', run: latency },
} as const;
export type ScenarioName = keyof typeof SCENARIOS;
