import { Cron } from 'croner';
import { durationText, readDuration } from './duration.js';
import { ValidationError } from './errors.js';
import { describe } from './validate.js';

/**
 * A schedule's trigger, normalised: plain JSON (times as epoch ms), so a
 * store can persist it and any process can rebuild the same timeline.
 *
 * - `cron`: a 5- or 6-field expression (6 = leading seconds field) read in an
 *   IANA `timezone`; DST follows the cron convention (see schedule-timeline.ts).
 * - `every`: fires at `anchorMs + k * intervalMs` for k >= 0. Without an
 *   anchor the Unix epoch is the anchor, so `every: '15m'` fires at :00, :15,
 *   :30, :45 UTC in every process and after every restart (BullMQ does the same).
 * - `at`: exactly one fire.
 */
export type Trigger = CronTrigger | EveryTrigger | AtTrigger;

export interface CronTrigger {
  kind: 'cron';
  /** Whitespace-normalised expression as given (nicknames like `@daily` kept). */
  expression: string;
  /** IANA zone name as given (case fixed where Intl knows that name; see parseTimezone). */
  timezone: string;
}

export interface EveryTrigger {
  kind: 'every';
  intervalMs: number;
  /** The first fire; later fires are anchorMs + k * intervalMs. */
  anchorMs: number;
}

export interface AtTrigger {
  kind: 'at';
  atMs: number;
}

/** A date the caller may give: a Date, epoch ms, or an ISO 8601 string with `Z` or an offset. */
export type DateInput = Date | number | string;

/**
 * What users write. A bare string is a cron expression in UTC. The
 * normalised `Trigger` shape (with `kind`) is accepted too, so a trigger read
 * back from a store parses to itself.
 */
export type TriggerInput =
  | string
  | { cron: string; timezone?: string }
  | { every: number | string; anchor?: DateInput }
  | { at: DateInput }
  | Trigger;

export const DEFAULT_TIMEZONE = 'UTC';
/** Shortest `every` interval. Cron's resolution is a second; sub-second schedules belong in a loop, not a durable store. */
export const MIN_INTERVAL_MS = 1_000;
/** Latest instant a JS Date can hold. */
export const MAX_DATE_MS = 8.64e15;

/**
 * Options every croner instance of docket uses. `no-wildcard` is Vixie cron's
 * rule for what counts as a fixed-time job: an expression whose second, minute
 * and hour fields have no `*` and no step (`30 2 * * *`, `30 2,14 * * *`,
 * `0 1-3 * * *`). Fixed-time fires in a DST gap run right after the jump and
 * run once in a repeated hour; all other expressions follow real time.
 * croner's default (`single-value`) would skip `30 2,14 * * *` on the spring day.
 */
export const CRON_OPTIONS = Object.freeze({ mode: '5-or-6-parts', fixedTimeRule: 'no-wildcard', paused: true } as const);

const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i;

/** Validates and normalises a trigger. Throws ValidationError (INVALID_CRON, INVALID_TIMEZONE, INVALID_TRIGGER). */
export function parseTrigger(input: unknown, field = 'trigger'): Trigger {
  if (typeof input === 'string') return parseCron(input, undefined, field);
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw invalid(field, `${field} must be a cron string or an object with one of cron, every or at (got ${describe(input)})`);
  }
  const o = input as Record<string, unknown>;
  if ('kind' in o) return parseNormalised(o, field);
  const kinds = ['cron', 'every', 'at'].filter((k) => o[k] !== undefined);
  if (kinds.length !== 1) {
    throw invalid(field, `${field} must have exactly one of cron, every or at (got ${kinds.length ? kinds.join(', ') : 'none'})`);
  }
  const kind = kinds[0]!;
  const allowed: Record<string, string[]> = { cron: ['cron', 'timezone'], every: ['every', 'anchor'], at: ['at'] };
  const extra = Object.keys(o).filter((k) => !allowed[kind]!.includes(k) && o[k] !== undefined);
  if (extra.length) throw invalid(`${field}.${extra[0]}`, `${field}: unknown option "${extra[0]}" for a ${kind} trigger`);
  if (kind === 'cron') return parseCron(o.cron, o.timezone, field);
  if (kind === 'every') {
    const intervalMs = parseInterval(o.every, `${field}.every`);
    const anchorMs = o.anchor === undefined ? 0 : parseDate(o.anchor, `${field}.anchor`);
    return { kind: 'every', intervalMs, anchorMs };
  }
  return { kind: 'at', atMs: parseDate(o.at, `${field}.at`) };
}

function parseNormalised(o: Record<string, unknown>, field: string): Trigger {
  switch (o.kind) {
    case 'cron':
      return parseCron(o.expression, o.timezone, field, 'expression');
    case 'every': {
      const intervalMs = parseInterval(o.intervalMs, `${field}.intervalMs`);
      return { kind: 'every', intervalMs, anchorMs: parseDate(o.anchorMs ?? 0, `${field}.anchorMs`) };
    }
    case 'at':
      return { kind: 'at', atMs: parseDate(o.atMs, `${field}.atMs`) };
    default:
      throw invalid(`${field}.kind`, `${field}.kind must be cron, every or at (got ${describe(o.kind)})`);
  }
}

