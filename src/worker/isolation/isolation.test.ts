import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { AdminMetrics } from '../../admin/api/metrics.js';
import { Docket } from '../../docket.js';
import type { DocketEventName, DocketEvents } from '../../runtime/events.js';
import { createTestDocket } from '../../testing/index.js';

// Real threads and processes, real time: every wait is for an outcome, never an elapsed-time bound.
const HANDLERS = new URL('./test-support/handlers.ts', import.meta.url);
const WAIT = { timeoutMs: 60_000 };
const dockets: Docket[] = [];
afterEach(async () => {
  for (const d of dockets.splice(0)) await d.close({ graceMs: 0 });
});

function setup(options: Parameters<typeof createTestDocket>[0] = {}) {
  const docket = createTestDocket(options);
  dockets.push(docket);
  return docket;
}

function collect<E extends DocketEventName>(docket: Docket, event: E): Array<DocketEvents[E]> {
  const seen: Array<DocketEvents[E]> = [];
  docket.on(event, (e) => seen.push(e));
  return seen;
}

/** A pino logger whose lines land in `lines`. */
function capturingLogger(level = 'info') {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level }, stream), lines };
}

const mod = (name: string, options?: unknown) => ({ module: HANDLERS, export: name, ...(options === undefined ? {} : { options }) });

