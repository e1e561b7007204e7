import { MAX_PRIORITY, MIN_PRIORITY } from '../core/config.js';
import type { ClaimedJob, JobFailure, JobRecord } from '../core/job.js';
import type { LeasedTransition } from '../core/outcome.js';

/**
 * Reading a stored job that does not hold what docket writes (issue 11):
 * corrupt JSON, a value of the wrong type or out of docket's range, a value
 * a newer version wrote. One rule for every store: a read never fails on
 * one row (the job comes back with `unreadable` naming the fields and a
 * stand-in for each), and a claim never runs such a job nor fails on it: the
 * job ends `failed` with code `UNREADABLE_JOB` while the claim hands out the
 * others.
 *
 * The stores decode their rows as before (the hot path is unchanged) and
 * pass the record through `checkJobRecord`: a few type and range checks per
 * job, no allocation unless something is wrong.
 */

export const UNREADABLE_JOB = 'UNREADABLE_JOB';

/** What a store's decoder found wrong with one field before the record was built (e.g. JSON text that does not parse). */
export interface FieldProblem {
  field: string;
  problem: string;
}

/** At most this much of an unreadable value is quoted in the message (a payload may be a MiB). */
const QUOTE_CHARS = 200;

/** A short, printable quote of a stored value for a message. */
export function quote(value: unknown): string {
  let s: string;
  if (typeof value === 'string') s = JSON.stringify(value.length > QUOTE_CHARS ? `${value.slice(0, QUOTE_CHARS)}…` : value);
  else if (value instanceof Uint8Array) s = `<blob of ${value.length} bytes>`;
  else if (value instanceof Date) s = Number.isNaN(value.getTime()) ? '<invalid date>' : value.toISOString();
  else {
    try {
      s = String(JSON.stringify(value));
    } catch {
      s = String(value);
    }
    if (s.length > QUOTE_CHARS) s = `${s.slice(0, QUOTE_CHARS)}…`;
  }
  return s;
}

/**
 * A stored failure (the `error` column, parsed) as a JobFailure, or null when
 * it is not one: the caller marks the field unreadable.
 */
export function readFailure(f: unknown): JobFailure | null {
  if (typeof f !== 'object' || f === null || Array.isArray(f)) return null;
  const r = f as Record<string, unknown>;
  const at = typeof r.at === 'number' || typeof r.at === 'string' ? new Date(r.at) : null;
  if (typeof r.message !== 'string' || typeof r.name !== 'string' || !Number.isSafeInteger(r.attempt) || at === null || Number.isNaN(at.getTime())) return null;
  const code = r.code ?? null;
  const stack = r.stack ?? null;
  if ((code !== null && typeof code !== 'string') || (stack !== null && typeof stack !== 'string')) return null;
  return { message: r.message, name: r.name, code, stack, attempt: r.attempt as number, at };
}

const isInt = (v: unknown, min: number, max: number): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= min && v <= max;
const validDate = (d: unknown): boolean => d instanceof Date && !Number.isNaN(d.getTime());

const REQUIRED_TIMES = ['runAt', 'createdAt'] as const;
const OPTIONAL_TIMES = ['startedAt', 'finishedAt', 'leaseExpiresAt', 'fireTime'] as const;

/**
 * Checks a decoded job against what docket writes and returns it; any field
 * that is not is replaced by a neutral stand-in and named in `unreadable`.
 * `found` are problems the decoder met first (JSON that did not parse: the
 * decoder already put the raw text in place).
 *
 * Every claimed and read job passes here, so the good path allocates nothing
 * (no closure, no array): `isReadable` answers first, and only a job that is
 * not gets the slow pass that names what is wrong.
 */
export function checkJobRecord<T extends JobRecord>(job: T, found?: readonly FieldProblem[]): T {
  if ((found === undefined || found.length === 0) && isReadable(job)) return job;
  return markUnreadable(job, found ?? []);
}

/** True when every checked field holds what docket writes. */
function isReadable(job: JobRecord): boolean {
  if (typeof job.name !== 'string' || typeof job.queue !== 'string') return false;
  if (!isInt(job.priority, MIN_PRIORITY, MAX_PRIORITY) || !isInt(job.attempt, 0, Number.MAX_SAFE_INTEGER) || !isInt(job.maxAttempts, 1, 1e9)) return false;
  if (job.timeoutMs !== null && !isInt(job.timeoutMs, 1, Number.MAX_SAFE_INTEGER)) return false;
  if (!isInt(job.stalls, 0, Number.MAX_SAFE_INTEGER)) return false;
  if (!validDate(job.runAt) || !validDate(job.createdAt)) return false;
  if (job.startedAt !== null && !validDate(job.startedAt)) return false;
  if (job.finishedAt !== null && !validDate(job.finishedAt)) return false;
  if (job.leaseExpiresAt !== null && !validDate(job.leaseExpiresAt)) return false;
  if (job.fireTime !== null && !validDate(job.fireTime)) return false;
  return job.progress === null || isProgress(job.progress);
}

