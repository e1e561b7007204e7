import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Docket } from '../../src/index.js';
import { SqliteStore } from '../../src/stores/sqlite/index.js';
import { spawnWorker, until, type WorkerProcess } from './helpers.js';

/**
 * Issue 11, finding 6: signals between processes on one SQLite file. A
 * worker process runs with a 60 s heartbeat and a 60 s poll, so neither can
 * explain what happens within the test's time: only the store's
 * data_version watch (every 50 ms) can. This process is "process B" (the
 * CLI, another app): it cancels a running job and enqueues a new one
 * through its own connection.
 */
const dir = mkdtempSync(join(tmpdir(), 'docket-signals-'));
const children: WorkerProcess[] = [];
afterAll(() => {
  for (const w of children) if (w.child.exitCode === null) w.child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const SLOW = { LEASE_MS: '180000', HEARTBEAT_MS: '60000', POLL_MS: '60000' };
const lines = (file: string): string[] => {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
};

describe('SQLite: cross-process cancel and wake-up (PRAGMA data_version)', () => {
  it('a cancel from another process stops the running handler, and a job enqueued there starts, with heartbeat and poll at 60 s', { timeout: 60_000 }, async () => {
    const db = join(dir, 'signals.db');
    const store = new SqliteStore({ path: db });
    const b = new Docket({ store, logger: false, worker: { enabled: false }, maintenance: { enabled: false }, scheduler: { enabled: false } });
    b.defineJob('mp', { handler: async () => null });
    await store.migrate();
    const out = join(dir, 'a.log');
    const a = spawnWorker({ DOCKET_DB: db, WORKER_ID: 'a', MODE: 'abortable', OUT_FILE: out, CONCURRENCY: '2', ...SLOW });
    children.push(a);
    await a.ready;
    // The worker's first claim happens at start; this job arrives after it: only a wake-up starts it before the 60 s poll.
    await new Promise((r) => setTimeout(r, 200));
    const enqueuedAt = Date.now();
    const job = await b.enqueue('mp', { n: 1 });
    await until(async () => lines(out).includes(`started ${job.id}`), 'process A to start the job enqueued by process B', 50_000, 10);
    const startedAfter = Date.now() - enqueuedAt;
    // The start reaches the store with the worker's next round (reserved -> active).
    await until(async () => (await store.getJob({ jobId: job.id }))!.state === 'active', 'the start to be recorded', 50_000, 10);

    const cancelAt = Date.now();
    const r = await b.cancel(job.id);
    expect(r.outcome).toBe('cancel_requested');
    await until(async () => (await store.getJob({ jobId: job.id }))!.state === 'cancelled', 'process A to record the cancel', 50_000, 10);
    const cancelledAfter = Date.now() - cancelAt;
    // The mechanism, in order: started, the handler's signal fired with reason `cancel`, the job recorded cancelled by its worker.
    expect(lines(out)).toEqual([`started ${job.id}`, `aborted ${job.id} cancel`]);
    const done = (await store.getJob({ jobId: job.id }))!;
    expect(done).toMatchObject({ state: 'cancelled', stalls: 0, attempt: 1 });
    // Its lease was never renewed (the heartbeat is 60 s): nothing but the push told process A.
    console.log(`sqlite cross-process signals: enqueue -> start in process A ${startedAfter} ms; cancel -> cancelled ${cancelledAfter} ms (heartbeat and poll 60 s)`);

    a.child.kill('SIGTERM');
    await a.exited;
    await b.close({ graceMs: 0 });
  });
});
