/**
 * Parsers for flag values. Each throws commander's InvalidArgumentError, so a
 * bad value is reported like any other usage error (exit 2) with the flag named.
 */
import { InvalidArgumentError } from 'commander';
import { JOB_STATES, type JobState } from '../core/job.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `1500` (ms), `500ms`, `10s`, `5m`, `1h30m`, `2d`. */
export function parseDuration(value: string): number {
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(v); m; m = re.exec(v)) {
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    matched = re.lastIndex;
  }
  if (v === '' || matched !== v.length) throw new InvalidArgumentError(`not a duration: "${value}" (use ms, or e.g. 500ms, 10s, 5m, 1h30m, 2d)`);
  return Math.round(total);
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
  if (/^\d+(\.\d+)?(ms|s|m|h|d)/.test(v)) return new Date(now() - parseDuration(v));
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
