import { expect, it } from 'vitest';
import { DocketError } from '../../core/errors.js';
import type { StoreNotification } from '../../store/store.js';
import type { StoreLogger } from './options.js';
import type { PostgresStore } from './postgres-store.js';
import { describePostgres, newJob } from '../../../test/support/postgres/pg-test.js';

function recordingLogger() {
  const lines: Array<{ level: 'info' | 'warn' | 'error'; msg: string }> = [];
  const logger: StoreLogger = {
    info: (_o, msg) => lines.push({ level: 'info', msg: msg ?? '' }),
    warn: (_o, msg) => lines.push({ level: 'warn', msg: msg ?? '' }),
    error: (_o, msg) => lines.push({ level: 'error', msg: msg ?? '' }),
  };
  return { logger, lines };
}

/** Retries `fn` until it succeeds; returns the errors seen on the way. */
async function untilOk<T>(fn: () => Promise<T>): Promise<{ value: T; errors: unknown[] }> {
  const errors: unknown[] = [];
  for (;;) {
    try {
      return { value: await fn(), errors };
    } catch (e) {
      errors.push(e);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

function nextWakeUp(store: PostgresStore, queue: string): Promise<void> {
  return new Promise((resolve) => {
    const off = store.subscribe((n: StoreNotification) => {
      if (n.type === 'jobs-available' && n.queue === queue) {
        off();
        resolve();
      }
    });
  });
}

describePostgres('PostgresStore during a database outage', (pgt) => {
  it('fails calls with a transient STORE_ERROR while the server is down and resumes by itself; LISTEN reconnects, logging once per outage', async () => {
    const schema = `outage_${process.pid}_${Date.now()}`;
    const { logger, lines } = recordingLogger();
    const producer = await pgt.newStore({ schema });
    const worker = await pgt.newStore({ schema, logger });
    worker.subscribe(() => {});
    await worker.whenListening();
    expect(worker.listening).toBe(true);
    const [before] = await producer.enqueue({ jobs: [newJob({ data: 'before' })] });

    await pgt.server().stopServer();
    const err = await producer.getJob({ jobId: before!.id }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DocketError);
    expect(err).toMatchObject({ code: 'STORE_ERROR', details: { transient: true, store: 'postgres' } });
    await expect(producer.enqueue({ jobs: [newJob()] })).rejects.toMatchObject({ code: 'STORE_ERROR', details: { transient: true } });
    await expect(worker.claimJobs({ workerId: 'w', queues: [{ queue: 'default', limit: 1 }], names: ['test-job'], leaseMs: 1_000 })).rejects.toMatchObject({
      code: 'STORE_ERROR',
    });
    // Let the LISTEN connection fail several reconnect attempts (100, 200, 400 ms backoff ...).
    await new Promise((r) => setTimeout(r, 1_000));
    expect(worker.listening).toBe(false);
    await pgt.server().startServer();

    const { value: job } = await untilOk(() => producer.getJob({ jobId: before!.id }));
    expect(job!.data).toBe('before');
    await worker.whenListening();
    const woken = nextWakeUp(worker, 'after');
    await producer.enqueue({ jobs: [newJob({ queue: 'after' })] });
    await woken;
    const claimed = await worker.claimJobs({ workerId: 'w', queues: [{ queue: 'default', limit: 5 }, { queue: 'after', limit: 5 }], names: ['test-job'], leaseMs: 5_000 });
    expect(claimed.map((j) => j.data)).toEqual(['before', {}]);
    expect(lines.filter((l) => l.level === 'warn')).toHaveLength(1);
    expect(lines.filter((l) => l.level === 'info' && /restored/.test(l.msg))).toHaveLength(1);
  });

  it('survives two pg_ctl restarts while in use: no acknowledged enqueue is lost, the listener comes back', async () => {
    const schema = `restart_${process.pid}_${Date.now()}`;
    const { logger, lines } = recordingLogger();
    const producer = await pgt.newStore({ schema });
    const worker = await pgt.newStore({ schema, logger });
    worker.subscribe(() => {});
    await worker.whenListening();

    const acknowledged: string[] = [];
    const failures: unknown[] = [];
    let stop = false;
    const load = (async () => {
      let i = 0;
      while (!stop) {
        try {
          const res = await producer.enqueue({ jobs: Array.from({ length: 10 }, () => newJob({ data: i++ })) });
          acknowledged.push(...res.map((r) => r.id));
        } catch (e) {
          failures.push(e);
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    })();
    for (let round = 0; round < 2; round++) {
      await new Promise((r) => setTimeout(r, 200));
      await pgt.server().restart();
      await untilOk(() => producer.now());
      await worker.whenListening();
    }
    await new Promise((r) => setTimeout(r, 200));
    stop = true;
    await load;

    for (const e of failures) expect(e).toMatchObject({ code: 'STORE_ERROR', details: { transient: true } });
    const stored = new Set<string>();
    let cursor: string | null = null;
    do {
      const page = await producer.listJobs({ limit: 5_000, order: 'asc', cursor });
      for (const j of page.jobs) stored.add(j.id);
      cursor = page.nextCursor;
    } while (cursor);
    expect(acknowledged.length).toBeGreaterThan(0);
    expect(acknowledged.filter((id) => !stored.has(id))).toEqual([]);
    // Each restart is one outage for the listener: one warning, one recovery, however many attempts.
    expect(lines.filter((l) => l.level === 'warn').length).toBe(2);
    expect(lines.filter((l) => l.level === 'info').length).toBe(2);
    const woken = nextWakeUp(worker, 'post');
    await producer.enqueue({ jobs: [newJob({ queue: 'post' })] });
    await woken;
  });
});