function parseCron(expression: unknown, timezone: unknown, field: string, key = 'cron'): CronTrigger {
  const zone = parseTimezone(timezone ?? DEFAULT_TIMEZONE, `${field}.timezone`);
  if (typeof expression !== 'string' || expression.trim() === '') {
    throw new ValidationError('INVALID_CRON', `${field}.${key}`, `${field}.${key} must be a non-empty cron expression (got ${describe(expression)})`);
  }
  const normalised = expression.trim().split(/\s+/).join(' ');
  let next: Date | null;
  try {
    // Constructing parses; one nextRun from a fixed instant proves the expression can ever fire.
    next = new Cron(normalised, { ...CRON_OPTIONS, timezone: zone }).nextRun(new Date(0));
  } catch (e) {
    const why = e instanceof Error ? e.message.replace(/^CronPattern:\s*/, '') : String(e);
    throw new ValidationError('INVALID_CRON', `${field}.${key}`, `${field}.${key} ${describe(expression)} is not a valid 5- or 6-field cron expression: ${why}`, {
      value: normalised.slice(0, 200),
    });
  }
  if (next === null) {
    throw new ValidationError('INVALID_CRON', `${field}.${key}`, `${field}.${key} ${describe(expression)} never fires (no date matches it)`, {
      value: normalised.slice(0, 200),
    });
  }
  return { kind: 'cron', expression: normalised, timezone: zone };
}

/**
 * Validates an IANA zone with Intl. Returns the name as given, with its case
 * fixed when Intl knows it under that name (`america/new_york` ->
 * `America/New_York`). Aliases are kept as written, not resolved: ICU
 * versions disagree on which of `Asia/Kolkata` and `Asia/Calcutta` is
 * canonical, and a Node upgrade must not change a triggerKey.
 */
export function parseTimezone(value: unknown, field = 'timezone'): string {
  if (typeof value !== 'string' || value === '') {
    throw new ValidationError('INVALID_TIMEZONE', field, `${field} must be an IANA time zone name such as "Europe/London" (got ${describe(value)})`);
  }
  try {
    const resolved = new Intl.DateTimeFormat('en-US', { timeZone: value }).resolvedOptions().timeZone;
    return resolved.toLowerCase() === value.toLowerCase() ? resolved : value;
  } catch {
    throw new ValidationError('INVALID_TIMEZONE', field, `${field} ${describe(value)} is not a time zone this runtime knows (use an IANA name such as "Asia/Kolkata")`, {
      value: value.slice(0, 100),
    });
  }
}

/**
 * An interval as milliseconds, or a string in docket's one duration grammar
 * (core/duration.ts): `'15m'`, `'1h30m'`, `'1.5h'`, `'1d 12h'`, `'2w'`.
 * At least MIN_INTERVAL_MS.
 */
export function parseInterval(value: unknown, field = 'every'): number {
  let ms: number;
  if (typeof value === 'number') {
    ms = value;
  } else if (typeof value === 'string') {
    const read = readDuration(value);
    if ('problem' in read) throw invalid(field, `${field} ${describe(value)} ${read.problem}`, { value: value.slice(0, 100) });
    ms = read.ms;
  } else {
    throw invalid(field, `${field} must be milliseconds or a duration string such as "15m" or "1h30m" (got ${describe(value)})`);
  }
  if (!Number.isSafeInteger(ms) || ms < MIN_INTERVAL_MS) {
    throw invalid(field, `${field} must be a whole number of milliseconds, at least ${MIN_INTERVAL_MS} (got ${describe(value)})`, { value });
  }
  return ms;
}

/** `5400000` -> `'1h30m'`; the inverse of parseInterval for display. */
export const formatInterval = durationText;

function parseDate(value: unknown, field: string): number {
  let ms: number;
  if (value instanceof Date) ms = value.getTime();
  else if (typeof value === 'number') ms = value;
  else if (typeof value === 'string') {
    if (!ISO_WITH_ZONE.test(value.trim())) {
      throw invalid(field, `${field} ${describe(value)} must be an ISO 8601 date-time with Z or an offset (a bare local time is ambiguous)`, {
        value: value.slice(0, 100),
      });
    }
    ms = Date.parse(value.trim());
  } else {
    throw invalid(field, `${field} must be a Date, epoch milliseconds or an ISO 8601 string (got ${describe(value)})`);
  }
  if (!Number.isInteger(ms) || Math.abs(ms) > MAX_DATE_MS) {
    throw invalid(field, `${field} is not a valid date (got ${describe(value instanceof Date ? 'Invalid Date' : value)})`);
  }
  return ms;
}

/**
 * A canonical string of everything that decides a trigger's fire times
 * (never jitter or policy). An upsert compares it with the stored one:
 * unchanged -> keep the stored next fire (a restart neither skips nor
 * repeats); changed -> recompute it. `v1` lets a future change of fire-time
 * semantics force a recompute.
 */
export function triggerKey(trigger: Trigger): string {
  switch (trigger.kind) {
    case 'cron':
      return `v1;cron;${trigger.expression};${trigger.timezone}`;
    case 'every':
      return `v1;every;${trigger.intervalMs};${trigger.anchorMs}`;
    case 'at':
      return `v1;at;${trigger.atMs}`;
  }
}

/** Human text for listings: `cron 30 2 * * * (Asia/Kolkata)`, `every 15m`, `at 2026-05-01T09:00:00.000Z`. */
export function describeTrigger(trigger: Trigger): string {
  switch (trigger.kind) {
    case 'cron':
      return `cron ${trigger.expression} (${trigger.timezone})`;
    case 'every':
      return `every ${formatInterval(trigger.intervalMs)}${trigger.anchorMs === 0 ? '' : ` from ${new Date(trigger.anchorMs).toISOString()}`}`;
    case 'at':
      return `at ${new Date(trigger.atMs).toISOString()}`;
  }
}

function invalid(field: string, message: string, details: Record<string, unknown> = {}): ValidationError {
  return new ValidationError('INVALID_TRIGGER', field, message, details);
}