describe.each(['thread', 'process'] as const)('isolation %s', (isolation) => {
  it('progress, log lines and results cross the boundary intact; CPU time and peak memory are reported', async () => {
    const { logger, lines } = capturingLogger();
    const docket = setup({ logger, worker: { progressFlushMs: 0 } });
    const completed = collect(docket, 'job:completed');
    const progress = collect(docket, 'job:progress');
    const echo = docket.defineJob('echo', { isolation, handler: mod('echo', { region: 'eu' }) });
    await docket.start();
    const job = await echo.enqueue({ value: { n: 1, s: 'ü\u{1F600}', list: [1, null], nested: { deep: [true] } } });
    const result = (await job.wait(WAIT)) as Record<string, unknown>;
    expect(result).toMatchObject({ value: { n: 1, s: 'ü\u{1F600}', list: [1, null], nested: { deep: [true] } }, attempt: 1, jobId: job.id, options: { region: 'eu' }, at: '1970-01-01T00:00:00.000Z' });
    if (isolation === 'process') expect(result.threadOrProcess).not.toBe(process.pid);
    expect(await docket.getJob(job.id)).toMatchObject({ state: 'completed', result, progress: { current: 2, total: 2, message: 'done' } });
    expect(progress.at(-1)?.progress).toMatchObject({ current: 2, total: 2, message: 'done' });
    expect(lines.find((l) => l.msg === 'echoing')).toMatchObject({ level: 30, step: 'echo', value: { n: 1 }, jobId: job.id, job: 'echo', attempt: 1 });
    const usage = completed[0]!.usage!;
    expect(usage).toMatchObject({ isolation });
    expect(usage.cpuMs).toBeGreaterThanOrEqual(0);
    expect(usage.peakHeapBytes).toBeGreaterThan(0);
    if (isolation === 'process') expect(usage.peakRssBytes).toBeGreaterThan(0);
    else expect(usage.peakRssBytes).toBeNull();
  });

  it('a handler ignoring its signal is terminated after the grace (timeout, then cancel); a fresh one runs the next job', async () => {
    const docket = setup({ worker: { cancelGraceMs: 200, concurrency: 1 } });
    const stuck = docket.defineJob('stuck', { isolation, timeoutMs: 300, maxAttempts: 1, handler: mod('ignoreSignal') });
    const stuckLong = docket.defineJob('stuck-long', { isolation, maxAttempts: 1, handler: mod('ignoreSignal') });
    const where = docket.defineJob('where', { isolation, handler: mod('whereAmI') });
    await docket.start();
    const before = await (await where.enqueue(null)).wait(WAIT);

    const timedOut = await stuck.enqueue(null);
    await expect(timedOut.wait(WAIT)).rejects.toThrow(/timed out after 300 ms; its (thread|process) was terminated after the 200 ms grace/);
    expect((await docket.getJob(timedOut.id))?.error).toMatchObject({ code: 'JOB_TIMEOUT' });

    const started = new Promise((resolve) => docket.once('job:started', resolve));
    const cancelled = await stuckLong.enqueue(null);
    await started;
    await docket.cancel(cancelled.id);
    await expect(cancelled.wait(WAIT)).rejects.toMatchObject({ code: 'JOB_CANCELLED' });
    expect(await docket.getJob(cancelled.id)).toMatchObject({ state: 'cancelled' });

    // The worker carries on, on a fresh thread or process.
    const after = await (await where.enqueue(null)).wait(WAIT);
    expect(after).not.toBe(before);
  });

  it('a heap-eating handler ends OUT_OF_MEMORY while other jobs on the same worker complete', async () => {
    const docket = setup({ worker: { concurrency: 3 } });
    const hog = docket.defineJob('hog', { isolation, memoryLimitMb: 64, maxAttempts: 1, handler: mod('eatHeap') });
    const echo = docket.defineJob('echo', { isolation, handler: mod('echo') });
    const inline = docket.defineJob('inline', { handler: async (n: number) => n * 2 });
    await docket.start();
    const h = await hog.enqueue(null);
    const others = await Promise.all([echo.enqueue({ value: 1 }), echo.enqueue({ value: 2 }), inline.enqueue(21)]);
    await expect(h.wait(WAIT)).rejects.toThrow(/ran out of memory \(limit 64 MB\)/);
    expect((await docket.getJob(h.id))?.error).toMatchObject({ code: 'OUT_OF_MEMORY', name: 'OutOfMemoryError' });
    const results = await Promise.all(others.map((j) => j.wait(WAIT)));
    expect(results.map((r) => (typeof r === 'object' ? (r as { value: number }).value : r))).toEqual([1, 2, 42]);
    expect(docket.worker.running).toBe(true);
  });

  it('process.exit(1), an uncaught exception and a thrown error fail only that attempt (retried per policy)', async () => {
    const docket = setup({ worker: { concurrency: 2 } });
    const retrying = collect(docket, 'job:retrying');
    const retry = { backoff: { type: 'fixed' as const, delayMs: 0 }, jitter: 0 };
    const exit = docket.defineJob('exit', { isolation, maxAttempts: 2, retry, handler: mod('exitOne') });
    const uncaught = docket.defineJob('uncaught', { isolation, maxAttempts: 1, handler: mod('uncaught') });
    const thrower = docket.defineJob('thrower', { isolation, maxAttempts: 2, retry, handler: mod('throwError') });
    const snoozer = docket.defineJob('snoozer', { isolation, handler: mod('snooze') });
    const echo = docket.defineJob('echo', { isolation, handler: mod('echo') });
    await docket.start();
    const [e, u, t, p, s] = await Promise.all([exit.enqueue(null), uncaught.enqueue(null), thrower.enqueue({}), thrower.enqueue({ permanent: true }), snoozer.enqueue(null)]);
    await expect(e.wait(WAIT)).rejects.toThrow(/exited with code 1/);
    expect(await docket.getJob(e.id)).toMatchObject({ state: 'failed', attempt: 2, error: { code: 'HANDLER_CRASHED' } });
    await expect(u.wait(WAIT)).rejects.toThrow(/uncaught Error: escaped the handler/);
    expect((await docket.getJob(u.id))?.error).toMatchObject({ code: 'HANDLER_CRASHED' });
    await expect(t.wait(WAIT)).rejects.toThrow('boom in isolation');
    expect(await docket.getJob(t.id)).toMatchObject({ state: 'failed', attempt: 2, error: { code: 'E_BOOM', message: 'boom in isolation' } });
    expect((await docket.getJob(t.id))?.error?.stack).toContain('throwError');
    await expect(p.wait(WAIT)).rejects.toThrow('bad input, do not retry');
    expect(await docket.getJob(p.id)).toMatchObject({ state: 'failed', attempt: 1 }); // PermanentError: no retry
    expect(retrying.map((r) => r.jobId).sort()).toEqual([e.id, t.id].sort());
    const snoozed = await docket.getJob(s.id);
    expect(snoozed).toMatchObject({ state: 'delayed', attempt: 0 }); // snooze gives the attempt back
    expect(await (await echo.enqueue({ value: 'still fine' })).wait(WAIT)).toMatchObject({ value: 'still fine' });
  });

  it('recycles a thread or process after recycleAfterJobs jobs', async () => {
    const docket = setup({ worker: { concurrency: 1, isolation: { recycleAfterJobs: 2 } } });
    const where = docket.defineJob('where', { isolation, handler: mod('whereAmI') });
    await docket.start();
    const seen: unknown[] = [];
    for (let i = 0; i < 5; i++) seen.push(await (await where.enqueue(null)).wait(WAIT));
    expect(seen[0]).toBe(seen[1]);
    expect(seen[2]).toBe(seen[3]);
    expect(new Set(seen).size).toBe(3);
  });

  it('shutdown fires the signal, puts the job back and ends the thread or process after the grace', async () => {
    const docket = setup({ worker: { cancelGraceMs: 100 } });
    const stuck = docket.defineJob('stuck', { isolation, handler: mod('ignoreSignal') });
    await docket.start();
    const started = new Promise((resolve) => docket.once('job:started', resolve));
    const job = await stuck.enqueue(null);
    await started;
    await docket.worker.stop({ graceMs: 0 });
    expect(await docket.getJob(job.id)).toMatchObject({ state: 'waiting', attempt: 0 });
  });
});

