import { describe, expect, it } from 'vitest';
import { fireKey, limitByMaxRunning, planDueFires, planInitialSlot, PLAN_SCAN_CAP, summarizeSkipped, type FirePlan } from './schedule-plan.js';
import { resolveSchedulePolicy, type SchedulePolicyInput } from './schedule-policy.js';
import { nextFireTime } from './schedule-timeline.js';
import { parseTrigger, type Trigger } from './schedule-trigger.js';

const d = (s: string) => new Date(s);
const hourly = parseTrigger('0 * * * *');
const times = (p: FirePlan) => p.enqueue.map((f) => f.fireAt.toISOString());

function plan(trigger: Trigger, nextFireAt: string | null, now: string, policy: SchedulePolicyInput = {}, extra: { lookaheadMs?: number; random?: () => number } = {}) {
  return planDueFires({ trigger, policy: resolveSchedulePolicy(policy), nextFireAt: nextFireAt === null ? null : d(nextFireAt), now: d(now), ...extra });
}

describe('planDueFires: an hourly schedule whose scheduler was down for 3 hours', () => {
  // Last fire handled 09:00, so the stored slot is 10:00; the scheduler comes back at 12:10.
  const down = (catchUp: 'skip' | 'latest' | 'all') => plan(hourly, '2026-01-01T10:00:00Z', '2026-01-01T12:10:00Z', { catchUp });

  it('skip: enqueues 0, records 3 misfires', () => {
    const p = down('skip');
    expect(p.enqueue).toEqual([]);
    expect(p.missed).toEqual({ reason: 'misfire', count: 3, countExact: true, first: d('2026-01-01T10:00:00Z'), last: d('2026-01-01T12:00:00Z') });
    expect(p.nextFireAt).toEqual(d('2026-01-01T13:00:00Z'));
  });

  it('latest: enqueues 1 (the most recent fire), coalesces the other 2', () => {
    const p = down('latest');
    expect(times(p)).toEqual(['2026-01-01T12:00:00.000Z']);
    expect(p.enqueue[0]).toMatchObject({ catchUp: true, lateMs: 600_000, runAt: d('2026-01-01T12:10:00Z') });
    expect(p.missed).toEqual({ reason: 'coalesced', count: 2, countExact: true, first: d('2026-01-01T10:00:00Z'), last: d('2026-01-01T11:00:00Z') });
    expect(p.nextFireAt).toEqual(d('2026-01-01T13:00:00Z'));
  });

  it('all: enqueues 3, oldest first, each running now', () => {
    const p = down('all');
    expect(times(p)).toEqual(['2026-01-01T10:00:00.000Z', '2026-01-01T11:00:00.000Z', '2026-01-01T12:00:00.000Z']);
    expect(p.enqueue.every((f) => f.catchUp && f.runAt.getTime() === d('2026-01-01T12:10:00Z').getTime())).toBe(true);
    expect(p.missed).toBeNull();
  });

  it('all, bounded: the most recent catchUpMax are enqueued, older ones recorded as misfires', () => {
    const p = plan(hourly, '2026-01-01T10:00:00Z', '2026-01-01T12:10:00Z', { catchUp: 'all', catchUpMax: 2 });
    expect(times(p)).toEqual(['2026-01-01T11:00:00.000Z', '2026-01-01T12:00:00.000Z']);
    expect(p.missed).toEqual({ reason: 'misfire', count: 1, countExact: true, first: d('2026-01-01T10:00:00Z'), last: d('2026-01-01T10:00:00Z') });
  });
});

