import pg from 'pg';
import { describe, expect, it } from 'vitest';
import type { StoreNotification } from '../../store/store.js';
import type { PostgresStore } from './postgres-store.js';
import { describePostgres, newJob } from '../../../test/support/postgres/pg-test.js';

/** Collects a store's notifications; `next` waits for one matching a predicate. */
function collect(store: PostgresStore) {
  const seen: StoreNotification[] = [];
  const waiters: Array<{ pred: (n: StoreNotification) => boolean; resolve: (n: StoreNotification) => void }> = [];
  store.subscribe((n) => {
    seen.push(n);
    for (const w of [...waiters]) {
      if (w.pred(n)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(n);
      }
    }
  });
  return {
    seen,
    next(pred: (n: StoreNotification) => boolean): Promise<StoreNotification> {
      const hit = seen.find(pred);
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve) => waiters.push({ pred, resolve }));
    },
  };
}

const sameSchema = (tag: string) => `${tag}_${process.pid}_${Date.now()}_${Math.random().toString(36).slice(2, 6)}`;

describePostgres('PostgresStore notifications', (pgt) => {
  it('declares the PostgreSQL capabilities', async () => {
    const store = await pgt.newStore();
    expect(store.capabilities).toEqual({ transactionalEnqueue: true });
    expect(store.kind).toBe('postgres');
  });

  it('wakes subscribers of another store on enqueue, and its own at once', async () => {
    const schema = sameSchema('wake');
    const producer = await pgt.newStore({ schema });
    const worker = await pgt.newStore({ schema });
    const remote = collect(worker);
    const local = collect(producer);
    await worker.whenListening();
    await producer.enqueue({ jobs: [newJob({ queue: 'emails' })] });
    // Delivered locally when the write commits, before any round trip through the server.
    expect(local.seen).toEqual([{ type: 'jobs-available', queue: 'emails' }]);
    expect(await remote.next((n) => n.type === 'jobs-available')).toEqual({ type: 'jobs-available', queue: 'emails' });
  });

  it('does not wake anyone for a delayed job', async () => {
    const schema = sameSchema('delayed');
    const producer = await pgt.newStore({ schema });
    const local = collect(producer);
    await producer.enqueue({ jobs: [newJob({ delayMs: 60_000 })] });
    expect(local.seen).toEqual([]);
  });

  it('sends one NOTIFY per queue for a bulk insert, and throttles the rest to one per interval (trailing edge)', async () => {
    const schema = sameSchema('bulk');
    const producer = await pgt.newStore({ schema, notifyIntervalMs: 3_000 });
    const worker = await pgt.newStore({ schema });
    const remote = collect(worker);
    await worker.whenListening();
    await producer.enqueue({ jobs: Array.from({ length: 500 }, (_, i) => newJob({ queue: i % 2 ? 'a' : 'b' })) });
    for (let i = 0; i < 10; i++) await producer.enqueue({ jobs: [newJob({ queue: 'a' })] });
    // The sentinel is sent after all of the above committed; NOTIFYs arrive in commit order.
    const sentinel = new pg.Client({ connectionString: pgt.url() });
    await sentinel.connect();
    await sentinel.query(`SELECT pg_notify($1, $2)`, [`docket_${schema}`, 'c::sentinel']);
    await sentinel.end();
    await remote.next((n) => n.type === 'cancel-requested' && n.jobId === 'sentinel');
    const before = remote.seen.filter((n) => n.type === 'jobs-available');
    expect(before.filter((n) => n.type === 'jobs-available' && n.queue === 'a')).toHaveLength(1);
    expect(before.filter((n) => n.type === 'jobs-available' && n.queue === 'b')).toHaveLength(1);
    // The ten throttled single adds to `a` are not lost: one trailing wake-up at the end of the interval.
    await remote.next((n) => n.type === 'jobs-available' && n.queue === 'a' && remote.seen.filter((m) => m.type === 'jobs-available' && m.queue === 'a').length === 2);
    expect(remote.seen.filter((n) => n.type === 'jobs-available' && n.queue === 'a')).toHaveLength(2);
  });

  it('pushes a cancel request of an active job to the worker in another process', async () => {
    const schema = sameSchema('cancel');
    const admin = await pgt.newStore({ schema });
    const worker = await pgt.newStore({ schema });
    const remote = collect(worker);
    await worker.whenListening();
    const [job] = await admin.enqueue({ jobs: [newJob()] });
    const [held] = await worker.claimJobs({ workerId: 'w', queues: [{ queue: 'default', limit: 1 }], names: ['test-job'], leaseMs: 30_000 });
    expect(await worker.applyTransitions({ transitions: [{ jobId: held!.id, leaseToken: held!.leaseToken, startedAgoMs: 0, outcome: null }] })).toEqual(['applied']);
    expect((await admin.cancelJob({ jobId: job!.id, reason: 'operator' })).outcome).toBe('cancel_requested');
    expect(await remote.next((n) => n.type === 'cancel-requested')).toEqual({ type: 'cancel-requested', jobId: job!.id });
  });

  it('pushes a cancel request of a reserved job to the worker holding it', async () => {
    const schema = sameSchema('cancelres');
    const admin = await pgt.newStore({ schema });
    const worker = await pgt.newStore({ schema });
    const remote = collect(worker);
    const local = collect(admin);
    await worker.whenListening();
    const [job] = await admin.enqueue({ jobs: [newJob()] });
    await worker.claimJobs({ workerId: 'w', queues: [{ queue: 'default', limit: 1 }], names: ['test-job'], leaseMs: 30_000 });
    expect((await admin.cancelJob({ jobId: job!.id, reason: 'operator' })).outcome).toBe('cancel_requested');
    expect(await remote.next((n) => n.type === 'cancel-requested')).toEqual({ type: 'cancel-requested', jobId: job!.id });
    expect(await local.next((n) => n.type === 'cancel-requested')).toEqual({ type: 'cancel-requested', jobId: job!.id });
  });

  it('stops delivering after unsubscribe and after close', async () => {
    const store = await pgt.newStore();
    const got: StoreNotification[] = [];
    const off = store.subscribe((n) => got.push(n));
    await store.enqueue({ jobs: [newJob()] });
    off();
    await store.enqueue({ jobs: [newJob()] });
    expect(got).toHaveLength(1);
    await store.close();
    expect(() => store.subscribe(() => {})).toThrow(expect.objectContaining({ code: 'STORE_CLOSED' }));
  });

  describe('transactional enqueue', () => {
    it('a committed transaction makes the job visible exactly once, and wakes workers only then', async () => {
      const schema = sameSchema('txc');
      const store = await pgt.newStore({ schema });
      const worker = await pgt.newStore({ schema });
      const remote = collect(worker);
      await worker.whenListening();
      const client = new pg.Client({ connectionString: pgt.url() });
      await client.connect();
      try {
        await client.query('BEGIN');
        await client.query(`CREATE TABLE IF NOT EXISTS "${schema}".orders (id int)`);
        await client.query(`INSERT INTO "${schema}".orders VALUES (1)`);
        const [res] = await store.enqueue({ jobs: [newJob({ data: { order: 1 } })], tx: client });
        expect(res!.created).toBe(true);
        // Not visible outside the transaction yet, and no wake-up went out.
        expect(await store.getJob({ jobId: res!.id })).toBeNull();
        expect(await worker.claimJobs({ workerId: 'w', queues: [{ queue: 'default', limit: 10 }], names: ['test-job'], leaseMs: 30_000 })).toEqual([]);
        await client.query('COMMIT');
        expect(await remote.next((n) => n.type === 'jobs-available')).toEqual({ type: 'jobs-available', queue: 'default' });
        expect((await store.getJob({ jobId: res!.id }))!.data).toEqual({ order: 1 });
        const claimed = await worker.claimJobs({ workerId: 'w', queues: [{ queue: 'default', limit: 10 }], names: ['test-job'], leaseMs: 30_000 });
        expect(claimed.map((j) => j.id)).toEqual([res!.id]);
        // Claimed once: reserved by the worker (counted as waiting), no other claim gets it.
        expect(await store.getJob({ jobId: res!.id })).toMatchObject({ state: 'waiting', reserved: true, workerId: 'w' });
        expect(await worker.claimJobs({ workerId: 'w2', queues: [{ queue: 'default', limit: 10 }], names: ['test-job'], leaseMs: 30_000 })).toEqual([]);
        expect((await store.countJobs())[0]!.counts).toMatchObject({ waiting: 1, active: 0 });
      } finally {
        await client.end();
      }
    });

    it('a rolled-back transaction leaves no job, no key and no wake-up', async () => {
      const schema = sameSchema('txr');
      const store = await pgt.newStore({ schema });
      const worker = await pgt.newStore({ schema });
      const remote = collect(worker);
      await worker.whenListening();
      const pool = new pg.Pool({ connectionString: pgt.url(), max: 2 });
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const [res] = await store.enqueue({ jobs: [newJob({ idempotencyKey: 'tx-key' }), newJob()], tx: client });
        expect(res!.created).toBe(true);
        await client.query('ROLLBACK');
      } finally {
        client.release();
        await pool.end();
      }
      expect(await store.getJob({ jobId: '1' })).toBeNull();
      expect(await store.countJobs()).toEqual([]);
      // The key was never taken: a new job gets it.
      expect((await store.enqueue({ jobs: [newJob({ idempotencyKey: 'tx-key' })] }))[0]!.created).toBe(true);
      // The only wake-up the worker sees is the one for that later job.
      await remote.next((n) => n.type === 'jobs-available');
      expect(remote.seen).toHaveLength(1);
    });

    it('rejects a tx that is not a pg client, or is a Pool', async () => {
      const store = await pgt.newStore();
      await expect(store.enqueue({ jobs: [newJob()], tx: { nope: true } })).rejects.toMatchObject({ code: 'INVALID_OPTION', details: { field: 'tx' } });
      const pool = new pg.Pool({ connectionString: pgt.url() });
      await expect(store.enqueue({ jobs: [newJob()], tx: pool })).rejects.toMatchObject({ code: 'INVALID_OPTION', details: { field: 'tx' } });
      await pool.end();
      expect(await store.countJobs()).toEqual([]);
    });
  });
});
