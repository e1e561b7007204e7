/**
 * What a benchmark scenario talks to: docket on one fresh SQLite file (or a
 * fresh PostgreSQL schema), split
 * the way a deployment is (and the way bench/peers/_docket-factory.mjs does
 * it, so both benchmarks measure the same thing): a producer Docket with
 * worker and maintenance off takes the adds; `startWorker` starts a second
 * Docket on the same store instance with the given concurrency, as a worker
 * process would. Everything not named here is docket's default.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Docket } from '../src/index.js';
import { SqliteStore } from '../src/stores/sqlite/index.js';
import { PostgresStore } from '../src/stores/postgres/index.js';
import type { Store } from '../src/store/store.js';

export type Synchronous = 'FULL' | 'NORMAL';
export type BenchData = { r: string; i: number; t: number };

export interface Subject {
  enqueueOne(data: BenchData): Promise<unknown>;
  enqueueMany(datas: BenchData[]): Promise<unknown>;
  /** Starts the worker Docket; `onStart` runs at the top of every handler call. */
  startWorker(concurrency: number, onStart: (data: BenchData) => void): Promise<void>;
  /** `job:completed` events seen since startWorker. */
  completedCount(): number;
  /** Jobs still waiting, delayed or active, from the store. */
  unfinished(): Promise<number>;
  close(): Promise<void>;
}

const JOB = 'bench';
let fileSeq = 0;

export async function openSqliteSubject(opts: { dir: string; synchronous: Synchronous }): Promise<Subject> {
  const path = join(opts.dir, `bench-${process.pid}-${++fileSeq}.db`);
  const store = new SqliteStore({ path, synchronous: opts.synchronous });
  return openSubject(store, () => {
    for (const f of [path, `${path}-wal`, `${path}-shm`]) rmSync(f, { force: true });
  });
}

/** docket on PostgreSQL (`url`), a fresh schema per subject, dropped on close. Store options are the defaults. */
export async function openPostgresSubject(opts: { url: string }): Promise<Subject> {
  const schema = `docket_bench_${process.pid}_${++fileSeq}`;
  const store = new PostgresStore({ connectionString: opts.url, schema });
  return openSubject(store, async () => {
    const { default: pg } = await import('pg');
    const c = new pg.Client({ connectionString: opts.url });
    await c.connect();
    try {
      await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    } finally {
      await c.end();
    }
  });
}

async function openSubject(store: Store, destroy: () => void | Promise<void>): Promise<Subject> {
  let onStart: (data: BenchData) => void = () => {};
  let completed = 0;
  const define = (d: Docket) =>
    d.defineJob(JOB, {
      async handler(data: BenchData) {
        onStart(data);
      },
    });

  const producer = new Docket({ store, logger: false, worker: { enabled: false }, maintenance: { enabled: false }, scheduler: { enabled: false } });
  const bench = define(producer);
  await producer.start();
  let worker: Docket | null = null;

  return {
    enqueueOne: (data) => bench.enqueue(data),
    enqueueMany: (datas) => producer.enqueueMany(datas.map((data) => ({ name: JOB, data }))),
    async startWorker(concurrency, fn) {
      if (worker) throw new Error('worker already started');
      onStart = fn;
      worker = new Docket({ store, logger: false, worker: { concurrency } });
      define(worker);
      worker.on('job:completed', () => {
        completed++;
      });
      await worker.start();
    },
    completedCount: () => completed,
    async unfinished() {
      let open = 0;
      for (const q of await store.countJobs()) open += q.counts.waiting + q.counts.delayed + q.counts.active;
      return open;
    },
    async close() {
      if (worker) await worker.stop({ graceMs: 5000 });
      await producer.stop({ graceMs: 0 });
      await store.close().catch(() => {}); // a Docket may already have closed it
      await destroy();
    },
  };
}
