import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from './core/clock.js';
import { Docket } from './docket.js';
import type { StandardSchemaV1 } from './jobs/standard-schema.js';
import { createMemoryStore, createTestDocket } from './testing/index.js';

const dockets: Docket[] = [];
afterEach(async () => {
  for (const d of dockets.splice(0)) await d.close({ graceMs: 0 });
});

function setup(options: Parameters<typeof createTestDocket>[0] = {}) {
  const docket = createTestDocket(options);
  dockets.push(docket);
  return docket;
}

async function jobCount(docket: Docket): Promise<number> {
  return (await docket.listJobs({ limit: 1_000 })).jobs.length;
}

const toSchema: StandardSchemaV1<{ to: string }> = {
  '~standard': {
    version: 1,
    vendor: 'test',
    validate: (v) => (typeof (v as { to?: unknown })?.to === 'string' ? { value: v as { to: string } } : { issues: [{ message: 'Required', path: ['to'] }] }),
  },
};

describe('Docket construction', () => {
  it.each([
    [{ workers: {} }, 'workers'],
    [{ worker: { concurrency: 0 } }, 'worker.concurrency'],
    [{ worker: { leaseMs: 1_000, heartbeatMs: 2_000 } }, 'worker.heartbeatMs'],
    [{ queues: { 'bad queue': {} } }, 'queues.bad queue'],
    [{ logger: 'loud' }, 'logger'],
    [{ clock: {} }, 'clock'],
  ])('rejects %j with INVALID_CONFIG naming %s', (options, field) => {
    const store = createMemoryStore();
    expect(() => new Docket({ store, ...(options as object) })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG', field }));
  });

  it('requires a store', () => {
    expect(() => new Docket({} as never)).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG', field: 'store' }));
  });

  it('accepts a pino logger and hands its children the job context', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(s) });
    const docket = setup({ logger });
    const j = docket.defineJob('logs', {
      handler: async (_: null, ctx) => {
        ctx.log.info('hello');
      },
    });
    await docket.start();
    const job = await j.enqueue(null);
    await job.wait();
    expect(lines.map((l) => JSON.parse(l))).toContainEqual(expect.objectContaining({ msg: 'hello', jobId: job.id, job: 'logs', attempt: 1 }));
  });
});

describe('enqueue: bad input gives a typed error and writes nothing', () => {
  const cases: Array<[string, (d: Docket) => Promise<unknown>, string, string?]> = [
    ['an invalid job name', (d) => d.enqueue('no spaces allowed', {}), 'INVALID_NAME', 'name'],
    ['a non-string job name', (d) => d.enqueue(42 as never, {}), 'INVALID_NAME', 'name'],
    ['an invalid queue name', (d) => d.enqueue('send', {}, { queue: 'a/b' }), 'INVALID_NAME', 'options.queue'],
    ['an unknown job', (d) => d.enqueue('nope', {}), 'UNKNOWN_JOB'],
    ['a Date in data', (d) => d.enqueue('send', { at: new Date() }), 'INVALID_DATA', 'data'],
    ['a function in data', (d) => d.enqueue('send', { f: () => 1 }), 'INVALID_DATA', 'data'],
    ['a cycle in data', (d) => { const o: Record<string, unknown> = {}; o.self = o; return d.enqueue('send', o); }, 'INVALID_DATA', 'data'],
    ['data over 1 MiB', (d) => d.enqueue('send', { s: 'x'.repeat(1024 * 1024) }), 'PAYLOAD_TOO_LARGE', 'data'],
    ['an unknown option', (d) => d.enqueue('send', {}, { delay: 5 } as never), 'INVALID_OPTION', 'options.delay'],
    ['a negative delay', (d) => d.enqueue('send', {}, { delayMs: -5 }), 'INVALID_OPTION', 'options.delayMs'],
    ['a fractional priority', (d) => d.enqueue('send', {}, { priority: 0.5 }), 'INVALID_OPTION', 'options.priority'],
    ['options that are not an object', (d) => d.enqueue('send', {}, 'fast' as never), 'INVALID_OPTION', 'options'],
    ['a tx on a store without transactional enqueue', (d) => d.enqueue('send', {}, { tx: {} }), 'INVALID_OPTION'],
    ['data the schema refuses', (d) => d.enqueue('typed', { too: 'x' }), 'INVALID_DATA', 'data.to'],
    ['one bad item in enqueueMany', (d) => d.enqueueMany([{ name: 'send', data: 1 }, { name: 'send', data: NaN }]), 'INVALID_DATA', 'items[1].data'],
    ['an unknown job in enqueueMany', (d) => d.enqueueMany([{ name: 'send', data: 1 }, { name: 'nope', data: 1 }]), 'UNKNOWN_JOB'],
  ];

  it.each(cases)('%s', async (_, act, code, field) => {
    const docket = setup();
    docket.defineJob('send', { handler: async () => null });
    docket.defineJob('typed', { schema: toSchema, handler: async (d) => d.to });
    const error = await act(docket).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code, ...(field ? { field } : {}) });
    expect(await jobCount(docket)).toBe(0);
  });

  it('one bad call does not fail concurrent good ones', async () => {
    const docket = setup();
    docket.defineJob('send', { handler: async () => null });
    const results = await Promise.allSettled([docket.enqueue('send', 1), docket.enqueue('send', NaN), docket.enqueue('send', 3)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await jobCount(docket)).toBe(2);
  });
});