describe('planDueFires: grace', () => {
  const grace = 30_000;

  it('a fire exactly misfireGraceMs late is on time; one millisecond more is a misfire', () => {
    const onTime = plan(hourly, '2026-01-01T12:00:00Z', '2026-01-01T12:00:30.000Z', { misfireGraceMs: grace, catchUp: 'skip' });
    expect(times(onTime)).toEqual(['2026-01-01T12:00:00.000Z']);
    expect(onTime.enqueue[0]).toMatchObject({ catchUp: false, lateMs: 30_000 });
    expect(onTime.missed).toBeNull();
    const late = plan(hourly, '2026-01-01T12:00:00Z', '2026-01-01T12:00:30.001Z', { misfireGraceMs: grace, catchUp: 'skip' });
    expect(late.enqueue).toEqual([]);
    expect(late.missed).toMatchObject({ reason: 'misfire', count: 1 });
    expect(late.nextFireAt).toEqual(d('2026-01-01T13:00:00Z'));
  });

  it('on-time fires are enqueued whatever catchUp says; late ones are coalesced into them under latest', () => {
    const every10s = parseTrigger({ every: '10s' });
    // Slot 12:00:00, now 12:01:05, grace 30 s: 12:00:00..12:00:30 are late, 12:00:40..12:01:00 on time.
    const p = plan(every10s, '2026-01-01T12:00:00Z', '2026-01-01T12:01:05Z', { misfireGraceMs: grace, catchUp: 'latest' });
    expect(times(p)).toEqual(['2026-01-01T12:00:40.000Z', '2026-01-01T12:00:50.000Z', '2026-01-01T12:01:00.000Z']);
    expect(p.enqueue.every((f) => !f.catchUp)).toBe(true);
    expect(p.missed).toMatchObject({ reason: 'coalesced', count: 4, last: d('2026-01-01T12:00:30Z') });
    expect(p.nextFireAt).toEqual(d('2026-01-01T12:01:10Z'));
    const all = plan(every10s, '2026-01-01T12:00:00Z', '2026-01-01T12:01:05Z', { misfireGraceMs: grace, catchUp: 'all' });
    expect(all.enqueue).toHaveLength(7);
    expect(all.enqueue.map((f) => f.catchUp)).toEqual([true, true, true, true, false, false, false]);
  });

  it('nothing due: no change, the slot is kept', () => {
    const p = plan(hourly, '2026-01-01T13:00:00Z', '2026-01-01T12:59:59.999Z');
    expect(p).toEqual({ enqueue: [], missed: null, nextFireAt: d('2026-01-01T13:00:00Z'), changed: false });
    expect(plan(hourly, null, '2026-01-01T12:00:00Z')).toEqual({ enqueue: [], missed: null, nextFireAt: null, changed: false });
  });

  it('a fire due exactly now is enqueued and the next slot is strictly later', () => {
    const p = plan(hourly, '2026-01-01T12:00:00Z', '2026-01-01T12:00:00Z');
    expect(times(p)).toEqual(['2026-01-01T12:00:00.000Z']);
    expect(p.nextFireAt).toEqual(d('2026-01-01T13:00:00Z'));
  });

  it('counts a stored slot even when it is not on the trigger (kept from before a change)', () => {
    const p = plan(hourly, '2026-01-01T10:30:00Z', '2026-01-01T12:10:00Z', { catchUp: 'skip' });
    expect(p.missed).toMatchObject({ count: 3, first: d('2026-01-01T10:30:00Z'), last: d('2026-01-01T12:00:00Z') });
    // Catching up never reaches back before the stored slot.
    const all = plan(hourly, '2026-01-01T10:30:00Z', '2026-01-01T12:10:00Z', { catchUp: 'all' });
    expect(times(all)).toEqual(['2026-01-01T10:30:00.000Z', '2026-01-01T11:00:00.000Z', '2026-01-01T12:00:00.000Z']);
  });
});

describe('planDueFires: bounded work after a long outage', () => {
  it('a per-second cron down for a week: the count stops at PLAN_SCAN_CAP, latest still picks the right fire', () => {
    const perSecond = parseTrigger({ cron: '* * * * * *', timezone: 'Europe/London' });
    const p = plan(perSecond, '2026-01-01T00:00:00Z', '2026-01-08T00:00:00.500Z', { misfireGraceMs: 0, catchUp: 'latest' });
    expect(times(p)).toEqual(['2026-01-08T00:00:00.000Z']);
    expect(p.missed).toMatchObject({ reason: 'coalesced', countExact: false, first: d('2026-01-01T00:00:00Z'), last: d('2026-01-07T23:59:59Z') });
    expect(p.missed!.count).toBeGreaterThanOrEqual(PLAN_SCAN_CAP);
    expect(p.nextFireAt).toEqual(d('2026-01-08T00:00:01Z'));
  });

  it('an every trigger down for a week is counted exactly', () => {
    const p = plan(parseTrigger({ every: '1s' }), '2026-01-01T00:00:00Z', '2026-01-08T00:00:00.500Z', { misfireGraceMs: 0, catchUp: 'skip' });
    expect(p.missed).toMatchObject({ reason: 'misfire', count: 7 * 86_400 + 1, countExact: true });
  });
});

