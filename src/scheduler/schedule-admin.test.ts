import { afterEach, describe, expect, it } from 'vitest';
import { Docket } from '../docket.js';
import { collect, schedulerFixture, type SchedulerFixture } from './test-support/scheduler-fixture.js';

let f: SchedulerFixture;
afterEach(async () => f?.close());

async function code(p: Promise<unknown>): Promise<string | undefined> {
  return p.then(
    () => undefined,
    (e: { code?: string }) => e.code,
  );
}

describe('schedule API: list, get, trigger, pause, resume, removed, delete', () => {
  it('listSchedules and getSchedule show trigger, policy, next fires, last fire and history', async () => {
    f = schedulerFixture('2026-01-01T00:00:30Z');
    const d = f.docket();
    await d.schedule('etl', { every: '15m' }, { job: 'tick', data: { full: false }, priority: 5, catchUp: 'all', maxRunning: 2 });
    await d.schedule('nightly', { cron: '30 2 * * *', timezone: 'Asia/Kolkata' }, { job: 'tick' });
    await d.start();
    await f.at('2026-01-01T00:15:00Z');
    const list = await d.listSchedules({ nextFires: 3 });
    expect(list.map((s) => s.name)).toEqual(['etl', 'nightly']);
    const etl = list[0]!;
    expect(etl).toMatchObject({
      description: 'every 15m',
      trigger: { kind: 'every', intervalMs: 900_000, anchorMs: 0 },
      policy: { catchUp: 'all', maxRunning: 2, misfireGraceMs: 60_000 },
      job: { name: 'tick', queue: 'default', priority: 5 },
      data: { full: false },
      paused: false,
      removedAt: null,
      declaredHere: true,
      nextFireAt: new Date('2026-01-01T00:30:00Z'),
      lastFire: { kind: 'fired', fireAt: new Date('2026-01-01T00:15:00Z') },
    });
    expect(etl.nextFires.map((t) => t.toISOString().slice(11, 16))).toEqual(['00:30', '00:45', '01:00']);
    expect(list[1]!.nextFires.map((t) => t.toISOString())).toEqual(['2026-01-01T21:00:00.000Z', '2026-01-02T21:00:00.000Z', '2026-01-03T21:00:00.000Z']);
    const one = (await d.getSchedule('etl', { nextFires: 1, recentFires: 5 }))!;
    expect(one.nextFires).toHaveLength(1);
    expect(one.recentFires.map((x) => x.kind)).toEqual(['fired']);
    expect(await d.getSchedule('unknown')).toBeNull();
    expect(await code(d.getSchedule('bad name'))).toBe('INVALID_NAME');
    expect(await code(d.listSchedules({ nextFires: -1 }))).toBe('INVALID_OPTION');
  });

  it('triggerSchedule enqueues the job now, from any process, recorded as a manual fire; the slots are untouched', async () => {
    f = schedulerFixture('2026-01-01T00:00:30Z');
    const d = f.docket();
    await d.schedule('report', { every: '1h' }, { job: 'tick', data: { kind: 'report' }, maxRunning: 1 });
    await d.start();
    // An admin process that defines no job and declares no schedule.
    const admin = new Docket({ store: f.store, clock: f.clock, logger: false, worker: { enabled: false }, scheduler: { enabled: false } });
    const fired = collect(admin, 'schedule:fired');
    const job = await admin.triggerSchedule('report');
    expect(job.created).toBe(true);
    expect(await admin.getJob(job.id)).toMatchObject({ name: 'tick', data: { kind: 'report' }, scheduleName: 'report', state: 'waiting', idempotencyKey: null });
    expect(fired).toMatchObject([{ schedule: 'report', jobId: job.id, manual: true, lateMs: 0 }]);
    // Trigger-now is explicit: maxRunning does not hold it back.
    await admin.triggerSchedule('report');
    const info = (await d.getSchedule('report'))!;
    expect(info.recentFires.map((x) => x.kind)).toEqual(['manual', 'manual']);
    expect(info.nextFireAt).toEqual(new Date('2026-01-01T01:00:00Z'));
    expect(info.declaredHere).toBe(true);
    expect((await admin.getSchedule('report'))!.declaredHere).toBe(false);
    expect(await code(admin.triggerSchedule('missing'))).toBe('SCHEDULE_NOT_FOUND');
  });

  it('pause stops the fires in every process; resume continues from the next fire and does not replay the paused ones', async () => {
    f = schedulerFixture('2026-01-01T00:00:30Z');
    const d = f.docket();
    const skipped = collect(d, 'schedule:skipped');
    await d.schedule('m', { every: '1m' }, { job: 'tick', catchUp: 'all' });
    await d.start();
    await f.at('2026-01-01T00:01:00Z');
    const paused = await d.pauseSchedule('m');
    expect(paused).toMatchObject({ paused: true, nextFireAt: new Date('2026-01-01T00:02:00Z') });
    for (const t of ['00:02', '00:03', '00:04', '00:05:30']) await f.at(`2026-01-01T${t.length === 5 ? `${t}:00` : t}Z`);
    expect(await f.fireTimes('m')).toEqual(['2026-01-01T00:01:00.000Z']);
    // Listed with the fires resuming now would give.
    expect((await d.getSchedule('m'))!.nextFires[0]).toEqual(new Date('2026-01-01T00:06:00Z'));
    const resumed = await d.resumeSchedule('m');
    expect(resumed).toMatchObject({ paused: false, nextFireAt: new Date('2026-01-01T00:06:00Z') });
    expect(skipped).toEqual([{ schedule: 'm', reason: 'paused', count: 4, countExact: true, first: new Date('2026-01-01T00:02:00Z'), last: new Date('2026-01-01T00:05:00Z'), running: null }]);
    await f.at('2026-01-01T00:06:00Z');
    expect(await f.fireTimes('m')).toEqual(['2026-01-01T00:01:00.000Z', '2026-01-01T00:06:00.000Z']);
    // Resuming a running schedule changes nothing; unknown names are typed errors.
    expect(await d.resumeSchedule('m')).toMatchObject({ paused: false, nextFireAt: new Date('2026-01-01T00:07:00Z') });
    expect(await code(d.pauseSchedule('nope'))).toBe('SCHEDULE_NOT_FOUND');
    expect(await code(d.resumeSchedule('nope'))).toBe('SCHEDULE_NOT_FOUND');
  });

  it('an operator pause survives a restart that declares the same schedule', async () => {
    f = schedulerFixture('2026-01-01T00:00:30Z');
    const a = f.docket();
    await a.schedule('m', { every: '1m' }, { job: 'tick' });
    await a.start();
    await a.pauseSchedule('m');
    await a.stop();
    const b = f.docket();
    await b.schedule('m', { every: '1m' }, { job: 'tick' });
    await b.start();
    await f.at('2026-01-01T00:02:00Z');
    expect(await f.fireTimes('m')).toEqual([]);
    expect((await b.getSchedule('m'))!.paused).toBe(true);
  });

  it('a schedule removed from code is reported (event, log, listing) and stops firing; deleteSchedule removes it', async () => {
    f = schedulerFixture('2026-01-01T00:00:30Z');
    const v1 = f.docket();
    for (const name of ['kept', 'dropped']) await v1.schedule(name, { every: '1m' }, { job: 'tick' });
    await v1.start();
    await f.at('2026-01-01T00:01:00Z');
    await v1.stop();
    const warnings: string[] = [];
    const v2 = f.docket({ logger: captureWarnings(warnings) });
    const removed = collect(v2, 'schedule:removed');
    await v2.schedule('kept', { every: '1m' }, { job: 'tick' });
    await v2.start();
    await f.at('2026-01-01T00:02:00Z');
    expect(removed.map((e) => e.schedule)).toEqual(['dropped']);
    expect(warnings.some((w) => w.includes('dropped') && w.includes('do not fire'))).toBe(true);
    expect(await f.fireTimes('dropped')).toEqual(['2026-01-01T00:01:00.000Z']);
    expect(await f.fireTimes('kept')).toEqual(['2026-01-01T00:01:00.000Z', '2026-01-01T00:02:00.000Z']);
    const listed = await v2.listSchedules();
    expect(listed.map((s) => [s.name, s.removedAt !== null, s.nextFires.length])).toEqual([['dropped', true, 0], ['kept', false, 1]]);
    expect(await code(v2.resumeSchedule('dropped'))).toBe(undefined); // not paused: nothing to do
    expect(await v2.deleteSchedule('dropped')).toBe(true);
    expect(await v2.deleteSchedule('dropped')).toBe(false);
    expect((await v2.listSchedules()).map((s) => s.name)).toEqual(['kept']);
    // A process that declares no schedule (a web process) marks nothing removed.
    const web = new Docket({ store: f.store, clock: f.clock, logger: false, worker: { enabled: false }, scheduler: { enabled: false } });
    await web.start();
    expect((await web.listSchedules()).every((s) => s.removedAt === null)).toBe(true);
    await web.stop();
  });
});

function captureWarnings(into: string[]): import('pino').Logger {
  const noop = (): void => {};
  const logger = {
    level: 'info',
    child: () => logger,
    warn: (_obj: unknown, msg?: string) => void into.push(String(msg)),
    info: noop,
    debug: noop,
    error: noop,
    trace: noop,
    fatal: noop,
  };
  return logger as unknown as import('pino').Logger;
}
