import { afterEach, describe, expect, it } from 'vitest';
import { Docket } from '../docket.js';
import { createMemoryStore } from '../testing/test-docket.js';
import { collect, schedulerFixture, type SchedulerFixture } from './test-support/scheduler-fixture.js';

let f: SchedulerFixture;
afterEach(async () => f?.close());

async function rejection(p: Promise<unknown> | (() => unknown)): Promise<{ code?: string; field?: string; message: string }> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    return e as { code?: string; field?: string; message: string };
  }
  throw new Error('expected a rejection');
}

describe('docket.schedule: bad input gets a typed error and stores nothing', () => {
  it('invalid cron, unknown zone, bad or negative interval, bad dates, unknown job, bad policy and data', async () => {
    f = schedulerFixture('2026-01-01T00:00:30Z');
    const d = f.docket();
    d.defineJob('typed', {
      schema: { '~standard': { version: 1, vendor: 'test', validate: (v: unknown) => (typeof v === 'number' ? { value: v } : { issues: [{ message: 'must be a number' }] }) } },
      handler: async () => null,
    });
    const cases: Array<[string, Promise<unknown>, string, string]> = [
      ['invalid cron', d.schedule('a', '61 * * * *', { job: 'tick' }), 'INVALID_CRON', 'trigger.cron'],
      ['cron that never fires', d.schedule('a', { cron: '0 0 30 2 *' }, { job: 'tick' }), 'INVALID_CRON', 'trigger.cron'],
      ['unknown time zone', d.schedule('a', { cron: '30 2 * * *', timezone: 'Mars/Olympus_Mons' }, { job: 'tick' }), 'INVALID_TIMEZONE', 'trigger.timezone'],
      ['negative interval', d.schedule('a', { every: -5_000 }, { job: 'tick' }), 'INVALID_TRIGGER', 'trigger.every'],
      ['interval below a second', d.schedule('a', { every: '500ms' }, { job: 'tick' }), 'INVALID_TRIGGER', 'trigger.every'],
      ['a bare local time', d.schedule('a', { at: '2026-05-01T09:00:00' }, { job: 'tick' }), 'INVALID_TRIGGER', 'trigger.at'],
      ['two trigger kinds', d.schedule('a', { every: '1m', at: new Date() } as never, { job: 'tick' }), 'INVALID_TRIGGER', 'trigger'],
      ['unknown job', d.schedule('a', { every: '1m' }, { job: 'nope' }), 'UNKNOWN_JOB', ''],
      ['no job', d.schedule('a', { every: '1m' }, {} as never), 'INVALID_OPTION', 'options.job'],
      ['bad schedule name', d.schedule('a b', { every: '1m' }, { job: 'tick' }), 'INVALID_NAME', 'name'],
      ['bad catchUp', d.schedule('a', { every: '1m' }, { job: 'tick', catchUp: 'sometimes' as never }), 'INVALID_OPTION', 'options.catchUp'],
      ['negative grace', d.schedule('a', { every: '1m' }, { job: 'tick', misfireGraceMs: -1 }), 'INVALID_OPTION', 'options.misfireGraceMs'],
      ['maxRunning 0', d.schedule('a', { every: '1m' }, { job: 'tick', maxRunning: 0 }), 'INVALID_OPTION', 'options.maxRunning'],
      ['unknown option', d.schedule('a', { every: '1m' }, { job: 'tick', cathcUp: 'all' } as never), 'INVALID_OPTION', 'options.cathcUp'],
      ['bad job option', d.schedule('a', { every: '1m' }, { job: 'tick', priority: 1.5 }), 'INVALID_OPTION', 'options.priority'],
      ['data refused by the job schema', d.schedule('a', { every: '1m' }, { job: 'typed', data: 'x' }), 'INVALID_DATA', 'data'],
      ['data that is not JSON', d.schedule('a', { every: '1m' }, { job: 'tick', data: { at: new Date() } }), 'INVALID_DATA', 'data'],
    ];
    for (const [what, promise, code, field] of cases) {
      const e = await rejection(promise);
      expect(e.code, what).toBe(code);
      if (field) expect(e.field, what).toBe(field);
    }
    await d.start();
    expect(await d.listSchedules()).toEqual([]);
  });

  it('`at` in the past: within misfireGraceMs it fires once; further back it is stored exhausted with a misfire, and no job', async () => {
    f = schedulerFixture('2026-01-01T12:00:00Z');
    const d = f.docket();
    const misfired = collect(d, 'schedule:misfired');
    await d.schedule('just-missed', { at: '2026-01-01T11:59:30Z' }, { job: 'tick' });
    await d.schedule('long-gone', { at: '2026-01-01T09:00:00Z' }, { job: 'tick' });
    await d.schedule('future', { at: new Date('2026-01-01T12:05:00Z') }, { job: 'tick' });
    await d.start();
    await f.at('2026-01-01T12:00:00Z');
    expect(await f.fireTimes('just-missed')).toEqual(['2026-01-01T11:59:30.000Z']);
    expect(await f.fireTimes('long-gone')).toEqual([]);
    expect(misfired.map((e) => [e.schedule, e.reason, e.first.toISOString()])).toEqual([['long-gone', 'misfire', '2026-01-01T09:00:00.000Z']]);
    const gone = (await d.getSchedule('long-gone'))!;
    expect(gone).toMatchObject({ nextFireAt: null, nextFires: [], lastMissed: { kind: 'misfire', count: 1 } });
    await f.at('2026-01-01T12:05:00Z');
    expect(await f.fireTimes('future')).toEqual(['2026-01-01T12:05:00.000Z']);
    // A restart does not fire a one-off again.
    await d.stop();
    await d.start();
    await f.at('2026-01-01T12:10:00Z');
    expect((await f.fireTimes('future')).length + (await f.fireTimes('just-missed')).length).toBe(2);
  });

  it('schedules in config: validated when the Docket is built; their jobs when it starts', async () => {
    const store = createMemoryStore();
    const build = (schedules: unknown): Docket => new Docket({ store, logger: false, worker: { enabled: false }, schedules: schedules as never });
    expect(await rejection(() => build([{ name: 'x', trigger: 'not cron', job: 'tick' }]))).toMatchObject({ code: 'INVALID_CRON', field: 'schedules[0].trigger.cron' });
    expect(await rejection(() => build([{ name: 'x', trigger: '* * * * *', job: 'tick', catchUp: 'no' }]))).toMatchObject({ code: 'INVALID_OPTION', field: 'schedules[0].catchUp' });
    expect(await rejection(() => build({}))).toMatchObject({ code: 'INVALID_CONFIG', field: 'schedules' });
    expect(await rejection(() => build([{ name: 'x', trigger: '* * * * *', job: 'tick' }, { name: 'x', trigger: '* * * * *', job: 'tick' }]))).toMatchObject({ code: 'INVALID_CONFIG' });
    expect(await rejection(() => new Docket({ store, logger: false, scheduler: { tickIntervalMs: 0 } }))).toMatchObject({ code: 'INVALID_CONFIG', field: 'scheduler.tickIntervalMs' });
    const missingJob = build([{ name: 'x', trigger: '* * * * *', job: 'undefined-job' }]);
    expect(await rejection(missingJob.start())).toMatchObject({ code: 'UNKNOWN_JOB' });
    expect(missingJob.isRunning).toBe(false);
    const ok = build([{ name: 'nightly', trigger: { cron: '30 2 * * *', timezone: 'Asia/Kolkata' }, job: 'tick', data: { full: true }, maxRunning: 1 }]);
    ok.defineJob('tick', { handler: async () => null });
    await ok.start();
    const [info] = await ok.listSchedules({ nextFires: 2 });
    expect(info).toMatchObject({ name: 'nightly', description: 'cron 30 2 * * * (Asia/Kolkata)', data: { full: true }, declaredHere: true, policy: { maxRunning: 1 } });
    // 02:30 in Kolkata is 21:00 UTC the day before.
    expect(info!.nextFires.every((t) => t.toISOString().endsWith('T21:00:00.000Z'))).toBe(true);
    await ok.close();
  });
});
