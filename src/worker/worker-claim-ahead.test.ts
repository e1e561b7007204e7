import { afterEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../core/clock.js';
import type { Docket } from '../docket.js';
import type { DocketEventName, DocketEvents } from '../runtime/events.js';
import { createTestDocket } from '../testing/index.js';

/**
 * Claim-ahead: jobs claimed beyond the free slots wait in the worker's
 * buffer, reserved: held (leased, renewed, cancellable, released at
 * shutdown) but not active, their attempt not counted until they start.
 */
const dockets: Docket[] = [];
afterEach(async () => {
  for (const d of dockets.splice(0)) await d.close({ graceMs: 0 });
});

/** n events of that kind, as a promise of their payloads. */
function events<E extends DocketEventName>(docket: Docket, event: E, n: number): Promise<Array<DocketEvents[E]>> {
  const seen: Array<DocketEvents[E]> = [];
  return new Promise((resolve) => {
    const off = docket.on(event, (e) => {
      seen.push(e);
      if (seen.length === n) {
        off();
        resolve(seen);
      }
    });
  });
}

/**
 * A Docket whose `gated` jobs run until `open()`; one quick job has run
 * first, so the worker has seen a run time and claims ahead (with the
 * ManualClock every run takes 0 ms: the claim-ahead cap applies).
 */
async function setup(options: { concurrency: number; queues?: Record<string, { concurrency: number }>; queue?: string }) {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const docket = createTestDocket({ clock, worker: { concurrency: options.concurrency, leaseMs: 3_000 }, queues: options.queues });
  dockets.push(docket);
  const started: string[] = [];
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  const warm = docket.defineJob('warm', { queue: options.queue, handler: async () => 'warm' });
  const gated = docket.defineJob('gated', {
    queue: options.queue,
    handler: async (_: null, ctx) => {
      started.push(ctx.jobId);
      await gate;
      return 'done';
    },
  });
  await docket.start();
  await (await warm.enqueue(null)).wait();
  return { clock, docket, gated, started, open };
}

describe('Worker claim-ahead', () => {
  it('holds claimed jobs beyond its free slots: leased to it, renewed by the heartbeat, started as slots free up', async () => {
    const { clock, docket, gated, started, open } = await setup({ concurrency: 2 });
    const running = events(docket, 'job:started', 2);
    const jobs = await docket.enqueueMany(Array.from({ length: 10 }, () => ({ name: gated.name, data: null })));
    await running;
    expect(started).toHaveLength(2);
    expect(docket.worker.bufferedCount).toBe(8);
    expect(docket.worker.activeCount).toBe(2);
    expect(docket.worker.heldCount).toBe(10);
    const buffered = jobs.filter((j) => !started.includes(j.id));
    const before = await docket.store.getJobs({ jobIds: buffered.map((j) => j.id) });
    for (const j of before) expect(j).toMatchObject({ state: 'waiting', reserved: true, workerId: docket.worker.id, attempt: 0 });
    // job:started comes once the store has the start: the running ones read active.
    for (const id of started) expect(await docket.getJob(id)).toMatchObject({ state: 'active', attempt: 1 });
    expect((await docket.store.countJobs({}))[0]!.counts).toMatchObject({ active: 2, waiting: 8 });

    await clock.advance(1_000); // the heartbeat (leaseMs / 3)
    const after = await docket.store.getJobs({ jobIds: buffered.map((j) => j.id) });
    after.forEach((j, i) => expect(j.leaseExpiresAt!.getTime()).toBe(before[i]!.leaseExpiresAt!.getTime() + 1_000));

    open();
    await Promise.all(jobs.map((j) => j.wait()));
    expect(started.sort()).toEqual(jobs.map((j) => j.id).sort());
    expect(docket.worker.activeCount).toBe(0);
  });

  it('a cancel request for a buffered job is honoured: cancelled without running', async () => {
    const { docket, gated, started, open } = await setup({ concurrency: 1 });
    const running = events(docket, 'job:started', 1);
    const jobs = await docket.enqueueMany(Array.from({ length: 4 }, () => ({ name: gated.name, data: null })));
    await running;
    const victim = jobs.find((j) => !started.includes(j.id))!;
    const cancelled = events(docket, 'job:cancelled', 1);
    await expect(docket.cancel(victim.id)).resolves.toMatchObject({ outcome: 'cancel_requested' });
    expect(await cancelled).toEqual([expect.objectContaining({ jobId: victim.id })]);
    await expect(victim.wait()).rejects.toMatchObject({ code: 'JOB_CANCELLED' });
    open();
    for (const j of jobs) if (j !== victim) await expect(j.wait()).resolves.toBe('done');
    expect(started).not.toContain(victim.id);
    expect(started).toHaveLength(3);
  });

  it('the heartbeat ends buffered jobs it reports cancelled or lost (no push needed)', async () => {
    const { clock, docket, gated, started, open } = await setup({ concurrency: 1 });
    const running = events(docket, 'job:started', 1);
    const jobs = await docket.enqueueMany(Array.from({ length: 4 }, () => ({ name: gated.name, data: null })));
    await running;
    const [toCancel, toLose] = jobs.filter((j) => !started.includes(j.id));
    vi.spyOn(docket.store, 'extendLeases').mockResolvedValueOnce({ lost: [toLose!.id], cancelRequested: [toCancel!.id] });
    const cancelled = events(docket, 'job:cancelled', 1);
    const lost = events(docket, 'job:lease-lost', 1);
    await clock.advance(1_000);
    expect((await cancelled)[0]).toMatchObject({ jobId: toCancel!.id });
    expect((await lost)[0]).toMatchObject({ jobId: toLose!.id });
    expect(await docket.getJob(toCancel!.id)).toMatchObject({ state: 'cancelled' });
    // Lost: this worker forgets it and never runs it; the store still has it reserved (the rescuer returns it).
    expect(await docket.getJob(toLose!.id)).toMatchObject({ state: 'waiting', reserved: true });
    open();
    await jobs[3]!.wait();
    expect(started).not.toContain(toCancel!.id);
    expect(started).not.toContain(toLose!.id);
  });

  it('graceful shutdown puts buffered jobs straight back (released, attempt not counted) without waiting for the grace', async () => {
    const { docket, gated, started, open } = await setup({ concurrency: 2 });
    const running = events(docket, 'job:started', 2);
    const jobs = await docket.enqueueMany(Array.from({ length: 7 }, () => ({ name: gated.name, data: null })));
    await running;
    const buffered = jobs.filter((j) => !started.includes(j.id)).map((j) => j.id);
    expect(buffered).toHaveLength(5);
    const released = events(docket, 'job:released', 5);
    const stopped = docket.stop({ graceMs: 60_000 });
    // The clock does not move: the grace has not begun to run out.
    expect((await released).map((e) => e.jobId).sort()).toEqual([...buffered].sort());
    for (const j of await docket.store.getJobs({ jobIds: buffered })) expect(j).toMatchObject({ state: 'waiting', attempt: 0, leaseToken: null });
    open();
    await stopped;
    expect(started).toHaveLength(2);
    for (const j of jobs.filter((x) => started.includes(x.id))) expect(await docket.getJob(j.id)).toMatchObject({ state: 'completed' });
  });

  it('per-queue concurrency limits started jobs, and a limited queue is claimed ahead by one round of its limit at most', async () => {
    const { docket, gated, started, open } = await setup({ concurrency: 4, queues: { narrow: { concurrency: 1 } }, queue: 'narrow' });
    const running = events(docket, 'job:started', 1);
    const jobs = await docket.enqueueMany(Array.from({ length: 6 }, () => ({ name: gated.name, data: null })));
    await running;
    await new Promise((r) => setImmediate(r));
    expect(started).toHaveLength(1);
    expect(docket.worker.bufferedCount).toBe(1);
    // One running (active), one reserved in the buffer (waiting), four more waiting.
    expect((await docket.store.countJobs({ queue: 'narrow' }))[0]!.counts).toMatchObject({ active: 1, waiting: 5 });
    open();
    await Promise.all(jobs.map((j) => j.wait()));
    expect(started).toHaveLength(6);
  });
});
