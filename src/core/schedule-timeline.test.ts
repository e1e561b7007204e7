import { describe, expect, it } from 'vitest';
import { nextFireTime, nextFireTimes, previousFireTimes } from './schedule-timeline.js';
import { parseTrigger } from './schedule-trigger.js';

/** Wall-clock time of an instant in a zone, `YYYY-MM-DD HH:mm:ss`. */
function local(d: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(d);
  const p = Object.fromEntries(parts.map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
}

/** Fires in [from, to). */
function firesBetween(trigger: ReturnType<typeof parseTrigger>, from: string, to: string): Date[] {
  const end = Date.parse(to);
  const out: Date[] = [];
  for (let d = nextFireTime(trigger, Date.parse(from) - 1); d && d.getTime() < end; d = nextFireTime(trigger, d)) out.push(d);
  return out;
}

const iso = (ds: Date[]): string[] => ds.map((d) => d.toISOString());

describe('cron across DST, 2026 (cron convention)', () => {
  const ny = parseTrigger({ cron: '30 2 * * *', timezone: 'America/New_York' });
  const london = parseTrigger({ cron: '30 1 * * *', timezone: 'Europe/London' });

  it('New York 02:30, spring forward (Mar 8): once, right after the jump at 03:00 EDT', () => {
    const fires = firesBetween(ny, '2026-03-06T05:00:00Z', '2026-03-11T04:00:00Z');
    expect(fires.map((d) => local(d, 'America/New_York'))).toEqual([
      '2026-03-06 02:30:00',
      '2026-03-07 02:30:00',
      '2026-03-08 03:00:00',
      '2026-03-09 02:30:00',
      '2026-03-10 02:30:00',
    ]);
    expect(iso(fires)[2]).toBe('2026-03-08T07:00:00.000Z');
  });

  it('New York 02:30, fall back (Nov 1): once a day', () => {
    const fires = firesBetween(ny, '2026-10-30T04:00:00Z', '2026-11-04T05:00:00Z');
    expect(fires.map((d) => local(d, 'America/New_York'))).toEqual([
      '2026-10-30 02:30:00',
      '2026-10-31 02:30:00',
      '2026-11-01 02:30:00',
      '2026-11-02 02:30:00',
      '2026-11-03 02:30:00',
    ]);
  });

  it('New York 01:30 (inside the repeated hour on Nov 1): once, on its first occurrence', () => {
    const t = parseTrigger({ cron: '30 1 * * *', timezone: 'America/New_York' });
    const fires = firesBetween(t, '2026-10-31T04:00:00Z', '2026-11-03T05:00:00Z');
    expect(iso(fires)).toEqual(['2026-10-31T05:30:00.000Z', '2026-11-01T05:30:00.000Z', '2026-11-02T06:30:00.000Z']);
  });

  it('London 01:30, spring forward (Mar 29): once, right after the jump at 02:00 BST', () => {
    const fires = firesBetween(london, '2026-03-27T00:00:00Z', '2026-03-31T00:00:00Z');
    expect(fires.map((d) => local(d, 'Europe/London'))).toEqual([
      '2026-03-27 01:30:00',
      '2026-03-28 01:30:00',
      '2026-03-29 02:00:00',
      '2026-03-30 01:30:00',
    ]);
    expect(iso(fires)[2]).toBe('2026-03-29T01:00:00.000Z');
  });

  it('London 01:30, fall back (Oct 25): once, not twice', () => {
    const fires = firesBetween(london, '2026-10-23T00:00:00Z', '2026-10-27T00:00:00Z');
    expect(iso(fires)).toEqual([
      '2026-10-23T00:30:00.000Z',
      '2026-10-24T00:30:00.000Z',
      '2026-10-25T00:30:00.000Z', // 01:30 BST; 01:30 GMT an hour later does not fire
      '2026-10-26T01:30:00.000Z',
    ]);
  });

  it('a list of fixed times is fixed-time too (Vixie rule): 02:30 still runs on the spring day', () => {
    const t = parseTrigger({ cron: '30 2,14 * * *', timezone: 'America/New_York' });
    expect(iso(nextFireTimes(t, new Date('2026-03-08T05:00:00Z'), 3))).toEqual([
      '2026-03-08T07:00:00.000Z',
      '2026-03-08T18:30:00.000Z',
      '2026-03-09T06:30:00.000Z',
    ]);
  });

  describe('0 * * * * follows real time', () => {
    const hourly = (tz: string) => parseTrigger({ cron: '0 * * * *', timezone: tz });
    const cases = [
      // zone, local day before, change day, day after (as UTC instants of local midnight)
      ['America/New_York', 'spring', ['2026-03-07T05:00:00Z', '2026-03-08T05:00:00Z', '2026-03-09T04:00:00Z', '2026-03-10T04:00:00Z'], 23],
      ['America/New_York', 'autumn', ['2026-10-31T04:00:00Z', '2026-11-01T04:00:00Z', '2026-11-02T05:00:00Z', '2026-11-03T05:00:00Z'], 25],
      ['Europe/London', 'spring', ['2026-03-28T00:00:00Z', '2026-03-29T00:00:00Z', '2026-03-29T23:00:00Z', '2026-03-30T23:00:00Z'], 23],
      ['Europe/London', 'autumn', ['2026-10-23T23:00:00Z', '2026-10-24T23:00:00Z', '2026-10-26T00:00:00Z', '2026-10-27T00:00:00Z'], 25],
    ] as const;

    it.each(cases.map(([tz, season, days, n]) => [tz, season, n, days] as const))('%s %s: 24 fires the local day before, %i on the change day, 24 the day after', (tz, _season, onChangeDay, [d0, d1, d2, d3]) => {
      const t = hourly(tz);
      expect(firesBetween(t, d0, d1)).toHaveLength(24);
      const changeDay = firesBetween(t, d1, d2);
      expect(changeDay).toHaveLength(onChangeDay);
      expect(firesBetween(t, d2, d3)).toHaveLength(24);
      // Exactly one hour of real time between consecutive fires, across the change.
      const all = firesBetween(t, d0, d3).map((d) => d.getTime());
      expect(all.slice(1).map((x, i) => x - all[i]!)).toEqual(Array(all.length - 1).fill(3_600_000));
      // Every fire is on the hour in local time; the local hours of the change day show the gap or the repeat.
      const hours = changeDay.map((d) => local(d, tz).slice(11));
      expect(hours.every((h) => h.endsWith(':00:00'))).toBe(true);
      const skipped = tz === 'Europe/London' ? '01' : '02';
      const repeated = '01';
      if (onChangeDay === 23) expect(hours.map((h) => h.slice(0, 2))).not.toContain(skipped);
      else expect(hours.filter((h) => h.startsWith(repeated))).toHaveLength(2);
    });
  });

  it('Asia/Kolkata (no DST): 30 2 * * * fires at 21:00 UTC the previous day', () => {
    const t = parseTrigger({ cron: '30 2 * * *', timezone: 'Asia/Kolkata' });
    expect(iso(nextFireTimes(t, new Date('2026-03-07T12:00:00Z'), 3))).toEqual([
      '2026-03-07T21:00:00.000Z',
      '2026-03-08T21:00:00.000Z',
      '2026-03-09T21:00:00.000Z',
    ]);
  });

  it('Lord Howe (30-minute DST shift): fixed times still fire once a day', () => {
    const t = parseTrigger({ cron: '45 1 * * *', timezone: 'Australia/Lord_Howe' });
    const fires = firesBetween(t, '2026-04-03T13:00:00Z', '2026-04-07T13:00:00Z');
    expect(fires.map((d) => local(d, 'Australia/Lord_Howe').slice(0, 10))).toEqual(['2026-04-04', '2026-04-05', '2026-04-06', '2026-04-07']);
  });
});

describe('nextFireTime(s)', () => {
  it('is strictly after `after`, at millisecond precision', () => {
    const t = parseTrigger('0 * * * *');
    expect(nextFireTime(t, new Date('2026-01-01T10:00:00.000Z'))?.toISOString()).toBe('2026-01-01T11:00:00.000Z');
    expect(nextFireTime(t, new Date('2026-01-01T09:59:59.999Z'))?.toISOString()).toBe('2026-01-01T10:00:00.000Z');
    const secs = parseTrigger('*/20 * * * * *');
    expect(iso(nextFireTimes(secs, new Date('2026-01-01T10:00:00.500Z'), 3))).toEqual([
      '2026-01-01T10:00:20.000Z',
      '2026-01-01T10:00:40.000Z',
      '2026-01-01T10:01:00.000Z',
    ]);
  });

  it('every: aligned to the epoch by default, to the anchor when given, never before the anchor', () => {
    const epoch = parseTrigger({ every: '15m' });
    expect(iso(nextFireTimes(epoch, new Date('2026-01-01T10:07:00Z'), 2))).toEqual(['2026-01-01T10:15:00.000Z', '2026-01-01T10:30:00.000Z']);
    expect(nextFireTime(epoch, new Date('2026-01-01T10:15:00Z'))?.toISOString()).toBe('2026-01-01T10:30:00.000Z');
    const anchored = parseTrigger({ every: '1h30m', anchor: '2026-01-01T10:07:30Z' });
    expect(iso(nextFireTimes(anchored, new Date('2026-01-01T12:00:00Z'), 2))).toEqual(['2026-01-01T13:07:30.000Z', '2026-01-01T14:37:30.000Z']);
    expect(nextFireTime(anchored, new Date('2025-06-01T00:00:00Z'))?.toISOString()).toBe('2026-01-01T10:07:30.000Z');
    expect(nextFireTime(anchored, new Date('2026-01-01T10:07:29.999Z'))?.toISOString()).toBe('2026-01-01T10:07:30.000Z');
  });

  it('at: one fire, then none', () => {
    const t = parseTrigger({ at: '2026-05-01T09:00:00Z' });
    expect(iso(nextFireTimes(t, new Date('2026-01-01T00:00:00Z'), 5))).toEqual(['2026-05-01T09:00:00.000Z']);
    expect(nextFireTime(t, new Date('2026-05-01T09:00:00Z'))).toBeNull();
  });
});

describe('previousFireTimes agrees with nextFireTimes (planDueFires uses both)', () => {
  const windows = [
    ['2026-03-06T00:00:00Z', '2026-03-11T00:00:00Z'],
    ['2026-03-27T00:00:00Z', '2026-03-31T00:00:00Z'],
    ['2026-10-23T00:00:00Z', '2026-10-27T00:00:00Z'],
    ['2026-10-30T00:00:00Z', '2026-11-03T00:00:00Z'],
  ] as const;
  const triggers = [
    ...['America/New_York', 'Europe/London', 'Asia/Kolkata', 'Australia/Lord_Howe', 'UTC'].flatMap((timezone) =>
      ['30 2 * * *', '30 1 * * *', '0 * * * *', '*/20 1-3 * * *', '0 30 1,2 * * *', '15 0-3 * * *'].map((cron) => parseTrigger({ cron, timezone })),
    ),
    parseTrigger({ every: '7m', anchor: '2026-01-01T00:03:00Z' }),
  ];

  it.each(windows)('from %s to %s', (from, to) => {
    for (const t of triggers) {
      const forward = firesBetween(t, from, to).map((d) => d.getTime());
      const backward = previousFireTimes(t, Date.parse(to), forward.length + 5)
        .map((d) => d.getTime())
        .filter((x) => x >= Date.parse(from))
        .reverse();
      expect({ t, times: backward }).toEqual({ t, times: forward });
    }
  });
});
