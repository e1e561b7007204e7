import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.js';
import type { Docket } from '../docket.js';
import { createTestDocket } from '../testing/index.js';

const dockets: Docket[] = [];
afterEach(async () => {
  for (const d of dockets.splice(0)) await d.close({ graceMs: 0 });
});

function setup(): { docket: Docket; clock: ManualClock } {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const docket = createTestDocket({ clock, worker: { enabled: false }, maintenance: { enabled: false }, scheduler: { enabled: false } });
  docket.defineJob('noop', { handler: () => 'ok' });
  dockets.push(docket);
  return { docket, clock };
}

describe('JobAdmin (docket.jobs)', () => {
  it('runNow: delayed -> promoted, waiting -> none, finished -> retried, unknown -> JOB_NOT_FOUND', async () => {
    const { docket } = setup();
    const delayed = await docket.enqueue('noop', null, { delayMs: 60_000 });
    expect(await docket.jobs.runNow(delayed.id)).toMatchObject({ action: 'promoted', job: { id: delayed.id, state: 'waiting' } });
    expect(await docket.jobs.runNow(delayed.id)).toMatchObject({ action: 'none', job: { state: 'waiting' } });
    await docket.jobs.cancel(delayed.id);
    expect(await docket.jobs.runNow(delayed.id)).toMatchObject({ action: 'retried', job: { state: 'waiting' } });
    await expect(docket.jobs.runNow('999999')).rejects.toMatchObject({ code: 'JOB_NOT_FOUND' });
  });

  it('cancel emits job:cancelled for a job that was not running, and refuses an unknown id', async () => {
    const { docket } = setup();
    const job = await docket.enqueue('noop', null);
    const seen: string[] = [];
    docket.on('job:cancelled', (e) => seen.push(`${e.jobId}:${e.reason}`));
    expect(await docket.jobs.cancel(job.id, { reason: 'no longer needed' })).toMatchObject({ outcome: 'cancelled' });
    expect(seen).toEqual([`${job.id}:no longer needed`]);
    expect(await docket.jobs.cancel(job.id)).toMatchObject({ outcome: 'already_finished' });
    await expect(docket.jobs.cancel('999999')).rejects.toMatchObject({ code: 'JOB_NOT_FOUND' });
  });

  it('delete removes a job; a second delete is JOB_NOT_FOUND', async () => {
    const { docket } = setup();
    const job = await docket.enqueue('noop', null);
    await docket.jobs.delete(job.id);
    expect(await docket.jobs.get(job.id)).toBeNull();
    await expect(docket.jobs.delete(job.id)).rejects.toMatchObject({ code: 'JOB_NOT_FOUND' });
  });

  it('reads counts, queues, workers, stats and the timeline through the Docket', async () => {
    const { docket, clock } = setup();
    await docket.enqueue('noop', null, { queue: 'mail' });
    await docket.jobs.pauseQueue('mail');
    expect(await docket.jobs.listQueues()).toEqual([expect.objectContaining({ queue: 'mail', paused: true })]);
    expect((await docket.jobs.counts({ queue: 'mail' }))[0]?.counts.waiting).toBe(1);
    expect(await docket.jobs.listWorkers({ aliveWithinMs: 15_000 })).toEqual([]);
    expect((await docket.jobs.stats({ windowsMs: [60_000], runTimeWindowMs: 60_000 })).windows).toHaveLength(1);
    expect((await docket.jobs.timeline({ bucketMs: 60_000, buckets: 2 }))?.buckets).toHaveLength(2);
    expect((await docket.jobs.now()).getTime()).toBe(clock.now());
    expect(docket.jobs.storeKind).toBe('sqlite');
  });
});