function isProgress(p: NonNullable<JobRecord['progress']>): boolean {
  return typeof p.current === 'number' && (p.total === null || typeof p.total === 'number') && (p.message === null || typeof p.message === 'string') && validDate(p.updatedAt);
}

/** The slow pass: replaces each field that is not what docket writes and names them all in `unreadable`. */
function markUnreadable<T extends JobRecord>(job: T, found: readonly FieldProblem[]): T {
  const problems: FieldProblem[] = [...found];
  const bad = (field: string, value: unknown, rule: string): void => {
    problems.push({ field, problem: `${quote(value)} is not ${rule}` });
  };
  if (typeof job.name !== 'string') {
    bad('name', job.name, 'a job name');
    job.name = String(job.name);
  }
  if (typeof job.queue !== 'string') {
    bad('queue', job.queue, 'a queue name');
    job.queue = String(job.queue);
  }
  if (!isInt(job.priority, MIN_PRIORITY, MAX_PRIORITY)) {
    bad('priority', job.priority, `an integer in [${MIN_PRIORITY}, ${MAX_PRIORITY}]`);
    job.priority = 0;
  }
  if (!isInt(job.attempt, 0, Number.MAX_SAFE_INTEGER)) {
    bad('attempt', job.attempt, 'a count of attempts');
    job.attempt = 0;
  }
  if (!isInt(job.maxAttempts, 1, 1e9)) {
    bad('maxAttempts', job.maxAttempts, 'an integer in [1, 1e9]');
    job.maxAttempts = 1;
  }
  if (job.timeoutMs !== null && !isInt(job.timeoutMs, 1, Number.MAX_SAFE_INTEGER)) {
    bad('timeoutMs', job.timeoutMs, 'a positive integer or null');
    job.timeoutMs = null;
  }
  if (!isInt(job.stalls, 0, Number.MAX_SAFE_INTEGER)) {
    bad('stalls', job.stalls, 'a count of stalls');
    job.stalls = 0;
  }
  for (const k of REQUIRED_TIMES) {
    if (!validDate(job[k])) {
      bad(k, job[k], 'a valid time');
      job[k] = new Date(0);
    }
  }
  for (const k of OPTIONAL_TIMES) {
    if (job[k] !== null && !validDate(job[k])) {
      bad(k, job[k], 'a valid time or null');
      job[k] = null;
    }
  }
  if (job.progress !== null && !isProgress(job.progress)) {
    bad('progress', job.progress, 'a progress record');
    job.progress = null;
  }
  if (problems.length === 0) return job;
  job.unreadable = { fields: [...new Set(problems.map((x) => x.field))], message: problems.map((x) => `${x.field}: ${x.problem}`).join('; ') };
  return job;
}

/** The failure recorded on a job that a claim found unreadable. */
export function unreadableFailure(job: JobRecord, now: Date): JobFailure {
  return {
    name: 'UnreadableJobError',
    code: UNREADABLE_JOB,
    message: `job ${job.id} cannot be read, so it was failed without running: ${job.unreadable?.message ?? 'unknown problem'}`,
    stack: null,
    attempt: job.attempt + 1,
    at: now,
  };
}

/**
 * Splits a claim's jobs into those to hand out and the leased writes that
 * fail the unreadable ones (a guarded `end` to `failed`, no retry: the row
 * will read the same next time). The attempt that found it counts, as any
 * failed attempt does.
 */
export function splitUnreadable(jobs: ClaimedJob[], now: Date): { jobs: ClaimedJob[]; fail: LeasedTransition[] } {
  if (!jobs.some((j) => j.unreadable)) return { jobs, fail: [] };
  const ok: ClaimedJob[] = [];
  const fail: LeasedTransition[] = [];
  for (const j of jobs) {
    if (!j.unreadable) ok.push(j);
    else fail.push({ jobId: j.id, leaseToken: j.leaseToken, startedAgoMs: 0, outcome: { kind: 'fail', failure: unreadableFailure(j, now) } });
  }
  return { jobs: ok, fail };
}
