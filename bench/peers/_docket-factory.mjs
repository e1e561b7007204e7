// One adapter factory for docket on any store, implementing the adapter
// contract of shared/bench/peers.mjs (see shared/bench/README.md). A store's
// adapter file only says how to build a fresh store; see docket-sqlite.mjs.
//
// How docket is loaded (DOCKET_BENCH_FROM):
//  - `src` (default): the TypeScript source tree through tsx's ESM loader
//    (tsx is a dev dependency), so the adapter always runs the current code
//    and needs no build step.
//  - `dist`: the compiled package in dist/ (run `npm run build` first).
//
// What the adapter does with docket (and why):
//  - One producer Docket (worker, maintenance and scheduler disabled) takes the
//    adds, as an API process would; work(C) starts a second Docket on the SAME
//    store instance with worker.concurrency = C and its other services at their
//    defaults (maintenance, scheduler), as a worker process would. Sharing the store instance keeps SQLite's in-process
//    wake-up signal working between the two.
//  - Single add = `docket.enqueue(name, data)`: concurrent calls are grouped
//    into one transaction per tick by docket's micro-batching. Batch add =
//    `docket.enqueueMany(...)`: one transaction, one wake-up.
//  - Every other option is docket's default (claimBatchSize = concurrency,
//    pollIntervalMs 500 as a fallback only, lease 30 s, retention of
//    completed jobs 10,000 / 7 days), logger off.
//  - reset(): stops both Dockets, closes the store and builds a fresh one
//    (`createStore` gets a new sequence number, e.g. for a new SQLite file).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FROM = process.env.DOCKET_BENCH_FROM || 'src';
const JOB = 'bench';

let tsxReady = null;
async function ensureTsx() {
  // A global tsx registration (not tsImport's namespaces), so a module that
  // two entry points import is loaded once and `instanceof` keeps working.
  if (!tsxReady) tsxReady = import('tsx/esm/api').then((m) => m.register());
  await tsxReady;
}

/** Imports a module of docket by its path under src/ without suffix, e.g. 'stores/sqlite/index'. */
export async function loadDocket(sub) {
  if (FROM === 'dist') return import(pathToFileURL(join(REPO_ROOT, 'dist', `${sub}.js`)).href);
  if (FROM !== 'src') throw new Error(`DOCKET_BENCH_FROM must be 'src' or 'dist' (got ${FROM})`);
  await ensureTsx();
  return import(pathToFileURL(join(REPO_ROOT, 'src', `${sub}.ts`)).href);
}

function docketVersion() {
  let v = '?';
  try {
    v = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')).version;
  } catch {
    // keep '?'
  }
  return `${v} (${FROM})`;
}

const UNFINISHED = ['waiting', 'delayed', 'active'];

/**
 * @param {object} spec
 * @param {string} spec.name      column name in the peers table
 * @param {string} spec.backend   'sqlite' | 'postgres' | 'redis'
 * @param {string} spec.settings  store settings, printed by the harness
 * @param {(ctx: object, seq: number) => Promise<{ store: object, destroy?: () => Promise<void> | void }>} spec.createStore
 *        a fresh, empty store; ctx is the harness's ({ tmpDir, pgUrl, redisUrl, ... }), seq counts
 *        resets; destroy() runs after the store is closed and deletes what it left (files, schemas)
 * @param {object} [spec.docketOptions] extra Docket options for both instances
 * @returns the adapter factory (the default export of an adapter module)
 */
export function docketAdapter(spec) {
  return async function create(ctx) {
    const { Docket } = await loadDocket('index');
    let seq = 0;
    let store = null;
    let destroy = null;
    let producer = null;
    let worker = null;
    let onJob = () => {};

    const defineBench = (d) =>
      d.defineJob(JOB, {
        async handler(data) {
          onJob(data);
        },
      });

    async function open() {
      ({ store, destroy = null } = await spec.createStore(ctx, seq++));
      producer = new Docket({
        ...spec.docketOptions,
        store,
        logger: false,
        worker: { enabled: false },
        maintenance: { enabled: false },
        scheduler: { enabled: false },
      });
      defineBench(producer);
      await producer.start();
    }

    // Peak RSS of this process while a worker runs (the harness, the producer
    // and the worker share it), printed when the worker stops: the harness's
    // table has no memory row, and a 1M drain should show what it holds.
    let rssTimer = null;
    let peakRss = 0;

    async function stopWorker() {
      if (worker) {
        const w = worker;
        worker = null;
        await w.stop({ graceMs: 5000 });
        clearInterval(rssTimer);
        rssTimer = null;
        peakRss = Math.max(peakRss, process.memoryUsage().rss);
        process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${spec.name}: peak RSS of the process while the worker ran: ${Math.round(peakRss / 2 ** 20)} MB\n`);
      }
    }

    async function shut() {
      await stopWorker();
      if (producer) {
        const p = producer;
        producer = null;
        await p.stop({ graceMs: 0 });
      }
      if (store) {
        const s = store;
        const d = destroy;
        store = null;
        destroy = null;
        await s.close().catch(() => {}); // the Docket may already have closed it
        if (d) await d();
      }
    }

    await open();

    return {
      name: spec.name,
      backend: spec.backend,
      version: docketVersion(),
      settings: `${spec.settings}; producer Docket + worker Docket (concurrency=C) on one store; single add = enqueue() (micro-batched), batch = enqueueMany(); other options default`,

      async enqueue(datas) {
        if (datas.length === 1) await producer.enqueue(JOB, datas[0]);
        else await producer.enqueueMany(datas.map((data) => ({ name: JOB, data })));
      },

      async work(concurrency, handler) {
        if (worker) throw new Error(`${spec.name} adapter: worker already running`);
        onJob = handler;
        worker = new Docket({ ...spec.docketOptions, store, logger: false, worker: { concurrency } });
        defineBench(worker);
        peakRss = process.memoryUsage().rss;
        rssTimer = setInterval(() => {
          peakRss = Math.max(peakRss, process.memoryUsage().rss);
        }, 250);
        rssTimer.unref();
        await worker.start();
      },

      async drain() {
        for (;;) {
          const counts = await store.countJobs();
          let open = 0;
          for (const q of counts) for (const s of UNFINISHED) open += q.counts[s];
          if (open === 0) return;
          await new Promise((r) => setTimeout(r, 20));
        }
      },

      async reset() {
        await shut();
        onJob = () => {};
        await open();
      },

      async close() {
        await shut();
      },
    };
  };
}
