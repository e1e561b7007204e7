import { describe, expect, it } from 'vitest';
import { ValidationError } from './errors.js';
import { describeTrigger, formatInterval, parseInterval, parseTimezone, parseTrigger, triggerKey } from './schedule-trigger.js';

function codeOf(fn: () => unknown): { code: string; field: string } {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return { code: (e as ValidationError).code, field: (e as ValidationError).field };
  }
  throw new Error('expected a ValidationError');
}

describe('parseTrigger: cron', () => {
  it('reads a bare string as a cron expression in UTC, whitespace normalised', () => {
    expect(parseTrigger('  30   2 * * *  ')).toEqual({ kind: 'cron', expression: '30 2 * * *', timezone: 'UTC' });
  });

  it('accepts 6 fields (seconds) and canonicalises the zone spelling', () => {
    expect(parseTrigger({ cron: '*/10 * * * * *', timezone: 'america/new_york' })).toEqual({
      kind: 'cron',
      expression: '*/10 * * * * *',
      timezone: 'America/New_York',
    });
  });

  it('accepts nicknames croner knows', () => {
    expect(parseTrigger({ cron: '@daily', timezone: 'Asia/Kolkata' })).toMatchObject({ kind: 'cron', expression: '@daily' });
  });

  it.each([
    ['61 * * * *'],
    ['* * * *'],
    ['0 0 * * * * *'],
    ['x'],
    ['*/0 * * * *'],
    ['0 25 * * *'],
  ])('rejects %j with INVALID_CRON', (expr) => {
    expect(codeOf(() => parseTrigger({ cron: expr }))).toEqual({ code: 'INVALID_CRON', field: 'trigger.cron' });
  });

  it('rejects an empty or non-string expression, and one that can never fire', () => {
    expect(codeOf(() => parseTrigger('')).code).toBe('INVALID_CRON');
    expect(codeOf(() => parseTrigger({ cron: 5 })).code).toBe('INVALID_CRON');
    expect(codeOf(() => parseTrigger({ cron: '0 0 30 2 *' }))).toEqual({ code: 'INVALID_CRON', field: 'trigger.cron' });
  });

  it('rejects an unknown time zone with INVALID_TIMEZONE', () => {
    expect(codeOf(() => parseTrigger({ cron: '* * * * *', timezone: 'Mars/Olympus_Mons' }))).toEqual({
      code: 'INVALID_TIMEZONE',
      field: 'trigger.timezone',
    });
    expect(codeOf(() => parseTimezone('')).code).toBe('INVALID_TIMEZONE');
    expect(codeOf(() => parseTimezone('Europe/London ')).code).toBe('INVALID_TIMEZONE');
    expect(codeOf(() => parseTimezone(1)).code).toBe('INVALID_TIMEZONE');
  });

  it('keeps a zone alias as written (ICU versions disagree on which name is canonical)', () => {
    expect(parseTimezone('Asia/Kolkata')).toBe('Asia/Kolkata');
    expect(parseTimezone('Asia/Calcutta')).toBe('Asia/Calcutta');
    expect(parseTimezone('utc')).toBe('UTC');
  });

  it('names the field it was given', () => {
    expect(codeOf(() => parseTrigger({ cron: 'nope' }, 'schedules.nightly.trigger')).field).toBe('schedules.nightly.trigger.cron');
  });
});

describe('parseInterval', () => {
  it.each([
    ['15m', 900_000],
    ['1h30m', 5_400_000],
    ['10s', 10_000],
    ['1d 12h', 129_600_000],
    ['1w', 604_800_000],
    ['1s500ms', 1_500],
    // one grammar with the CLI (core/duration.ts): decimals, bare milliseconds
    ['1.5h', 5_400_000],
    ['60000', 60_000],
    [60_000, 60_000],
  ])('%j -> %d ms', (input, ms) => {
    expect(parseInterval(input)).toBe(ms);
  });

  it.each([[-5], [0], [999], [1.5], [Number.NaN], ['abc'], [''], ['0s'], ['-1m'], ['30m1h'], ['1m1m'], ['15 minutes'], ['15'], ['0.5s'], ['1.0001s'], [null], [{}]])(
    'rejects %j with INVALID_TRIGGER',
    (input) => {
      expect(codeOf(() => parseInterval(input, 'trigger.every'))).toEqual({ code: 'INVALID_TRIGGER', field: 'trigger.every' });
    },
  );

  it('formats back', () => {
    expect(formatInterval(5_400_000)).toBe('1h30m');
    expect(formatInterval(1_500)).toBe('1s500ms');
    for (const s of ['15m', '1h30m', '1d12h', '2w3d']) expect(formatInterval(parseInterval(s))).toBe(s);
  });
});

