import { expect } from 'vitest';
import type { Define } from './harness.js';
import { expectCode, storeNow } from './helpers.js';
import { MINUTE, claimOf, declaration, fireJob, pastMinute, scheduleJobs, stateOf, template } from './schedules-helpers.js';

/** Declaring, listing, pausing, triggering and deleting schedules (ScheduleStore). */
export function scheduleTests(test: Define): void {
  test('upsert creates schedules with their initial slot; listed by name with no fires yet', async (store) => {
    const base = await pastMinute(store);
    const r = await store.upsertSchedules({
      schedules: [declaration('zeta', base, { initialNextFireAt: new Date(base + 2 * MINUTE) }), declaration('alpha', base, { trigger: '*/5 * * * *', policy: { maxRunning: 2 } })],
      removeUndeclared: false,
    });
    expect(r).toEqual({
      schedules: [
        { name: 'zeta', outcome: 'created', restored: false, nextFireAt: new Date(base + 2 * MINUTE) },
        { name: 'alpha', outcome: 'created', restored: false, nextFireAt: new Date(base + MINUTE) },
      ],
      removed: [],
    });
    const list = await store.listSchedules();
    expect(list.map((x) => x.name)).toEqual(['alpha', 'zeta']);
    const alpha = declaration('alpha', base, { trigger: '*/5 * * * *', policy: { maxRunning: 2 } });
    expect(list[0]).toMatchObject({
      name: 'alpha',
      trigger: alpha.trigger,
      triggerKey: alpha.triggerKey,
      policy: alpha.policy,
      job: template(),
      paused: false,
      nextFireAt: new Date(base + MINUTE),
      removedAt: null,
      lastFire: null,
      lastMissed: null,
    });
    expect(list[0]!.createdAt).toBeInstanceOf(Date);
    expect(await store.getSchedule({ name: 'alpha' })).toEqual(list[0]);
  });

  test('upsert keeps the stored slot when the triggerKey is unchanged, and replaces policy and job', async (store) => {
    const base = await pastMinute(store);
    await store.upsertSchedules({ schedules: [declaration('etl', base)], removeUndeclared: false });
    // A restart computes another initial slot; the stored one wins.
    const again = declaration('etl', base, { initialNextFireAt: new Date(base + 30 * MINUTE), policy: { catchUp: 'all' }, job: { priority: 7 } });
    const r = await store.upsertSchedules({ schedules: [again], removeUndeclared: false });
    expect(r.schedules).toEqual([{ name: 'etl', outcome: 'kept', restored: false, nextFireAt: new Date(base + MINUTE) }]);
    expect(await store.getSchedule({ name: 'etl' })).toMatchObject({ nextFireAt: new Date(base + MINUTE), policy: again.policy, job: template({ priority: 7 }) });
  });

  test('upsert takes the new initial slot when the trigger changed, and records its initial miss', async (store) => {
    const base = await pastMinute(store);
    await store.upsertSchedules({ schedules: [declaration('report', base)], removeUndeclared: false });
    const at = new Date(base - 60 * MINUTE);
    const changed = declaration('report', base, {
      trigger: { at },
      initialNextFireAt: null,
      initialMissed: { reason: 'misfire', count: 1, countExact: true, first: at, last: at },
    });
    const r = await store.upsertSchedules({ schedules: [changed], removeUndeclared: false });
    expect(r.schedules).toEqual([{ name: 'report', outcome: 'trigger_changed', restored: false, nextFireAt: null }]);
    const rec = await store.getSchedule({ name: 'report' });
    expect(rec).toMatchObject({ trigger: { kind: 'at', atMs: at.getTime() }, triggerKey: changed.triggerKey, nextFireAt: null });
    expect(rec!.lastMissed).toMatchObject({ schedule: 'report', kind: 'misfire', fireAt: at, lastFireAt: at, count: 1, countExact: true, jobId: null });
    expect(await store.listScheduleFires({ name: 'report', limit: 10 })).toEqual([rec!.lastMissed]);
  });

  test('an operator pause survives a re-upsert; a change of the declared paused value takes effect', async (store) => {
    const base = await pastMinute(store);
    await store.upsertSchedules({ schedules: [declaration('a', base), declaration('b', base, { policy: { paused: true } })], removeUndeclared: false });
    expect((await store.listSchedules()).map((x) => [x.name, x.paused])).toEqual([['a', false], ['b', true]]);
    expect((await store.pauseSchedule({ name: 'a' }))!.paused).toBe(true);
    await store.upsertSchedules({ schedules: [declaration('a', base), declaration('b', base, { policy: { paused: true } })], removeUndeclared: false });
    expect((await store.getSchedule({ name: 'a' }))!.paused).toBe(true);
    // b was declared paused; now the code says unpaused: that change is applied.
    await store.upsertSchedules({ schedules: [declaration('a', base), declaration('b', base)], removeUndeclared: false });
    expect((await store.getSchedule({ name: 'b' }))!.paused).toBe(false);
    expect((await store.getSchedule({ name: 'a' }))!.paused).toBe(true);
  });

  test('schedules no longer declared are marked removed, reported, still listed and never due; declaring again restores them with their slot', async (store) => {
    const base = await pastMinute(store);
    await store.upsertSchedules({ schedules: [declaration('keep', base), declaration('gone', base), declaration('old', base)], removeUndeclared: false });
    const r1 = await store.upsertSchedules({ schedules: [declaration('keep', base)], removeUndeclared: true });
    expect(r1.removed.map((x) => [x.name, x.newly])).toEqual([['gone', true], ['old', true]]);
    const now = await storeNow(store);
    expect(Math.abs(r1.removed[0]!.removedAt.getTime() - now)).toBeLessThan(60_000);
    // Reported again on the next upsert, no longer as new.
    const r2 = await store.upsertSchedules({ schedules: [declaration('keep', base)], removeUndeclared: true });
    expect(r2.removed.map((x) => [x.name, x.newly])).toEqual([['gone', false], ['old', false]]);
    const listed = await store.listSchedules();
    expect(listed.map((x) => [x.name, x.removedAt !== null])).toEqual([['gone', true], ['keep', false], ['old', true]]);
    const due = await store.listDueSchedules({ lookaheadMs: 0, limit: 100 });
    expect(due.due.map((x) => x.name)).toEqual(['keep']);
    // A removed schedule cannot be claimed.
    const gone = await stateOf(store, 'gone');
    expect((await store.claimFire(claimOf(gone, [base + MINUTE], base + 2 * MINUTE))).outcome).toBe('lost');
    const r3 = await store.upsertSchedules({ schedules: [declaration('keep', base), declaration('gone', base, { initialNextFireAt: new Date(base + 9 * MINUTE) })], removeUndeclared: true });
    expect(r3.schedules[1]).toEqual({ name: 'gone', outcome: 'kept', restored: true, nextFireAt: new Date(base + MINUTE) });
    expect(r3.removed.map((x) => x.name)).toEqual(['old']);
    expect((await store.getSchedule({ name: 'gone' }))!.removedAt).toBeNull();
  });

  test('without removeUndeclared nothing is marked removed', async (store) => {
    const base = await pastMinute(store);
    await store.upsertSchedules({ schedules: [declaration('a', base), declaration('b', base)], removeUndeclared: false });
    const r = await store.upsertSchedules({ schedules: [declaration('a', base)], removeUndeclared: false });
    expect(r.removed).toEqual([]);
    expect((await store.listSchedules()).every((x) => x.removedAt === null)).toBe(true);
  });

  test('an upsert with a bad declaration writes nothing', async (store) => {
    const base = await pastMinute(store);
    await expectCode(store.upsertSchedules({ schedules: [declaration('fine', base), declaration('bad name!', base)], removeUndeclared: true }), 'INVALID_NAME');
    await expectCode(store.upsertSchedules({ schedules: [declaration('twice', base), declaration('twice', base)], removeUndeclared: false }), 'INVALID_OPTION');
    expect(await store.listSchedules()).toEqual([]);
  });

  test('listDueSchedules: unpaused live schedules whose slot is within now + lookahead, by slot, up to limit, and the next slot after', async (store) => {
    const now = await storeNow(store);
    const at = (ms: number): Date => new Date(now + ms);
    await store.upsertSchedules({
      schedules: [
        declaration('late', now, { initialNextFireAt: at(-5 * MINUTE) }),
        declaration('due', now, { initialNextFireAt: at(-MINUTE) }),
        declaration('soon', now, { initialNextFireAt: at(30_000) }),
        declaration('later', now, { initialNextFireAt: at(10 * MINUTE) }),
        declaration('paused', now, { initialNextFireAt: at(-2 * MINUTE), policy: { paused: true } }),
        declaration('done', now, { initialNextFireAt: null }),
      ],
      removeUndeclared: false,
    });
    const r = await store.listDueSchedules({ lookaheadMs: 0, limit: 100 });
    expect(r.due.map((x) => x.name)).toEqual(['late', 'due']);
    expect(r.nextFireAt).toEqual(at(30_000));
    expect(Math.abs(r.now.getTime() - now)).toBeLessThan(60_000);
    expect(r.due[0]).toMatchObject({ name: 'late', nextFireAt: at(-5 * MINUTE), paused: false, removedAt: null });
    const ahead = await store.listDueSchedules({ lookaheadMs: 2 * MINUTE, limit: 100 });
    expect(ahead.due.map((x) => x.name)).toEqual(['late', 'due', 'soon']);
    expect(ahead.nextFireAt).toEqual(at(10 * MINUTE));
    const one = await store.listDueSchedules({ lookaheadMs: 0, limit: 1 });
    expect(one.due.map((x) => x.name)).toEqual(['late']);
  });

  test('triggerSchedule enqueues the job now and records a manual fire without moving the slot', async (store) => {
    const base = await pastMinute(store);
    await store.upsertSchedules({ schedules: [declaration('nightly', base)], removeUndeclared: false });
    const now = await storeNow(store);
    const job = { ...fireJob('nightly', new Date(now)), idempotencyKey: null, runAt: null };
    const r = await store.triggerSchedule({ name: 'nightly', job });
    expect(r!.job.created).toBe(true);
    expect(r!.job.job).toMatchObject({ name: job.name, scheduleName: 'nightly', state: 'waiting', data: { from: 'schedule' } });
    expect(r!.fire).toMatchObject({ schedule: 'nightly', kind: 'manual', jobId: r!.job.id, count: 1, catchUp: false });
    const rec = await store.getSchedule({ name: 'nightly' });
    expect(rec!.nextFireAt).toEqual(new Date(base + MINUTE));
    expect(rec!.lastFire).toEqual(r!.fire);
    expect((await scheduleJobs(store, 'nightly')).map((j) => j.id)).toEqual([r!.job.id]);
    expect(await store.triggerSchedule({ name: 'nope', job })).toBeNull();
    expect(await scheduleJobs(store, 'nope')).toEqual([]);
  });

  test('pauseSchedule keeps the slot and takes the schedule out of the due list', async (store) => {
    const base = await pastMinute(store);
    await store.upsertSchedules({ schedules: [declaration('p', base)], removeUndeclared: false });
    const paused = await store.pauseSchedule({ name: 'p' });
    expect(paused).toMatchObject({ name: 'p', paused: true, nextFireAt: new Date(base + MINUTE) });
    expect(await store.pauseSchedule({ name: 'p' })).toMatchObject({ paused: true });
    expect((await store.listDueSchedules({ lookaheadMs: 0, limit: 10 })).due).toEqual([]);
    expect(await store.pauseSchedule({ name: 'unknown' })).toBeNull();
  });

  test('deleteSchedule removes the schedule and its fires, not its jobs; unknown names read as absent', async (store) => {
    const base = await pastMinute(store);
    await store.upsertSchedules({ schedules: [declaration('d', base)], removeUndeclared: false });
    const claimed = await store.claimFire(claimOf(await stateOf(store, 'd'), [base + MINUTE], base + 2 * MINUTE));
    expect(claimed.outcome).toBe('claimed');
    expect(await store.deleteSchedule({ name: 'd' })).toBe(true);
    expect(await store.deleteSchedule({ name: 'd' })).toBe(false);
    expect(await store.getSchedule({ name: 'd' })).toBeNull();
    expect(await store.listScheduleFires({ name: 'd', limit: 10 })).toEqual([]);
    expect(await scheduleJobs(store, 'd')).toHaveLength(1);
    expect(await store.listSchedules()).toEqual([]);
  });
}
