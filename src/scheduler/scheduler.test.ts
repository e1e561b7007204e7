import { afterEach, describe, expect, it } from 'vitest';
import type { Docket } from '../docket.js';
import { MINUTE, SECOND, collect, schedulerFixture, time, type SchedulerFixture } from './test-support/scheduler-fixture.js';

let f: SchedulerFixture;
afterEach(async () => f?.close());

async function start(d: Docket): Promise<void> {
  await d.start();
  await f.at(f.clock.now());
}

describe('scheduler service (ManualClock)', () => {
  it('enqueues one job per slot, at its time, waking at the next due fire rather than polling', async () => {
    f = schedulerFixture('2026-01-01T00:00:30Z');
    const d = f.docket({ scheduler: { tickIntervalMs: 3_600_000 } });
    const fired = collect(d, 'schedule:fired');
    await d.schedule('every-minute', { every: '1m' }, { job: 'tick', data: { n: 1 } });
    await start(d);
    expect(await f.fireTimes('every-minute')).toEqual([]);
    await f.at('2026-01-01T00:01:00Z');
    await f.at('2026-01-01T00:02:00Z');
    // The tick interval is an hour: these fires came from waking at each slot.
    expect(await f.fireTimes('every-minute')).toEqual(['2026-01-01T00:01:00.000Z', '2026-01-01T00:02:00.000Z']);
    expect(fired.map((e) => [e.schedule, e.fireAt.toISOString(), e.lateMs, e.catchUp, e.manual, e.name, e.queue])).toEqual([
      ['every-minute', '2026-01-01T00:01:00.000Z', 0, false, false, 'tick', 'default'],
      ['every-minute', '2026-01-01T00:02:00.000Z', 0, false, false, 'tick', 'default'],
    ]);
    const job = await d.getJob(fired[0]!.jobId);
    expect(job).toMatchObject({ name: 'tick', data: { n: 1 }, scheduleName: 'every-minute', state: 'waiting', runAt: new Date('2026-01-01T00:01:00Z') });
  });

  for (const [catchUp, expected] of [
    ['skip', []],
    ['latest', ['2026-01-01T03:00:00.000Z']],
    ['all', ['2026-01-01T01:00:00.000Z', '2026-01-01T02:00:00.000Z', '2026-01-01T03:00:00.000Z']],
  ] as const) {
    it(`an hourly schedule whose scheduler was down for 3 h: catchUp ${catchUp} enqueues ${expected.length} on restart`, async () => {
      f = schedulerFixture('2026-01-01T00:30:00Z');
      const before = f.docket();
      await before.schedule('hourly', '0 * * * *', { job: 'tick', catchUp });
      await start(before);
      await before.stop();
      await f.at('2026-01-01T03:30:00Z');
      const after = f.docket();
      const misfired = collect(after, 'schedule:misfired');
      const fired = collect(after, 'schedule:fired');
      await after.schedule('hourly', '0 * * * *', { job: 'tick', catchUp });
      await start(after);
      expect(await f.fireTimes('hourly')).toEqual(expected);
      expect(fired.every((e) => e.catchUp && e.lateMs >= 30 * MINUTE)).toBe(true);
      const info = (await after.getSchedule('hourly'))!;
      expect(info.nextFireAt).toEqual(new Date('2026-01-01T04:00:00Z'));
      if (catchUp === 'skip') {
        expect(misfired).toEqual([{ schedule: 'hourly', reason: 'misfire', count: 3, countExact: true, first: new Date('2026-01-01T01:00:00Z'), last: new Date('2026-01-01T03:00:00Z') }]);
        expect(info.lastMissed).toMatchObject({ kind: 'misfire', count: 3 });
      } else if (catchUp === 'latest') {
        expect(misfired).toEqual([{ schedule: 'hourly', reason: 'coalesced', count: 2, countExact: true, first: new Date('2026-01-01T01:00:00Z'), last: new Date('2026-01-01T02:00:00Z') }]);
        expect(info.lastFire).toMatchObject({ kind: 'fired', catchUp: true, lateMs: 30 * MINUTE });
      } else {
        expect(misfired).toEqual([]);
        expect(info.recentFires.map((x) => [x.kind, x.catchUp])).toEqual([['fired', true], ['fired', true], ['fired', true]]);
      }
      // The next fire is on time again.
      await f.at('2026-01-01T04:00:00Z');
      expect((await f.fireTimes('hourly')).at(-1)).toBe('2026-01-01T04:00:00.000Z');
    });
  }

  it('a fire handled later than misfireGraceMs is recorded as a misfire; exactly the grace is on time', async () => {
    f = schedulerFixture('2026-01-01T00:00:30Z');
    const policy = { job: 'tick', misfireGraceMs: 10 * SECOND, catchUp: 'skip' } as const;
    const a = f.docket();
    await a.schedule('graced', { every: '1m' }, policy);
    await start(a);
    await a.stop();
    // Down across 00:01; back exactly 10 s late: still on time.
    await f.at('2026-01-01T00:01:10Z');
    await start(a);
    await a.stop();
    // Down across 00:02; back 11 s late: a misfire, recorded, nothing enqueued.
    await f.at('2026-01-01T00:02:11Z');
    const misfired = collect(a, 'schedule:misfired');
    await start(a);
    expect(await f.fireTimes('graced')).toEqual(['2026-01-01T00:01:00.000Z']);
    const info = (await a.getSchedule('graced'))!;
    expect(info.recentFires.map((x) => [x.kind, x.fireAt.toISOString(), x.lateMs])).toEqual([
      ['misfire', '2026-01-01T00:02:00.000Z', null],
      ['fired', '2026-01-01T00:01:00.000Z', 10 * SECOND],
    ]);
    expect(misfired.map((e) => [e.reason, e.count])).toEqual([['misfire', 1]]);
  });

  it('maxRunning 1 with a job that outlasts the interval: later fires are skipped and recorded, not queued up', async () => {
    f = schedulerFixture('2026-01-01T00:00:30Z');
    let release = (): void => {};
    const gate = new Promise<void>((r) => (release = r));
    const d = f.docket({ worker: { enabled: true, pollIntervalMs: 1_000 }, handler: () => gate });
    const skipped = collect(d, 'schedule:skipped');
    await d.schedule('etl', { every: '1m' }, { job: 'tick', maxRunning: 1 });
    await start(d);
    const started = new Promise((r) => d.once('job:started', r));
    await f.at('2026-01-01T00:01:00Z');
    await started;
    await f.at('2026-01-01T00:02:00Z');
    await f.at('2026-01-01T00:03:00Z');
    expect(await f.fireTimes('etl')).toEqual(['2026-01-01T00:01:00.000Z']);
    expect(skipped.map((e) => [e.reason, e.first.toISOString(), e.count, e.running])).toEqual([
      ['max-running', '2026-01-01T00:02:00.000Z', 1, 1],
      ['max-running', '2026-01-01T00:03:00.000Z', 1, 1],
    ]);
    const completed = new Promise((r) => d.once('job:completed', r));
    release();
    await completed;
    await f.at('2026-01-01T00:04:00Z');
    expect(await f.fireTimes('etl')).toEqual(['2026-01-01T00:01:00.000Z', '2026-01-01T00:04:00.000Z']);
    const fires = (await d.getSchedule('etl'))!.recentFires.map((x) => [x.kind, x.fireAt.toISOString().slice(11, 16)]);
    expect(fires).toEqual([['fired', '00:04'], ['max-running', '00:03'], ['max-running', '00:02'], ['fired', '00:01']]);
  });

  it('a restart between two fires neither skips nor repeats the next one', async () => {
    f = schedulerFixture('2026-01-01T00:00:30Z');
    const first = f.docket();
    await first.schedule('m', { every: '1m' }, { job: 'tick' });
    await start(first);
    await f.at('2026-01-01T00:01:00Z');
    await f.at('2026-01-01T00:01:20Z');
    await first.stop();
    // A new process (new Docket, same store) declares the same schedule and starts between fires.
    await f.at('2026-01-01T00:01:40Z');
    const second = f.docket();
    await second.schedule('m', { every: '1m' }, { job: 'tick' });
    await start(second);
    await f.at('2026-01-01T00:02:00Z');
    expect(await f.fireTimes('m')).toEqual(['2026-01-01T00:01:00.000Z', '2026-01-01T00:02:00.000Z']);
    // Down across 00:03 but back within the grace: 00:03 runs once, late; 00:02 is not repeated.
    await second.stop();
    await f.at('2026-01-01T00:03:30Z');
    const third = f.docket();
    const fired = collect(third, 'schedule:fired');
    await third.schedule('m', { every: '1m' }, { job: 'tick' });
    await start(third);
    await f.at('2026-01-01T00:04:00Z');
    expect(await f.fireTimes('m')).toEqual(['2026-01-01T00:01:00.000Z', '2026-01-01T00:02:00.000Z', '2026-01-01T00:03:00.000Z', '2026-01-01T00:04:00.000Z']);
    expect(fired.map((e) => [e.fireAt.toISOString().slice(11, 19), e.lateMs, e.catchUp])).toEqual([
      ['00:03:00', 30 * SECOND, false],
      ['00:04:00', 0, false],
    ]);
  });

  it('two schedulers on one store: one job per fire', async () => {
    f = schedulerFixture('2026-01-01T00:00:30Z');
    const a = f.docket();
    const b = f.docket();
    const wins = [collect(a, 'schedule:fired'), collect(b, 'schedule:fired')];
    for (const d of [a, b]) await d.schedule('s', { every: '10s' }, { job: 'tick' });
    await a.start();
    await start(b);
    for (let t = time('2026-01-01T00:00:40Z'); t <= time('2026-01-01T00:02:00Z'); t += 10 * SECOND) await f.at(t);
    const times = await f.fireTimes('s');
    expect(times).toHaveLength(9);
    expect(new Set(times).size).toBe(9);
    expect(wins[0]!.length + wins[1]!.length).toBe(9);
  });

  it('DST end to end: 30 2 * * * in New York runs once a day around the spring change, right after the jump', async () => {
    f = schedulerFixture('2026-03-06T12:00:00Z');
    // An hour's tick: the fires come from waking at each slot (and the test does not step through 5 s ticks for days).
    const d = f.docket({ scheduler: { tickIntervalMs: 3_600_000 } });
    await d.schedule('nightly', { cron: '30 2 * * *', timezone: 'America/New_York' }, { job: 'tick' });
    await start(d);
    for (const t of ['2026-03-07T07:30:00Z', '2026-03-08T07:00:00Z', '2026-03-09T06:30:00Z']) await f.at(t);
    // 02:30 EST; 03:00 EDT (02:30 does not exist that day); 02:30 EDT.
    expect(await f.fireTimes('nightly')).toEqual(['2026-03-07T07:30:00.000Z', '2026-03-08T07:00:00.000Z', '2026-03-09T06:30:00.000Z']);
  });

  it('scheduler: { enabled: false } stores declared schedules but fires nothing; another process fires them', async () => {
    f = schedulerFixture('2026-01-01T00:00:30Z');
    const off = f.docket({ scheduler: { enabled: false } });
    await off.schedule('s', { every: '1m' }, { job: 'tick' });
    await start(off);
    expect(off.scheduler.running).toBe(false);
    expect((await off.listSchedules()).map((s) => s.name)).toEqual(['s']);
    await f.at('2026-01-01T00:01:00Z');
    expect(await f.fireTimes('s')).toEqual([]);
    const on = f.docket();
    await start(on);
    expect(await f.fireTimes('s')).toEqual(['2026-01-01T00:01:00.000Z']);
  });

  it('jitter delays the job, never the fire identity', async () => {
    f = schedulerFixture('2026-01-01T00:00:30Z');
    const d = f.docket();
    await d.schedule('j', { every: '1m' }, { job: 'tick', jitterMs: 5 * SECOND });
    await start(d);
    const fired = collect(d, 'schedule:fired');
    await f.at('2026-01-01T00:01:00Z');
    const job = (await d.getJob(fired[0]!.jobId))!;
    expect(job.fireTime).toEqual(new Date('2026-01-01T00:01:00Z'));
    expect(job.runAt.getTime() - time('2026-01-01T00:01:00Z')).toBeGreaterThanOrEqual(0);
    expect(job.runAt.getTime() - time('2026-01-01T00:01:00Z')).toBeLessThanOrEqual(5 * SECOND);
  });
});