describe('enqueue', () => {
  it("groups concurrent single enqueues into one store transaction (the store's EnqueueBatcher)", async () => {
    const docket = setup();
    docket.defineJob('send', { handler: async () => null });
    await docket.getJob('0'); // migrate first
    // One transaction wakes each queue once.
    const wakeups: string[] = [];
    docket.store.subscribe((n) => void (n.type === 'jobs-available' && wakeups.push(n.queue)));
    const jobs = await Promise.all(Array.from({ length: 50 }, (_, i) => docket.enqueue('send', { i })));
    expect(wakeups).toHaveLength(1);
    expect(new Set(jobs.map((j) => j.id)).size).toBe(50);
    expect(jobs.every((j) => j.created)).toBe(true);
  });

  it('works without start (a producer-only process) and honours idempotency keys', async () => {
    const docket = setup();
    const send = docket.defineJob('send', { queue: 'emails', handler: async () => null });
    const a = await send.enqueue({ to: 'x' }, { idempotencyKey: 'welcome:1' });
    const b = await send.enqueue({ to: 'y' }, { idempotencyKey: 'welcome:1' });
    expect(b).toMatchObject({ id: a.id, created: false });
    expect(await docket.getJob(a.id)).toMatchObject({ state: 'waiting', queue: 'emails', data: { to: 'x' } });
  });

  it('applies the schema output and emits job:enqueued', async () => {
    const docket = setup();
    const schema: StandardSchemaV1<string, { len: number }> = { '~standard': { version: 1, vendor: 't', validate: (v) => ({ value: { len: String(v).length } }) } };
    const j = docket.defineJob('len', { schema, handler: async (d) => d.len * 2 });
    const seen = vi.fn();
    docket.on('job:enqueued', seen);
    const job = await j.enqueue('abcd');
    expect(seen).toHaveBeenCalledWith({ jobId: job.id, name: 'len', queue: 'default', created: true });
    await docket.start();
    await expect(job.wait()).resolves.toBe(8);
  });

  it('enqueueMany writes all jobs in one call', async () => {
    const docket = setup();
    docket.defineJob('a', { handler: async () => 'a' });
    docket.defineJob('b', { handler: async () => 'b' });
    const jobs = await docket.enqueueMany([{ name: 'a', data: 1 }, { name: 'b', data: 2, options: { priority: 5 } }]);
    expect(jobs.map((j) => j.name)).toEqual(['a', 'b']);
    expect(await docket.getJob(jobs[1]!.id)).toMatchObject({ priority: 5 });
  });
});

describe('waitFor', () => {
  it('times out with WaitTimeoutError, and reports unknown jobs', async () => {
    const clock = new ManualClock();
    const docket = setup({ clock });
    const j = docket.defineJob('j', { handler: async () => null });
    const job = await j.enqueue(null);
    const waiting = docket.waitFor(job.id, { timeoutMs: 5_000 });
    const caught = waiting.catch((e: unknown) => e);
    await clock.advance(0); // let waitFor arm its timer
    await clock.advance(5_000);
    expect(await caught).toMatchObject({ code: 'WAIT_TIMEOUT', jobId: job.id });
    await expect(docket.waitFor('999999')).rejects.toMatchObject({ code: 'JOB_NOT_FOUND' });
    await expect(docket.waitFor(job.id, { timeoutMs: -1 })).rejects.toMatchObject({ code: 'INVALID_OPTION', field: 'options.timeoutMs' });
  });

  it('sees a job another Docket on the same store ran (store polling, no events)', async () => {
    const store = createMemoryStore();
    const producer = setup({ store, worker: { enabled: false }, maintenance: { enabled: false } });
    const consumer = new Docket({ store, logger: false });
    producer.defineJob('j', { handler: async () => 'unused' });
    consumer.defineJob('j', { handler: async () => 'from consumer' });
    const job = await producer.enqueue('j', null);
    const result = producer.waitFor(job.id, { timeoutMs: 10_000 });
    await consumer.start();
    await expect(result).resolves.toBe('from consumer');
    await consumer.stop();
  });
});

