/**
 * Dashboard render benchmark: server time of the pages on a SQLite store
 * holding --n jobs (default 100,000). Not a test: it prints figures.
 *
 *   npx tsx bench/dashboard-render.ts [--n 100000] [--repeat 30] [--hot] [--keep FILE]
 *
 * The store is filled through the Store API on an injected clock, so jobs
 * have realistic timestamps without any SQL here: --n jobs over 5 queues and
 * 10 names; 80 % completed, 8 % failed, 2 % cancelled (finished over the
 * last 24 hours, or all within the last hour with --hot, the worst case for
 * the charts), 6 % waiting, 2 % delayed, 2 % active. The file is then
 * reopened on the real clock and the dashboard (createAdminApp) answers
 * in-process requests (app.request: routing, store queries, JSX rendering,
 * no network), each --repeat times after two warm-up calls.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ManualClock } from '../src/core/clock.js';
import type { JobFailure, NewJob } from '../src/core/job.js';
import type { AttemptOutcome } from '../src/core/outcome.js';
import { Docket } from '../src/docket.js';
import { lastHourThroughput } from '../src/admin/dashboard/throughput.js';
import { createAdminApp } from '../src/admin/api/index.js';
import type { Store } from '../src/store/store.js';
import { SqliteStore } from '../src/stores/sqlite/index.js';

const { values: a } = parseArgs({
  options: {
    n: { type: 'string', default: '100000' },
    repeat: { type: 'string', default: '30' },
    hot: { type: 'boolean', default: false },
    keep: { type: 'string' },
  },
});
const N = Number(a.n);
const REPEAT = Number(a.repeat);
const HOUR = 3_600_000;
const SPAN_MS = a.hot ? HOUR - 60_000 : 24 * HOUR;
const QUEUES = ['default', 'mail', 'reports', 'billing', 'media'];
const NAMES = ['send-email', 'render-pdf', 'charge-card', 'resize-image', 'sync-crm', 'webhook', 'import-csv', 'digest', 'cleanup', 'notify'];
const KEY = 'bench-admin-key-0123456789';

function newJob(i: number, delayMs = 0): NewJob {
  return {
    name: NAMES[i % NAMES.length]!,
    queue: QUEUES[i % QUEUES.length]!,
    dataJson: JSON.stringify({ user: i, email: `user${i}@example.com`, plan: i % 3 === 0 ? 'pro' : 'free', note: 'lorem ipsum dolor sit amet' }),
    priority: 0,
    delayMs,
    runAt: null,
    maxAttempts: 3,
    timeoutMs: null,
    idempotencyKey: null,
    keepKeyForever: false,
    releaseKeyOnFailure: false,
    scheduleName: null,
    fireTime: null,
  };
}

const failure = (at: Date): JobFailure => ({ message: 'upstream said 503', name: 'Error', code: 'E_UPSTREAM', stack: 'Error: upstream said 503\n    at handler (bench.ts:1:1)', attempt: 1, at });

async function fill(path: string): Promise<void> {
  const end = Date.now();
  const clock = new ManualClock(end - SPAN_MS);
  const store = new SqliteStore({ path, clock, synchronous: 'NORMAL' });
  await store.migrate();
  const finished = Math.round(N * 0.9);
  const open = N - finished;
  const BATCH = 500;
  const steps = Math.ceil(finished / BATCH);
  const t0 = performance.now();
  // finished jobs: enqueue, claim and settle a batch at a time while the clock moves across the span
  for (let done = 0; done < finished; done += BATCH) {
    const n = Math.min(BATCH, finished - done);
    await store.enqueue({ jobs: Array.from({ length: n }, (_, k) => newJob(done + k)) });
    const claimed = await store.claimJobs({ workerId: 'bench', queues: QUEUES.map((queue) => ({ queue, limit: n })), names: NAMES, leaseMs: 60_000 });
    await clock.advance(Math.floor(SPAN_MS / steps / 2));
    const at = new Date(clock.now());
    await store.applyTransitions({
      transitions: claimed.map((c, k) => {
        const r = (done + k) % 90; // of 90 finished: 80 completed, 8 failed, 2 cancelled
        const outcome: AttemptOutcome = r < 80 ? { kind: 'complete', resultJson: '{"ok":true}' } : r < 88 ? { kind: 'fail', failure: failure(at) } : { kind: 'cancel', reason: 'bench' };
        return { jobId: c.id, leaseToken: c.leaseToken, outcome };
      }),
    });
    await clock.advance(Math.floor(SPAN_MS / steps / 2));
  }
  // still open: 60 % waiting, 20 % delayed, 20 % active
  await clock.set(end);
  const active = Math.round(open * 0.2);
  const delayed = Math.round(open * 0.2);
  for (let i = 0; i < active; i += 1000) {
    const n = Math.min(1000, active - i);
    await store.enqueue({ jobs: Array.from({ length: n }, (_, k) => newJob(finished + i + k)) });
    await store.claimJobs({ workerId: 'bench', queues: QUEUES.map((queue) => ({ queue, limit: n })), names: NAMES, leaseMs: 24 * HOUR });
  }
  for (let i = 0; i < open - active; i += 1000) {
    const n = Math.min(1000, open - active - i);
    await store.enqueue({ jobs: Array.from({ length: n }, (_, k) => newJob(finished + active + i + k, i + k < delayed ? HOUR : 0)) });
  }
  const counts = (await store.countJobs()).reduce<Record<string, number>>((acc, q) => {
    for (const [s, v] of Object.entries(q.counts)) acc[s] = (acc[s] ?? 0) + v;
    return acc;
  }, {});
  console.log(`filled ${N} jobs in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${JSON.stringify(counts)}`);
  await store.close();
}

function summary(ms: number[]): { median: number; p95: number; max: number } {
  const s = [...ms].sort((x, y) => x - y);
  return { median: s[Math.floor(s.length / 2)]!, p95: s[Math.ceil(0.95 * s.length) - 1]!, max: s.at(-1)! };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'docket-dash-bench-'));
  const path = a.keep ?? join(dir, 'dashboard.db');
  await fill(path);

  const store = new SqliteStore({ path });
  const docket = new Docket({ store, logger: false, worker: { enabled: false }, maintenance: { enabled: false }, scheduler: { enabled: false } });
  const app = createAdminApp({ docket, keys: { admin: [KEY] }, logger: false });
  const login = await app.request('/login', { method: 'POST', headers: { origin: 'http://localhost', 'content-type': 'application/x-www-form-urlencoded' }, body: `key=${KEY}` });
  const cookie = login.headers.get('set-cookie')!.split(';')[0]!;

  const someCompleted = (await store.listJobs({ states: ['completed'], limit: 1 })).jobs[0]!;
  const page2 = (await store.listJobs({ limit: 50 })).nextCursor!;
  const cases: Array<[string, string]> = [
    ['overview (whole page)', '/'],
    ['  overview counts + workers (live part)', '/?part=live'],
    ['  overview charts (Store.jobTimeline)', '/?part=charts'],
    ['jobs (newest 50)', '/jobs'],
    ['jobs page 2 (cursor)', `/jobs?cursor=${page2}`],
    ['jobs state=completed', '/jobs?state=completed'],
    ['jobs state=failed', '/jobs?state=failed'],
    ['jobs state=waiting', '/jobs?state=waiting'],
    ['jobs queue=mail', '/jobs?queue=mail'],
    ['jobs name=digest', '/jobs?name=digest'],
    ['jobs search (rare: 1 match)', `/jobs?search=${encodeURIComponent(`user${N - 7}@`)}`],
    ['jobs search (common)', '/jobs?search=pro'],
    ['job detail', `/jobs/${someCompleted.id}`],
    ['workers', '/workers'],
  ];
  console.log(`\nserver time per request (${REPEAT} runs after 2 warm-up, ms), ${N} jobs${a.hot ? ', all finished within the last hour' : ', finished over 24 h'}:`);
  console.log(`${'page'.padEnd(44)} ${'median'.padStart(8)} ${'p95'.padStart(8)} ${'max'.padStart(8)}  bytes`);
  for (const [label, url] of cases) {
    const times: number[] = [];
    let bytes = 0;
    for (let i = 0; i < REPEAT + 2; i++) {
      const t = performance.now();
      const res = await app.request(url, { headers: { cookie } });
      const body = await res.text();
      const ms = performance.now() - t;
      if (res.status !== 200) throw new Error(`${url}: ${res.status} ${body.slice(0, 200)}`);
      bytes = body.length;
      if (i >= 2) times.push(ms);
    }
    const s = summary(times);
    console.log(`${label.padEnd(44)} ${s.median.toFixed(1).padStart(8)} ${s.p95.toFixed(1).padStart(8)} ${s.max.toFixed(1).padStart(8)}  ${bytes}`);
  }
  // what a store without jobTimeline costs: the same series from jobStats windows (four calls of 15)
  const withoutTimeline = Object.create(store, { jobTimeline: { value: undefined } }) as Store;
  const fallback = new Docket({ store: withoutTimeline, logger: false, worker: { enabled: false }, maintenance: { enabled: false }, scheduler: { enabled: false } }).jobs;
  const times: number[] = [];
  for (let i = 0; i < Math.min(REPEAT, 10) + 1; i++) {
    const t = performance.now();
    await lastHourThroughput(fallback);
    if (i > 0) times.push(performance.now() - t);
  }
  const f = summary(times);
  console.log(`${'  (charts from jobStats windows, no render)'.padEnd(44)} ${f.median.toFixed(1).padStart(8)} ${f.p95.toFixed(1).padStart(8)} ${f.max.toFixed(1).padStart(8)}`);
  app.close();
  await docket.close();
  if (!a.keep) rmSync(dir, { recursive: true, force: true });
}

await main();
