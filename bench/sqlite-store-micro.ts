/**
 * Store-level micro benchmark of the SQLite store (no worker, no Docket):
 * what the store itself costs per job on this machine.
 *
 *   npx tsx bench/sqlite-store-micro.ts [--n 100000] [--batch 1000] [--claim 1000] [--sync FULL,NORMAL] [--memory]
 *
 * Scenarios, each on a fresh database file:
 *   bulk    enqueue N jobs in calls of --batch, one after another
 *   single  N/20 single-job enqueue calls, one at a time (one commit, one fsync each at FULL)
 *   drain   N jobs pre-inserted; claim --claim jobs, complete them all in one
 *           applyTransitions call, until none is left
 * Wall-clock jobs/s and this process's CPU µs per job (less sensitive to
 * other load on a shared machine; fsync waits are not in it).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { NewJob } from '../src/core/job.js';
import { SqliteStore, type SqliteSynchronous } from '../src/stores/sqlite/index.js';

const { values: a } = parseArgs({
  options: {
    n: { type: 'string', default: '100000' },
    batch: { type: 'string', default: '1000' },
    claim: { type: 'string', default: '1000' },
    sync: { type: 'string', default: 'FULL,NORMAL' },
    memory: { type: 'boolean', default: false },
  },
});
const N = Number(a.n);
const BATCH = Number(a.batch);
const CLAIM = Number(a.claim);

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

async function measure(label: string, n: number, fn: () => Promise<void>): Promise<void> {
  const t = performance.now();
  const c = process.cpuUsage();
  await fn();
  const cpu = process.cpuUsage(c);
  const ms = performance.now() - t;
  const line = `${label.padEnd(22)} ${String(Math.round(n / (ms / 1000))).padStart(8)} jobs/s   ${((cpu.user + cpu.system) / n).toFixed(1).padStart(6)} cpu µs/job`;
  process.stdout.write(`${line}\n`);
}

async function fresh(sync: SqliteSynchronous, dir: string, name: string): Promise<SqliteStore> {
  const store = new SqliteStore({ path: a.memory ? ':memory:' : join(dir, `${name}.db`), synchronous: sync });
  await store.migrate();
  return store;
}

const dir = mkdtempSync(join(tmpdir(), 'docket-sqlite-micro-'));
try {
  for (const sync of a.sync.split(',') as SqliteSynchronous[]) {
    process.stdout.write(`-- synchronous=${sync}${a.memory ? ' (in memory)' : ''}, n=${N}\n`);
    const batches = Array.from({ length: Math.ceil(N / BATCH) }, (_, b) => Array.from({ length: Math.min(BATCH, N - b * BATCH) }, (_, k) => job(b * BATCH + k)));

    let store = await fresh(sync, dir, `bulk-${sync}`);
    await measure(`bulk (batch ${BATCH})`, N, async () => {
      for (const jobs of batches) await store.enqueue({ jobs });
    });
    await store.close();

    store = await fresh(sync, dir, `single-${sync}`);
    const singles = Math.max(1, Math.floor(N / 20));
    await measure('single, sequential', singles, async () => {
      for (let i = 0; i < singles; i++) await store.enqueue({ jobs: [job(i)] });
    });
    await store.close();

    store = await fresh(sync, dir, `drain-${sync}`);
    for (const jobs of batches) await store.enqueue({ jobs });
    let done = 0;
    await measure(`drain (claim ${CLAIM})`, N, async () => {
      for (;;) {
        const claimed = await store.claimJobs({ workerId: 'bench', queues: [{ queue: 'default', limit: CLAIM }], names: ['bench'], leaseMs: 60_000 });
        if (claimed.length === 0) break;
        const r = await store.applyTransitions({ transitions: claimed.map((j) => ({ jobId: j.id, leaseToken: j.leaseToken, outcome: { kind: 'complete' as const, resultJson: null } })) });
        done += r.filter((x) => x === 'applied').length;
      }
    });
    if (done !== N) throw new Error(`drain completed ${done} of ${N}`);
    await store.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
