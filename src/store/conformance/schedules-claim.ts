import { expect } from 'vitest';
import { fireKey } from '../../core/schedule.js';
import { FIRE_HISTORY_LIMIT } from '../schedule-store.js';
import type { Define } from './harness.js';
import { claimJob, expectCode, failure, nextNotification, QUEUE, settle, storeNow } from './helpers.js';
import { MINUTE, claimOf, declaration, fire, pastMinute, scheduleJobs, stateOf } from './schedules-helpers.js';

/** claimFire: exactly one job per (schedule, fire time), maxRunning, missed fires, resume. */
export function scheduleClaimTests(test: Define): void {
  test('claimFire enqueues one job per fire, records each fire and moves the slot', async (store) => {
    const base = await pastMinute(store);
    await store.upsertSchedules({ schedules: [declaration('etl', base)], removeUndeclared: false });
    const state = await stateOf(store, 'etl');
    const next = nextNotification(store, (n) => n.type === 'jobs-available' && n.queue === 'default');
    const r = await store.claimFire({ ...claimOf(state, [base + MINUTE, base + 2 * MINUTE], base + 3 * MINUTE), fires: [fire('etl', base + MINUTE, { lateMs: 5_000, catchUp: true }), fire('etl', base + 2 * MINUTE)] });
    await next.promise;
    if (r.outcome !== 'claimed') throw new Error('expected the claim to win');
    expect(r.skipped).toEqual([]);
    expect(r.duplicates).toEqual([]);
    expect(r.missed).toBeNull();
    expect(r.running).toBeNull();
    expect(r.fired.map((f) => [f.kind, f.fireAt.getTime(), f.lateMs, f.catchUp])).toEqual([
      ['fired', base + MINUTE, 5_000, true],
      ['fired', base + 2 * MINUTE, 0, false],
    ]);
    const jobs = await scheduleJobs(store, 'etl');
    expect(jobs.map((j) => [j.id, j.fireTime, j.state])).toEqual(r.fired.map((f) => [f.jobId, f.fireAt.getTime(), 'waiting']));
    const job = await store.getJob({ jobId: jobs[0]!.id });
    expect(job).toMatchObject({ scheduleName: 'etl', fireTime: new Date(base + MINUTE), idempotencyKey: fireKey('etl', base + MINUTE), runAt: new Date(base + MINUTE), data: { from: 'schedule' } });
    const rec = await store.getSchedule({ name: 'etl' });
    expect(rec!.nextFireAt).toEqual(new Date(base + 3 * MINUTE));
    expect(rec!.lastFire).toEqual(r.fired[1]);
    expect(await store.listScheduleFires({ name: 'etl', limit: 10 })).toEqual([r.fired[1], r.fired[0]]);
    // The jobs are ordinary jobs: a worker claims them.
    await claimJob(store, job!);
  });

  test('a second claim of the same plan loses and writes nothing', async (store) => {
    const base = await pastMinute(store);
    await store.upsertSchedules({ schedules: [declaration('once', base)], removeUndeclared: false });
    const plan = claimOf(await stateOf(store, 'once'), [base + MINUTE], base + 2 * MINUTE);
    expect((await store.claimFire(plan)).outcome).toBe('claimed');
    const second = await store.claimFire(plan);
    expect(second).toMatchObject({ outcome: 'lost', schedule: { name: 'once', nextFireAt: new Date(base + 2 * MINUTE) } });
    expect(await scheduleJobs(store, 'once')).toHaveLength(1);
    expect(await store.listScheduleFires({ name: 'once', limit: 10 })).toHaveLength(1);
  });

  test('concurrent claims of one plan: exactly one wins', async (store) => {
    const base = await pastMinute(store);
    await store.upsertSchedules({ schedules: [declaration('race', base)], removeUndeclared: false });
    const state = await stateOf(store, 'race');
    const results = await Promise.all(Array.from({ length: 12 }, () => store.claimFire(claimOf(state, [base + MINUTE, base + 2 * MINUTE], base + 3 * MINUTE))));
    expect(results.filter((r) => r.outcome === 'claimed')).toHaveLength(1);
    expect((await scheduleJobs(store, 'race')).map((j) => j.fireTime)).toEqual([base + MINUTE, base + 2 * MINUTE]);
  });

  test('a claim loses when the trigger changed, the schedule was paused, removed or is unknown', async (store) => {
    const base = await pastMinute(store);
    await store.upsertSchedules({ schedules: [declaration('t', base), declaration('p', base), declaration('r', base)], removeUndeclared: false });
    const t = await stateOf(store, 't');
    const p = await stateOf(store, 'p');
    const r = await stateOf(store, 'r');
    await store.upsertSchedules({ schedules: [declaration('t', base, { trigger: { every: '2m' } }), declaration('p', base)], removeUndeclared: true });
    await store.pauseSchedule({ name: 'p' });
    for (const state of [t, p, r]) expect((await store.claimFire(claimOf(state, [base + MINUTE], base + 2 * MINUTE))).outcome).toBe('lost');
    expect(await store.claimFire(claimOf({ ...t, name: 'unknown' }, [base + MINUTE], base + 2 * MINUTE))).toEqual({ outcome: 'lost', schedule: null });
    for (const name of ['t', 'p', 'r']) expect(await scheduleJobs(store, name)).toEqual([]);
  });

  test('maxRunning: waiting, delayed and active jobs of the schedule count; fires beyond it are recorded as max-running, not enqueued', async (store) => {
    const base = await pastMinute(store);
    await store.upsertSchedules({ schedules: [declaration('m', base, { policy: { maxRunning: 3 } })], removeUndeclared: false });
    // One active, one waiting, one delayed (a fire enqueued ahead of its time).
    const first = await store.claimFire(claimOf(await stateOf(store, 'm'), [base + MINUTE, base + 2 * MINUTE], base + 3 * MINUTE, { maxRunning: 3 }));
    expect(first).toMatchObject({ outcome: 'claimed', running: 0 });
    const [j1] = await scheduleJobs(store, 'm');
    await claimJob(store, (await store.getJob({ jobId: j1!.id }))!);
    const ahead = (await storeNow(store)) + 60 * MINUTE;
    const second = await store.claimFire({ ...claimOf(await stateOf(store, 'm'), [], base + 4 * MINUTE, { maxRunning: 3 }), fires: [{ ...fire('m', base + 3 * MINUTE), job: { ...fire('m', base + 3 * MINUTE).job, runAt: new Date(ahead) } }] });
    expect(second).toMatchObject({ outcome: 'claimed', running: 2 });
    expect((await scheduleJobs(store, 'm')).map((j) => j.state)).toEqual(['active', 'waiting', 'delayed']);
    const third = await store.claimFire(claimOf(await stateOf(store, 'm'), [base + 4 * MINUTE], base + 5 * MINUTE, { maxRunning: 3 }));
    if (third.outcome !== 'claimed') throw new Error('expected the claim to win');
    expect(third.running).toBe(3);
    expect(third.fired).toEqual([]);
    expect(third.skipped.map((f) => [f.kind, f.fireAt.getTime(), f.jobId])).toEqual([['max-running', base + 4 * MINUTE, null]]);
    expect(await scheduleJobs(store, 'm')).toHaveLength(3);
    const rec = await store.getSchedule({ name: 'm' });
    expect(rec!.nextFireAt).toEqual(new Date(base + 5 * MINUTE));
    expect(rec!.lastMissed).toEqual(third.skipped[0]);
  });

  test('maxRunning keeps the most recent fires that fit, and finished jobs do not count', async (store) => {
    const base = await pastMinute(store);
    await store.upsertSchedules({ schedules: [declaration('k', base, { policy: { maxRunning: 2 } })], removeUndeclared: false });
    const r = await store.claimFire(claimOf(await stateOf(store, 'k'), [base + MINUTE, base + 2 * MINUTE, base + 3 * MINUTE], base + 4 * MINUTE, { maxRunning: 2 }));
    if (r.outcome !== 'claimed') throw new Error('expected the claim to win');
    expect(r.fired.map((f) => f.fireAt.getTime())).toEqual([base + 2 * MINUTE, base + 3 * MINUTE]);
    expect(r.skipped.map((f) => f.fireAt.getTime())).toEqual([base + MINUTE]);
    // Both run to an end: completed and failed jobs free their places.
    const jobs = await scheduleJobs(store, 'k');
    const a = await claimJob(store, (await store.getJob({ jobId: jobs[0]!.id }))!);
    expect(await settle(store, a, { kind: 'complete', resultJson: null })).toBe('applied');
    const b = await claimJob(store, (await store.getJob({ jobId: jobs[1]!.id }))!);
    expect(await settle(store, b, { kind: 'fail', failure: failure() })).toBe('applied');
    const again = await store.claimFire(claimOf(await stateOf(store, 'k'), [base + 4 * MINUTE], base + 5 * MINUTE, { maxRunning: 2 }));
    expect(again).toMatchObject({ outcome: 'claimed', running: 0, skipped: [] });
    expect(await scheduleJobs(store, 'k')).toHaveLength(3);
  });

  test('a fire time already recorded is never enqueued twice, even after a trigger change', async (store) => {
    const base = await pastMinute(store);
    await store.upsertSchedules({ schedules: [declaration('d', base)], removeUndeclared: false });
    await store.claimFire(claimOf(await stateOf(store, 'd'), [base + MINUTE, base + 2 * MINUTE], base + 3 * MINUTE));
    // The trigger changes and its first slot is a fire time that already fired.
    await store.upsertSchedules({ schedules: [declaration('d', base, { trigger: { every: '2m' }, initialNextFireAt: new Date(base + 2 * MINUTE) })], removeUndeclared: false });
    const r = await store.claimFire(claimOf(await stateOf(store, 'd'), [base + 2 * MINUTE, base + 4 * MINUTE], base + 6 * MINUTE));
    if (r.outcome !== 'claimed') throw new Error('expected the claim to win');
    expect(r.duplicates).toEqual([new Date(base + 2 * MINUTE)]);
    expect(r.fired.map((f) => f.fireAt.getTime())).toEqual([base + 4 * MINUTE]);
    expect((await scheduleJobs(store, 'd')).map((j) => j.fireTime)).toEqual([base + MINUTE, base + 2 * MINUTE, base + 4 * MINUTE]);
  });

  test('missed fires are recorded as one summary row; lastFire and lastMissed tell them apart', async (store) => {
    const base = await pastMinute(store);
    await store.upsertSchedules({ schedules: [declaration('h', base)], removeUndeclared: false });
    const missed = { reason: 'coalesced' as const, count: 4, countExact: true, first: new Date(base + MINUTE), last: new Date(base + 4 * MINUTE) };
    const r = await store.claimFire({ ...claimOf(await stateOf(store, 'h'), [base + 5 * MINUTE], base + 6 * MINUTE), missed });
    if (r.outcome !== 'claimed') throw new Error('expected the claim to win');
    expect(r.missed).toMatchObject({ schedule: 'h', kind: 'coalesced', fireAt: missed.first, lastFireAt: missed.last, count: 4, countExact: true, jobId: null, lateMs: null });
    const rec = await store.getSchedule({ name: 'h' });
    expect(rec!.lastFire).toEqual(r.fired[0]);
    expect(rec!.lastMissed).toEqual(r.missed);
    expect(await scheduleJobs(store, 'h')).toHaveLength(1);
    // A plan that only records misses (catchUp skip) enqueues nothing and still moves the slot.
    const skip = { reason: 'misfire' as const, count: 1, countExact: false, first: new Date(base + 6 * MINUTE), last: new Date(base + 6 * MINUTE) };
    const r2 = await store.claimFire({ ...claimOf(await stateOf(store, 'h'), [], base + 7 * MINUTE), missed: skip });
    expect(r2).toMatchObject({ outcome: 'claimed', fired: [], missed: { kind: 'misfire', countExact: false } });
    expect((await store.getSchedule({ name: 'h' }))!.nextFireAt).toEqual(new Date(base + 7 * MINUTE));
  });

  test('resume: clears the paused flag in the claim, records the fires missed while paused, moves the slot', async (store) => {
    const base = await pastMinute(store);
    await store.upsertSchedules({ schedules: [declaration('r', base)], removeUndeclared: false });
    const paused = (await store.pauseSchedule({ name: 'r' }))!;
    const missed = { reason: 'paused' as const, count: 9, countExact: true, first: new Date(base + MINUTE), last: new Date(base + 9 * MINUTE) };
    const r = await store.claimFire({ ...claimOf(paused, [], base + 10 * MINUTE), missed, resume: true });
    expect(r).toMatchObject({ outcome: 'claimed', fired: [], missed: { kind: 'paused', count: 9 } });
    expect(await store.getSchedule({ name: 'r' })).toMatchObject({ paused: false, nextFireAt: new Date(base + 10 * MINUTE) });
    expect(await scheduleJobs(store, 'r')).toEqual([]);
    // The guard saw paused = true; it is false now, so replaying that resume loses.
    expect((await store.claimFire({ ...claimOf(paused, [], base + 10 * MINUTE), resume: true })).outcome).toBe('lost');
  });

  test('the fire history keeps the newest FIRE_HISTORY_LIMIT rows', async (store) => {
    const base = await pastMinute(store);
    await store.upsertSchedules({ schedules: [declaration('many', base, { trigger: { every: '1s' }, initialNextFireAt: new Date(base) })], removeUndeclared: false });
    const times = Array.from({ length: FIRE_HISTORY_LIMIT + 5 }, (_, i) => base + i * 1_000);
    const r = await store.claimFire(claimOf(await stateOf(store, 'many'), times, base + times.length * 1_000));
    expect(r.outcome).toBe('claimed');
    const fires = await store.listScheduleFires({ name: 'many', limit: FIRE_HISTORY_LIMIT * 2 });
    expect(fires).toHaveLength(FIRE_HISTORY_LIMIT);
    expect(fires[0]!.fireAt.getTime()).toBe(times.at(-1));
    expect(fires.at(-1)!.fireAt.getTime()).toBe(times[5]);
    // Trimming the history leaves the jobs alone.
    const [counts] = await store.countJobs({ queue: QUEUE });
    expect(counts!.counts.waiting + counts!.counts.delayed).toBe(times.length);
  });

  test('claimFire and triggerSchedule check their jobs as enqueue does, before anything is written', async (store) => {
    const base = await pastMinute(store);
    await store.upsertSchedules({ schedules: [declaration('v', base)], removeUndeclared: false });
    const state = await stateOf(store, 'v');
    const plan = claimOf(state, [base + MINUTE, base + 2 * MINUTE], base + 3 * MINUTE);
    const badQueue = { ...plan, fires: [plan.fires[0]!, { ...plan.fires[1]!, job: { ...plan.fires[1]!.job, queue: 'not a queue!' } }] };
    await expectCode(store.claimFire(badQueue), 'INVALID_NAME');
    const badData = { ...plan, fires: [{ ...plan.fires[0]!, job: { ...plan.fires[0]!.job, dataJson: '{' } }] };
    await expectCode(store.claimFire(badData), 'INVALID_DATA');
    await expectCode(store.triggerSchedule({ name: 'v', job: { ...plan.fires[0]!.job, maxAttempts: 0 } }), 'INVALID_OPTION');
    expect(await stateOf(store, 'v')).toEqual(state);
    expect(await scheduleJobs(store, 'v')).toEqual([]);
    expect(await store.listScheduleFires({ name: 'v', limit: 10 })).toEqual([]);
    // The same plan, valid, still wins: nothing of the refused calls was kept.
    expect((await store.claimFire(plan)).outcome).toBe('claimed');
  });
}