describe('isolation thread: CPU-bound handlers', () => {
  it('a handler that blocks its thread for 10 s keeps its 3 s lease: no stall, no lease loss, it completes', { timeout: 90_000 }, async () => {
    const docket = setup({ worker: { leaseMs: 3_000 }, maintenance: { rescueIntervalMs: 200 } });
    const lost = collect(docket, 'job:lease-lost');
    const stalled = collect(docket, 'job:stalled');
    const busy = docket.defineJob('busy', { isolation: 'thread', maxAttempts: 1, handler: mod('busy') });
    await docket.start();
    const job = await busy.enqueue({ ms: 10_000 });
    expect(await job.wait(WAIT)).toMatchObject({ spunMs: expect.any(Number) as number });
    expect(await docket.getJob(job.id)).toMatchObject({ state: 'completed', attempt: 1 });
    expect(lost).toEqual([]);
    expect(stalled).toEqual([]);
  });

  it('an in-process handler that blocks the event loop is named in a warning', async () => {
    const { logger, lines } = capturingLogger('warn');
    const docket = setup({ logger, worker: { eventLoopLagWarnMs: 150 } });
    const hog = docket.defineJob('loop-hog', {
      handler: () => {
        const end = Date.now() + 400;
        while (Date.now() < end);
        return 'done';
      },
    });
    await docket.start();
    const job = await hog.enqueue(null);
    await job.wait(WAIT);
    await new Promise((r) => setTimeout(r, 250)); // the watch's next tick
    const warning = lines.find((l) => typeof l.msg === 'string' && l.msg.includes('event loop was blocked'));
    expect(warning).toMatchObject({ level: 40, jobs: [{ jobId: job.id, job: 'loop-hog' }] });
    expect(warning!.msg).toContain('lease');
  });

  it('CPU time and peak memory reach the metrics', async () => {
    const docket = setup();
    const metrics = new AdminMetrics(docket);
    const busy = docket.defineJob('busy', { isolation: 'thread', handler: mod('busy') });
    await docket.start();
    await (await busy.enqueue({ ms: 50 })).wait(WAIT);
    const { body } = await metrics.render();
    expect(body).toMatch(/docket_job_cpu_seconds_count\{queue="default",name="busy",isolation="thread"\} 1/);
    expect(body).toMatch(/docket_job_peak_memory_bytes_count\{queue="default",name="busy",isolation="thread"\} 1/);
  });

  it('a module handler runs in-process too, with its options', async () => {
    const docket = setup();
    const echo = docket.defineJob('echo', { handler: mod('echo', { k: 1 }) });
    await docket.start();
    expect(await (await echo.enqueue({ value: 'x' })).wait(WAIT)).toMatchObject({ value: 'x', options: { k: 1 }, threadOrProcess: process.pid });
  });

  it('refuses bad isolation options with the field named', () => {
    const docket = setup();
    expect(() => docket.defineJob('a', { isolation: 'thread', handler: () => 1 })).toThrow(/jobs\.a: isolation 'thread' needs handler as \{ module/);
    expect(() => docket.defineJob('b', { isolation: 'fork' as never, handler: mod('echo') })).toThrow(/jobs\.b\.isolation/);
    expect(() => docket.defineJob('c', { handler: { module: './relative.js' } })).toThrow(/jobs\.c\.handler\.module/);
    expect(() => docket.defineJob('d', { memoryLimitMb: 64, handler: mod('echo') })).toThrow(/jobs\.d\.memoryLimitMb/);
    expect(() => docket.defineJob('e', { isolation: 'process', handler: mod('echo', { f: () => 1 }) })).toThrow(/jobs\.e\.handler\.options/);
  });
});