describe('planDueFires: paused, jitter, lookahead', () => {
  it('paused: due fires are recorded as paused and the slot moves on, so resuming replays nothing', () => {
    const p = plan(hourly, '2026-01-01T10:00:00Z', '2026-01-01T12:10:00Z', { paused: true, catchUp: 'all' });
    expect(p.enqueue).toEqual([]);
    expect(p.missed).toEqual({ reason: 'paused', count: 3, countExact: true, first: d('2026-01-01T10:00:00Z'), last: d('2026-01-01T12:00:00Z') });
    expect(p.nextFireAt).toEqual(d('2026-01-01T13:00:00Z'));
  });

  it('jitter delays the run, never the fire identity', () => {
    const p = plan(hourly, '2026-01-01T12:00:00Z', '2026-01-01T12:00:01Z', { jitterMs: 10_000 }, { random: () => 0.5 });
    expect(p.enqueue[0]).toMatchObject({ fireAt: d('2026-01-01T12:00:00Z'), runAt: d('2026-01-01T12:00:06.000Z') });
    const max = plan(hourly, '2026-01-01T12:00:00Z', '2026-01-01T12:00:00Z', { jitterMs: 10_000 }, { random: () => 0.999999 });
    expect(max.enqueue[0]!.runAt).toEqual(d('2026-01-01T12:00:10Z'));
  });

  it('lookahead: a fire just ahead is enqueued to run at its time', () => {
    const secs = parseTrigger({ every: '1s' });
    const p = plan(secs, '2026-01-01T12:00:01Z', '2026-01-01T12:00:00.400Z', {}, { lookaheadMs: 1_000 });
    expect(p.enqueue).toEqual([{ fireAt: d('2026-01-01T12:00:01Z'), runAt: d('2026-01-01T12:00:01Z'), lateMs: 0, catchUp: false }]);
    expect(p.nextFireAt).toEqual(d('2026-01-01T12:00:02Z'));
  });
});

