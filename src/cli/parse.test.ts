import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { parseInterval } from '../core/schedule-trigger.js';
import { parseDuration, parseInstant, parseIsoDate, parseList, parsePort, parseStates } from './parse.js';

describe('flag parsers', () => {
  it('durations: plain ms and unit sums', () => {
    expect(parseDuration('1500')).toBe(1_500);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('10s')).toBe(10_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('1.5s')).toBe(1_500);
    expect(parseDuration('2d')).toBe(172_800_000);
    for (const bad of ['', 'soon', '10x', '5m and', '-5s']) expect(() => parseDuration(bad)).toThrow(InvalidArgumentError);
  });

  // issue 12: --delay refused 1w and 1d 12h but took 30m1h, schedule `every` the reverse; now one grammar (core/duration.ts)
  it.each([
    ['1w', 604_800_000],
    ['1d 12h', 129_600_000],
    ['1.5h', 5_400_000],
    ['2w 3d', 1_468_800_000],
  ])('durations: %j is accepted as schedule every accepts it (%d ms)', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
    expect(parseInterval(text)).toBe(ms);
  });

  it.each([['30m1h'], ['1m1m'], ['0.5ms'], ['1H'], ['15 minutes']])('durations: %j is refused, as schedule every refuses it', (text) => {
    expect(() => parseDuration(text)).toThrow(InvalidArgumentError);
    expect(() => parseInterval(text)).toThrow(expect.objectContaining({ code: 'INVALID_TRIGGER' }));
  });

  it('states, lists, ports', () => {
    expect(parseStates('failed, cancelled')).toEqual(['failed', 'cancelled']);
    expect(() => parseStates('done')).toThrow(/unknown state "done"/);
    expect(parseList('a,b,,c')).toEqual(['a', 'b', 'c']);
    expect(() => parseList(',')).toThrow(InvalidArgumentError);
    expect(parsePort('0')).toBe(0);
    expect(() => parsePort('70000')).toThrow(InvalidArgumentError);
  });

  it('instants: ISO with a zone, or an age', () => {
    expect(parseInstant('2026-03-08T14:00:00Z').toISOString()).toBe('2026-03-08T14:00:00.000Z');
    expect(parseInstant('2026-03-08T14:00:00+01:00').toISOString()).toBe('2026-03-08T13:00:00.000Z');
    expect(parseInstant('15m', () => 1_000_000_000).getTime()).toBe(1_000_000_000 - 900_000);
    expect(parseInstant('1d 12h', () => 1_000_000_000_000).getTime()).toBe(1_000_000_000_000 - 129_600_000);
    expect(() => parseInstant('30m1h')).toThrow(InvalidArgumentError);
    expect(() => parseInstant('2026-03-08T14:00:00')).toThrow(/with a zone/);
    expect(() => parseIsoDate('15m')).toThrow(InvalidArgumentError);
    expect(parseIsoDate('2030-01-01T00:00:00Z').getUTCFullYear()).toBe(2030);
  });
});
