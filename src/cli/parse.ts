/**
 * Parsers for flag values. Each throws commander's InvalidArgumentError, so a
 * bad value is reported like any other usage error (exit 2) with the flag named.
 */
import { InvalidArgumentError } from 'commander';
import { readDuration } from '../core/duration.js';
import { JOB_STATES, type JobState } from '../core/job.js';

/**
 * A duration flag in docket's one grammar (core/duration.ts, the same as
 * schedule `every`): `1500` (ms), `500ms`, `10s`, `1.5h`, `1h30m`, `1d 12h`, `2w`.
 */
export function parseDuration(value: string): number {
  const read = readDuration(value);
  if ('problem' in read) throw new InvalidArgumentError(`"${value}" ${read.problem}`);
  return read.ms;
}

export function parseInteger(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`not an integer: "${value}"`);
  return n;
}

export function parsePositiveInteger(value: string): number {
  const n = parseInteger(value);
  if (n <= 0) throw new InvalidArgumentError(`must be a positive integer (got ${value})`);
  return n;
}

/** An integer in [min, max]; the message gives the range (commander adds the flag's name). */
export function parseIntegerIn(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = parseInteger(value);
    if (n < min || n > max) throw new InvalidArgumentError(`must be an integer from ${min.toLocaleString('en-US')} to ${max.toLocaleString('en-US')} (got ${value})`);
    return n;
  };
}

export function parsePort(value: string): number {
  const n = parseInteger(value);
  if (n < 0 || n > 65_535) throw new InvalidArgumentError(`not a port (0-65535): ${value}`);
  return n;
}

/** `failed` or `failed,cancelled`. */
export function parseStates(value: string): JobState[] {
  const states = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const s of states) {
    if (!(JOB_STATES as readonly string[]).includes(s)) throw new InvalidArgumentError(`unknown state "${s}" (use ${JOB_STATES.join(', ')})`);
  }
  if (states.length === 0) throw new InvalidArgumentError('give at least one state');
  return states as JobState[];
}

/** `a,b,c` -> ['a','b','c']. */
export function parseList(value: string): string[] {
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0) throw new InvalidArgumentError('give at least one name');
  return items;
}

/**
 * An instant: ISO 8601 with a zone (`2026-03-08T14:00:00Z`) or a duration
 * meaning "that long ago" (`15m`, `2h`) relative to `now`.
 */
export function parseInstant(value: string, now: () => number = Date.now): Date {
  const v = value.trim();
  // an age has a unit (a bare number would be ambiguous); anything else must be an ISO instant
  const age = /[a-z]$/.test(v) ? readDuration(v) : null;
  if (age && 'ms' in age) return new Date(now() - age.ms);
  if (!/(Z|[+-]\d\d:?\d\d)$/i.test(v)) throw new InvalidArgumentError(`"${value}": give an ISO time with a zone (2026-03-08T14:00:00Z) or an age such as 15m, 2h`);
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) throw new InvalidArgumentError(`not a date: "${value}"`);
  return d;
}

/** An ISO 8601 instant with a zone (a bare local time is ambiguous and refused). */
export function parseIsoDate(value: string): Date {
  const v = value.trim();
  if (!/^\d{4}-\d\d-\d\d/.test(v) || !/(Z|[+-]\d\d:?\d\d)$/i.test(v)) throw new InvalidArgumentError(`"${value}": give an ISO time with a zone, e.g. 2026-03-08T14:00:00Z`);
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) throw new InvalidArgumentError(`not a date: "${value}"`);
  return d;
}

export function parseChoice<T extends string>(choices: readonly T[]): (value: string) => T {
  return (value) => {
    if (!(choices as readonly string[]).includes(value)) throw new InvalidArgumentError(`use one of ${choices.join(', ')} (got ${value})`);
    return value as T;
  };
}
