import { describe, expect, it } from 'vitest';
import { durationText, readDuration } from './duration.js';

/**
 * The one duration grammar (issue 12: the CLI's --delay refused `1w` and
 * `1d 12h` but took `30m1h` and `1.5h`; schedule `every` the reverse).
 * Every string duration in docket goes through readDuration: schedule
 * `every` (library and config) and every CLI flag.
 */
describe('readDuration: accepted', () => {
  it.each([
    ['1500', 1_500],
    ['0', 0],
    ['500ms', 500],
    ['10s', 10_000],
    ['1.5s', 1_500],
    ['0.25s', 250],
    ['15m', 900_000],
    ['1.5h', 5_400_000],
    ['1h30m', 5_400_000],
    ['1h 30m', 5_400_000],
    ['1d 12h', 129_600_000],
    ['1d12h', 129_600_000],
    ['2d', 172_800_000],
    ['1w', 604_800_000],
    ['2w 3d 4h 5m 6s 7ms', 2 * 604_800_000 + 3 * 86_400_000 + 4 * 3_600_000 + 5 * 60_000 + 6_000 + 7],
    ['1s500ms', 1_500],
    ['  5m  ', 300_000],
    ['1 h', 3_600_000],
    ['0s', 0],
    ['1.1s', 1_100],
    ['0.001s', 1],
  ])('%j -> %d ms', (text, ms) => {
    expect(readDuration(text)).toEqual({ ms });
  });
});

describe('readDuration: refused', () => {
  it.each([
    ['', 'empty'],
    ['   ', 'empty'],
    ['soon', 'not a duration'],
    ['15 minutes', 'not a duration'],
    ['10x', 'not a duration'],
    ['5m and', 'not a duration'],
    ['-5s', 'not a duration'],
    ['+5s', 'not a duration'],
    ['1h30', 'not a duration'],
    ['1.5', 'not a duration'],
    ['.5h', 'not a duration'],
    ['1.h', 'not a duration'],
    ['1H', 'not a duration'],
    ['1M', 'not a duration'],
    ['1y', 'not a duration'],
    ['30m1h', 'largest first'],
    ['1m1m', 'largest first'],
    ['1s 1h', 'largest first'],
    ['0.5ms', 'whole number of milliseconds'],
    ['1.0001s', 'whole number of milliseconds'],
    ['99999999999999999999w', 'too long'],
    ['1e3', 'not a duration'],
    ['1_000', 'not a duration'],
  ])('%j (%s)', (text, why) => {
    const r = readDuration(text);
    expect('problem' in r, JSON.stringify(r)).toBe(true);
    expect((r as { problem: string }).problem).toContain(why);
  });
});

describe('durationText', () => {
  it('writes the canonical form, which reads back', () => {
    expect(durationText(5_400_000)).toBe('1h30m');
    expect(durationText(1_500)).toBe('1s500ms');
    expect(durationText(0)).toBe('0ms');
    for (const s of ['15m', '1h30m', '1d12h', '2w3d', '1w1d1h1m1s1ms']) expect(durationText((readDuration(s) as { ms: number }).ms)).toBe(s);
  });
});