describe('admin operations', () => {
  it('cancel: a waiting job at once; unknown ids and finished jobs are reported', async () => {
    const docket = setup();
    const j = docket.defineJob('j', { handler: async () => null });
    const job = await j.enqueue(null, { delayMs: 60_000 });
    const seen = vi.fn();
    docket.on('job:cancelled', seen);
    await expect(docket.cancel(job.id, { reason: 'not needed' })).resolves.toMatchObject({ outcome: 'cancelled', job: { state: 'cancelled' } });
    expect(seen).toHaveBeenCalledWith(expect.objectContaining({ jobId: job.id, reason: 'not needed' }));
    await expect(docket.cancel(job.id)).resolves.toMatchObject({ outcome: 'already_finished' });
    await expect(docket.cancel('424242')).rejects.toMatchObject({ code: 'JOB_NOT_FOUND' });
    await expect(job.wait()).rejects.toMatchObject({ code: 'JOB_CANCELLED' });
  });

  it('retry: runs a failed job again; refuses unfinished and unknown jobs', async () => {
    const docket = setup();
    let fail = true;
    const j = docket.defineJob('j', {
      maxAttempts: 1,
      handler: async () => {
        if (fail) throw new Error('first time');
        return 'second time';
      },
    });
    const waiting = await j.enqueue(null);
    await expect(docket.retry(waiting.id)).rejects.toMatchObject({ code: 'INVALID_TRANSITION' });
    await expect(docket.retry('424242')).rejects.toMatchObject({ code: 'JOB_NOT_FOUND' });
    await docket.start();
    await expect(waiting.wait()).rejects.toMatchObject({ code: 'JOB_FAILED' });
    fail = false;
    await expect(docket.retry(waiting.id)).resolves.toMatchObject({ state: 'waiting' });
    await expect(waiting.wait()).resolves.toBe('second time');
  });

  it('listJobs filters by state, queue and name, with cursor paging; bad queries are typed errors', async () => {
    const docket = setup();
    docket.defineJob('a', { queue: 'qa', handler: async () => null });
    docket.defineJob('b', { queue: 'qb', handler: async () => null });
    await docket.enqueueMany([...Array.from({ length: 5 }, (_, i) => ({ name: 'a', data: { i } })), { name: 'b', data: { needle: 'haystack' } }]);
    const page1 = await docket.listJobs({ queue: 'qa', limit: 3 });
    expect(page1.jobs).toHaveLength(3);
    const page2 = await docket.listJobs({ queue: 'qa', limit: 3, cursor: page1.nextCursor });
    expect(page2.jobs).toHaveLength(2);
    expect(new Set([...page1.jobs, ...page2.jobs].map((j) => j.id)).size).toBe(5);
    expect((await docket.listJobs({ name: 'b', state: 'waiting' })).jobs).toHaveLength(1);
    expect((await docket.listJobs({ search: 'needle' })).jobs).toHaveLength(1);
    expect((await docket.listJobs({ state: ['completed', 'failed'] })).jobs).toHaveLength(0);
    await expect(docket.listJobs({ limit: 0 })).rejects.toMatchObject({ code: 'INVALID_OPTION', field: 'query.limit' });
    await expect(docket.listJobs({ state: 'done' as never })).rejects.toMatchObject({ code: 'INVALID_OPTION', field: 'query.state' });
  });

  it('pauseQueue/resumeQueue validate the queue name', async () => {
    const docket = setup();
    await expect(docket.pauseQueue('bad name')).rejects.toMatchObject({ code: 'INVALID_NAME', field: 'queue' });
    await docket.pauseQueue('q');
    expect((await docket.store.listQueues()).find((q) => q.queue === 'q')).toMatchObject({ paused: true });
    await docket.resumeQueue('q');
    expect((await docket.store.listQueues()).find((q) => q.queue === 'q')?.paused ?? false).toBe(false);
  });
});

describe('lifecycle', () => {
  it('start and stop are idempotent and emit worker events once', async () => {
    const docket = setup();
    const events: string[] = [];
    docket.on('worker:started', () => events.push('started'));
    docket.on('worker:stopped', () => events.push('stopped'));
    await Promise.all([docket.start(), docket.start()]);
    await docket.start();
    expect(docket.isRunning).toBe(true);
    await Promise.all([docket.stop(), docket.stop()]);
    await docket.stop();
    expect(events).toEqual(['started', 'stopped']);
    await docket.start();
    expect(events).toEqual(['started', 'stopped', 'started']);
  });

  it('a job defined after start is picked up', async () => {
    const docket = setup();
    await docket.start();
    const late = docket.defineJob('late', { queue: 'later', handler: async () => 'ran' });
    const job = await late.enqueue(null);
    await expect(job.wait()).resolves.toBe('ran');
  });

  it('refuses a second definition of a job name', () => {
    const docket = setup();
    docket.defineJob('a', { handler: async () => null });
    expect(() => docket.defineJob('a', { handler: async () => null })).toThrow(expect.objectContaining({ code: 'DUPLICATE_JOB_DEFINITION' }));
  });
});