describe('parseTrigger: every and at', () => {
  it('anchors `every` at the Unix epoch unless told otherwise', () => {
    expect(parseTrigger({ every: '15m' })).toEqual({ kind: 'every', intervalMs: 900_000, anchorMs: 0 });
    expect(parseTrigger({ every: 3_600_000, anchor: new Date('2026-05-01T09:07:00Z') })).toEqual({
      kind: 'every',
      intervalMs: 3_600_000,
      anchorMs: Date.parse('2026-05-01T09:07:00Z'),
    });
    expect(parseTrigger({ every: '1h', anchor: '2026-05-01T09:07:00+05:30' })).toMatchObject({ anchorMs: Date.parse('2026-05-01T03:37:00Z') });
  });

  it('rejects a negative or zero interval, and ambiguous or invalid dates', () => {
    expect(codeOf(() => parseTrigger({ every: -1000 }))).toEqual({ code: 'INVALID_TRIGGER', field: 'trigger.every' });
    expect(codeOf(() => parseTrigger({ every: 0 })).code).toBe('INVALID_TRIGGER');
    expect(codeOf(() => parseTrigger({ every: '1h', anchor: '2026-05-01T09:00' }))).toEqual({ code: 'INVALID_TRIGGER', field: 'trigger.anchor' });
    expect(codeOf(() => parseTrigger({ at: new Date('nope') }))).toEqual({ code: 'INVALID_TRIGGER', field: 'trigger.at' });
    expect(codeOf(() => parseTrigger({ at: 'tomorrow' })).code).toBe('INVALID_TRIGGER');
  });

  it('accepts `at` in the past (planInitialSlot decides what happens to it)', () => {
    expect(parseTrigger({ at: new Date('2000-01-01T00:00:00Z') })).toEqual({ kind: 'at', atMs: Date.parse('2000-01-01T00:00:00Z') });
  });

  it('rejects no kind, two kinds, unknown options and non-objects', () => {
    expect(codeOf(() => parseTrigger({})).code).toBe('INVALID_TRIGGER');
    expect(codeOf(() => parseTrigger({ cron: '* * * * *', every: '1m' })).code).toBe('INVALID_TRIGGER');
    expect(codeOf(() => parseTrigger({ every: '1m', timezone: 'UTC' }))).toEqual({ code: 'INVALID_TRIGGER', field: 'trigger.timezone' });
    expect(codeOf(() => parseTrigger(null)).code).toBe('INVALID_TRIGGER');
    expect(codeOf(() => parseTrigger([])).code).toBe('INVALID_TRIGGER');
    expect(codeOf(() => parseTrigger({ kind: 'weekly' }))).toEqual({ code: 'INVALID_TRIGGER', field: 'trigger.kind' });
  });

  it('parses its own normalised form (as read back from a store, through JSON) to itself', () => {
    for (const input of ['0 * * * *', { cron: '30 2 * * *', timezone: 'Asia/Kolkata' }, { every: '1h30m', anchor: 1_000 }, { at: new Date('2026-05-01T00:00:00Z') }]) {
      const t = parseTrigger(input);
      expect(parseTrigger(JSON.parse(JSON.stringify(t)))).toEqual(t);
    }
    expect(codeOf(() => parseTrigger({ kind: 'cron', expression: 'bad' }))).toEqual({ code: 'INVALID_CRON', field: 'trigger.expression' });
  });
});

describe('triggerKey', () => {
  it('is equal for spellings of the same trigger', () => {
    expect(triggerKey(parseTrigger({ cron: '30 2  * * *', timezone: 'america/new_york' }))).toBe(
      triggerKey(parseTrigger({ cron: '30 2 * * *', timezone: 'America/New_York' })),
    );
    expect(triggerKey(parseTrigger({ every: '1h30m' }))).toBe(triggerKey(parseTrigger({ every: 5_400_000 })));
    expect(triggerKey(parseTrigger('0 * * * *'))).toBe(triggerKey(parseTrigger({ cron: '0 * * * *', timezone: 'UTC' })));
  });

  it('changes when anything that moves fire times changes', () => {
    const keys = [
      parseTrigger({ cron: '30 2 * * *', timezone: 'Asia/Kolkata' }),
      parseTrigger({ cron: '30 2 * * *', timezone: 'Europe/London' }),
      parseTrigger({ cron: '31 2 * * *', timezone: 'Asia/Kolkata' }),
      parseTrigger({ every: '1h' }),
      parseTrigger({ every: '1h', anchor: 60_000 }),
      parseTrigger({ every: '2h' }),
      parseTrigger({ at: 60_000 }),
      parseTrigger({ at: 120_000 }),
    ].map(triggerKey);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('describeTrigger', () => {
  it('says what the trigger does', () => {
    expect(describeTrigger(parseTrigger({ cron: '30 2 * * *', timezone: 'Asia/Kolkata' }))).toBe('cron 30 2 * * * (Asia/Kolkata)');
    expect(describeTrigger(parseTrigger({ every: '15m' }))).toBe('every 15m');
    expect(describeTrigger(parseTrigger({ at: '2026-05-01T09:00:00Z' }))).toBe('at 2026-05-01T09:00:00.000Z');
  });
});
