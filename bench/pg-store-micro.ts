/**
 * Store-level micro benchmark of the PostgreSQL store (no worker, no Docket):
 * what the store itself costs per job on this machine.
 *
 *   npx tsx bench/pg-store-micro.ts [--n 20000] [--batch 1000] [--claim 500] [--claimers 2] [--inflight 64] [--max 10]
 *
 * Uses PG_URL when set (e.g. shared/bench/servers.sh's server), else starts a
 * throwaway PostgreSQL 15 with stock settings (fsync and synchronous_commit on).
 * Scenarios, each on a fresh schema:
 *   bulk        enqueue N jobs in calls of --batch, one after another
 *   concurrent  N single-job enqueue calls, --inflight at a time (grouped by the store)
 *   single      N/10 single-job enqueue calls, one at a time
 *   drain       N jobs pre-inserted; --claimers loops each claim --claim jobs and
 *               complete them all in one applyTransitions call, until none is left
 */
import { parseArgs } from 'node:util';
import type { NewJob } from '../src/core/job.js';
import { PostgresStore } from '../src/stores/postgres/index.js';
import { startPostgresServer, uniqueSchema } from '../test/support/postgres/postgres-server.js';

const { values: a } = parseArgs({
  options: {
    n: { type: 'string', default: '20000' },
    batch: { type: 'string', default: '1000' },
    claim: { type: 'string', default: '500' },
    claimers: { type: 'string', default: '2' },
    inflight: { type: 'string', default: '64' },
    max: { type: 'string', default: '10' },
    scenarios: { type: 'string', default: 'bulk,concurrent,single,drain' },
  },
});
const N = Number(a.n);
const BATCH = Number(a.batch);
const CLAIM = Number(a.claim);
const CLAIMERS = Number(a.claimers);
const INFLIGHT = Number(a.inflight);

const job = (i: number): NewJob => ({
  name: 'bench',
  queue: 'default',
  dataJson: JSON.stringify({ r: 'x', i, t: Date.now() }),
  priority: 0,
  delayMs: 0,
  runAt: null,
  maxAttempts: 3,
  timeoutMs: null,
  idempotencyKey: null,
  keepKeyForever: false,
  releaseKeyOnFailure: false,
  scheduleName: null,
  fireTime: null,
});

const server = process.env.PG_URL ? null : await startPostgresServer();
const url = process.env.PG_URL ?? server!.url;
const out: Array<[string, string]> = [];

async function fresh(): Promise<PostgresStore> {
  const store = new PostgresStore({ connectionString: url, schema: uniqueSchema('bench'), maxConnections: Number(a.max) });
  await store.migrate();
  return store;
}
async function dropSchema(store: PostgresStore): Promise<void> {
  // @ts-expect-error the pool is private; the benchmark cleans up after itself
  await store.pool.query(`DROP SCHEMA "${store.schema}" CASCADE`);
  await store.close();
}
async function checkpoint(store: PostgresStore): Promise<void> {
  // @ts-expect-error as above
  await store.pool.query('CHECKPOINT');
}
function report(name: string, jobs: number, ms: number): void {
  const rate = Math.round((jobs / ms) * 1000);
  out.push([name, `${rate.toLocaleString('en')} jobs/s (${jobs} in ${Math.round(ms)} ms)`]);
  process.stdout.write(`${name.padEnd(12)} ${rate.toLocaleString('en').padStart(8)} jobs/s  (${jobs} jobs, ${Math.round(ms)} ms)\n`);
}

const scenarios = new Set(a.scenarios!.split(','));
try {
  if (scenarios.has('bulk')) {
    const store = await fresh();
    await checkpoint(store);
    const t0 = performance.now();
    for (let i = 0; i < N; i += BATCH) await store.enqueue({ jobs: Array.from({ length: Math.min(BATCH, N - i) }, (_, k) => job(i + k)) });
    report('bulk', N, performance.now() - t0);
    await dropSchema(store);
  }
  if (scenarios.has('concurrent')) {
    const store = await fresh();
    await checkpoint(store);
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: INFLIGHT }, async () => {
        while (next < N) await store.enqueue({ jobs: [job(next++)] });
      }),
    );
    report('concurrent', N, performance.now() - t0);
    await dropSchema(store);
  }
  if (scenarios.has('single')) {
    const store = await fresh();
    await checkpoint(store);
    const n = Math.max(1, Math.floor(N / 10));
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await store.enqueue({ jobs: [job(i)] });
    report('single', n, performance.now() - t0);
    await dropSchema(store);
  }
  if (scenarios.has('drain')) {
    const store = await fresh();
    for (let i = 0; i < N; i += 5000) await store.enqueue({ jobs: Array.from({ length: Math.min(5000, N - i) }, (_, k) => job(i + k)) });
    await checkpoint(store);
    let done = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: CLAIMERS }, async (_, w) => {
        for (;;) {
          const got = await store.claimJobs({ workerId: `w${w}`, queues: [{ queue: 'default', limit: CLAIM }], names: ['bench'], leaseMs: 30_000 });
          if (got.length === 0) return;
          const res = await store.applyTransitions({ transitions: got.map((j) => ({ jobId: j.id, leaseToken: j.leaseToken, outcome: { kind: 'complete' as const, resultJson: null } })) });
          done += res.filter((r) => r === 'applied').length;
        }
      }),
    );
    report('drain', done, performance.now() - t0);
    if (done !== N) throw new Error(`drain completed ${done} of ${N}`);
    await dropSchema(store);
  }
} finally {
  await server?.stop();
}