describe('planDueFires over time (the service loop, simulated)', () => {
  it('ticks at irregular intervals within the grace: every fire enqueued exactly once, none missing', () => {
    const trigger = parseTrigger({ cron: '*/7 * * * * *', timezone: 'America/New_York' });
    const policy = resolveSchedulePolicy({ misfireGraceMs: 5_000 });
    const start = Date.parse('2026-03-08T06:55:00Z'); // across New York's spring-forward
    let slot = nextFireTime(trigger, start);
    let now = start;
    const seen: number[] = [];
    let lcg = 7;
    while (now < start + 3_600_000) {
      lcg = (lcg * 1_103_515_245 + 12_345) % 2 ** 31;
      now += 1 + (lcg % 4_900); // ticks 1 ms .. 4.9 s apart
      const p = planDueFires({ trigger, policy, nextFireAt: slot, now: new Date(now) });
      expect(p.missed).toBeNull();
      seen.push(...p.enqueue.map((f) => f.fireAt.getTime()));
      slot = p.nextFireAt;
    }
    const expected: number[] = [];
    for (let t = nextFireTime(trigger, start); t && t.getTime() <= now; t = nextFireTime(trigger, t)) expected.push(t.getTime());
    expect(seen).toEqual(expected);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('London 01:30 ticked every minute across both 2026 changes: one job a day', () => {
    const trigger = parseTrigger({ cron: '30 1 * * *', timezone: 'Europe/London' });
    const policy = resolveSchedulePolicy({});
    for (const [from, to, expected] of [
      ['2026-03-27T12:00:00Z', '2026-03-31T12:00:00Z', ['2026-03-28T01:30:00.000Z', '2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z', '2026-03-31T00:30:00.000Z']],
      ['2026-10-23T12:00:00Z', '2026-10-27T12:00:00Z', ['2026-10-24T00:30:00.000Z', '2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z', '2026-10-27T01:30:00.000Z']],
    ] as const) {
      let slot = nextFireTime(trigger, d(from));
      const seen: string[] = [];
      for (let now = Date.parse(from); now < Date.parse(to); now += 60_000) {
        const p = planDueFires({ trigger, policy, nextFireAt: slot, now: new Date(now) });
        seen.push(...times(p));
        slot = p.nextFireAt;
      }
      expect(seen).toEqual(expected);
    }
  });

  it('a restart between two fires neither skips nor repeats the next one', () => {
    const policy = resolveSchedulePolicy({});
    const first = planDueFires({ trigger: hourly, policy, nextFireAt: d('2026-01-01T10:00:00Z'), now: d('2026-01-01T10:00:00.200Z') });
    expect(times(first)).toEqual(['2026-01-01T10:00:00.000Z']);
    // The store now holds 11:00. A new process starts at 10:30 and reads it back.
    const afterRestart = planDueFires({ trigger: hourly, policy, nextFireAt: first.nextFireAt, now: d('2026-01-01T10:30:00Z') });
    expect(afterRestart.changed).toBe(false);
    const next = planDueFires({ trigger: hourly, policy, nextFireAt: afterRestart.nextFireAt, now: d('2026-01-01T11:00:00.300Z') });
    expect(times(next)).toEqual(['2026-01-01T11:00:00.000Z']);
  });
});

describe('planInitialSlot', () => {
  const policy = resolveSchedulePolicy({ misfireGraceMs: 60_000 });
  const now = d('2026-01-01T12:00:00Z');

  it('cron and every start strictly after now (no backfill from before the schedule existed)', () => {
    expect(planInitialSlot({ trigger: hourly, policy, now })).toEqual({ nextFireAt: d('2026-01-01T13:00:00Z'), missed: null });
    expect(planInitialSlot({ trigger: parseTrigger({ every: '15m' }), policy, now }).nextFireAt).toEqual(d('2026-01-01T12:15:00Z'));
  });

  it('at in the future or within the grace: stored, then fired once', () => {
    expect(planInitialSlot({ trigger: parseTrigger({ at: '2026-01-02T00:00:00Z' }), policy, now }).nextFireAt).toEqual(d('2026-01-02T00:00:00Z'));
    const justPast = parseTrigger({ at: '2026-01-01T11:59:30Z' });
    const slot = planInitialSlot({ trigger: justPast, policy, now });
    expect(slot).toEqual({ nextFireAt: d('2026-01-01T11:59:30Z'), missed: null });
    const p = planDueFires({ trigger: justPast, policy, nextFireAt: slot.nextFireAt, now });
    expect(times(p)).toEqual(['2026-01-01T11:59:30.000Z']);
    expect(p.nextFireAt).toBeNull();
  });

  it('at further in the past: recorded as a misfire, nothing stored to fire', () => {
    const t = parseTrigger({ at: '2026-01-01T11:00:00Z' });
    expect(planInitialSlot({ trigger: t, policy, now })).toEqual({
      nextFireAt: null,
      missed: { reason: 'misfire', count: 1, countExact: true, first: d('2026-01-01T11:00:00Z'), last: d('2026-01-01T11:00:00Z') },
    });
  });

  it('a stored at whose time passed while the scheduler was down follows catchUp', () => {
    const t = parseTrigger({ at: '2026-01-01T11:00:00Z' });
    const slot = d('2026-01-01T11:00:00Z');
    const latest = planDueFires({ trigger: t, policy, nextFireAt: slot, now });
    expect(latest.enqueue).toHaveLength(1);
    expect(latest.enqueue[0]!.catchUp).toBe(true);
    const skip = planDueFires({ trigger: t, policy: { ...policy, catchUp: 'skip' }, nextFireAt: slot, now });
    expect(skip.enqueue).toEqual([]);
    expect(skip.missed).toMatchObject({ reason: 'misfire', count: 1 });
    expect(skip.nextFireAt).toBeNull();
  });
});

describe('limitByMaxRunning', () => {
  const fires = plan(hourly, '2026-01-01T10:00:00Z', '2026-01-01T12:10:00Z', { catchUp: 'all' }).enqueue;

  it('with maxRunning 1 and a job still running, later fires are skipped, not queued up', () => {
    const r = limitByMaxRunning(fires, 1, 1);
    expect(r.enqueue).toEqual([]);
    expect(r.skipped).toHaveLength(3);
    expect(summarizeSkipped(r.skipped)).toEqual({ reason: 'max-running', count: 3, countExact: true, first: d('2026-01-01T10:00:00Z'), last: d('2026-01-01T12:00:00Z') });
  });

  it('keeps the most recent fires that fit, and everything without a limit', () => {
    const r = limitByMaxRunning(fires, 0, 1);
    expect(r.enqueue.map((f) => f.fireAt.toISOString())).toEqual(['2026-01-01T12:00:00.000Z']);
    expect(r.skipped).toHaveLength(2);
    expect(limitByMaxRunning(fires, 50, null)).toEqual({ enqueue: fires, skipped: [] });
    expect(summarizeSkipped([])).toBeNull();
  });
});

describe('fireKey', () => {
  it('is the (schedule, fire time in ms) identity', () => {
    expect(fireKey('nightly', d('2026-01-01T21:00:00Z'))).toBe(`nightly@${Date.parse('2026-01-01T21:00:00Z')}`);
    expect(fireKey('a:b', 5)).not.toBe(fireKey('a', 5));
  });
});
