import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
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
    expect(() => parseInstant('2026-03-08T14:00:00')).toThrow(/with a zone/);
    expect(() => parseIsoDate('15m')).toThrow(InvalidArgumentError);
    expect(parseIsoDate('2030-01-01T00:00:00Z').getUTCFullYear()).toBe(2030);
  });
});
