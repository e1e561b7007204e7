import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Docket } from '../../src/index.js';
import { SqliteStore } from '../../src/stores/sqlite/index.js';
import { spawnWorker, until, type WorkerProcess } from './helpers.js';

const JOBS = 20_000;
const WORKERS = 4;
const dir = mkdtempSync(join(tmpdir(), 'docket-mp-'));
const children: WorkerProcess[] = [];

afterAll(() => {
  for (const w of children) if (w.child.exitCode === null) w.child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('4 worker processes on one SQLite file', () => {
  it(`complete ${JOBS} jobs, each exactly once, none left active`, { timeout: 300_000 }, async () => {
    const db = join(dir, 'many.db');
    const store = new SqliteStore({ path: db });
    const producer = new Docket({ store, logger: false, worker: { enabled: false }, maintenance: { enabled: false } });
    producer.defineJob('mp', { handler: async () => null });
    for (let w = 0; w < WORKERS; w++) {
      children.push(spawnWorker({ DOCKET_DB: db, WORKER_ID: `w${w}`, MODE: 'record', OUT_FILE: join(dir, `w${w}.log`), CONCURRENCY: '50' }));
    }
    // Jobs go in once every worker is up: on a loaded machine one process can start seconds after
    // another, and the first ones would drain everything before it polls.
    await Promise.all(children.map((c) => c.ready));
    const started = Date.now();
    const ids: string[] = [];
    for (let i = 0; i < JOBS; i += 2_000) {
      const batch = await producer.enqueueMany(Array.from({ length: 2_000 }, (_, k) => ({ name: 'mp', data: { n: i + k } })));
      ids.push(...batch.map((j) => j.id));
    }
    const counts = async () => (await store.countJobs()).find((c) => c.queue === 'default')!.counts;
    await until(async () => (await counts()).completed === JOBS, `${JOBS} completed jobs`);
    const elapsed = Date.now() - started;
    for (const c of children) c.child.kill('SIGTERM');
    expect(await Promise.all(children.map((c) => c.exited))).toEqual([0, 0, 0, 0]);

    const executions = children.flatMap((_, w) => readFileSync(join(dir, `w${w}.log`), 'utf8').split('\n').filter(Boolean));
    const perWorker = children.map((_, w) => readFileSync(join(dir, `w${w}.log`), 'utf8').split('\n').filter(Boolean).length);
    const seen = new Map<string, number>();
    for (const id of executions) seen.set(id, (seen.get(id) ?? 0) + 1);
    expect(executions).toHaveLength(JOBS);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    expect(new Set(seen.keys())).toEqual(new Set(ids));
    expect(await counts()).toMatchObject({ waiting: 0, delayed: 0, active: 0, completed: JOBS, failed: 0 });
    // Every worker took part (the claim is shared, not won by one process).
    expect(perWorker.every((n) => n > 0)).toBe(true);
    console.log(`multiprocess: ${JOBS} jobs by ${WORKERS} processes in ${elapsed} ms (${Math.round(JOBS / (elapsed / 1000))} jobs/s), per worker ${perWorker.join('/')}`);
    await store.close();
  });
});
