import type { NewJob } from '../core/job.js';
import { limitByMaxRunning } from '../core/schedule-plan.js';
import type { EnqueueResult } from './store.js';
import { checkNewJobs, invalid } from './input.js';
import {
  missedFireRecord,
  type ClaimFireParams,
  type ClaimFireResult,
  type FireToClaim,
  type ScheduleFire,
  type ScheduleState,
  type TriggerScheduleResult,
} from './schedule-store.js';

/**
 * A value now (SQLite: better-sqlite3 runs a transaction synchronously) or
 * later (PostgreSQL). The algorithms below run on either, so one copy serves
 * both stores without making SQLite's transaction yield to the event loop.
 */
export type Step<T> = T | Promise<T>;

function then<A, B>(a: Step<A>, f: (a: A) => Step<B>): Step<B> {
  return a instanceof Promise ? a.then(f) : f(a);
}

/** The value of a step that must not be asynchronous (a SQLite transaction). */
export function syncStep<T>(step: Step<T>): T {
  if (step instanceof Promise) throw new Error('a synchronous schedule port returned a promise');
  return step;
}

/** The outcome of the guarded slot move. */
export type SlotMove =
  | { moved: false; schedule: ScheduleState | null }
  | {
      moved: true;
      /** The schedule's waiting/delayed/active jobs, read in this transaction; null when not asked for. */
      running: number | null;
      /** Those of the asked fire times already recorded (fired or max-running), as epoch ms. */
      taken: ReadonlySet<number>;
    };

/**
 * What the fire algorithms need of a store, inside ONE transaction the store
 * opened for the call (and commits when the algorithm returns). Each store
 * implements it with its own SQL: the row lock, the guarded update, the fire
 * rows and the enqueue statement are dialect; the order and the decisions are
 * not, and live here.
 */
export interface ScheduleTx {
  /**
   * Locks the schedule's row against other claimers and trigger-nows of it
   * until the transaction ends (PostgreSQL: a row lock; SQLite: the
   * write lock is held already). The store's now, or null when no such schedule.
   */
  lock(schedule: string): Step<Date | null>;
  /**
   * The guard: moves the slot to `nextFireAt` (and clears paused with
   * `resume`) only while slot, triggerKey and paused are `expected` and the
   * schedule is not removed. When it moved, reads — after the lock, so it sees
   * every job the previous holder committed — the running count (when
   * `countRunning`) and which of `fireTimes` are already recorded. When it did
   * not, returns the stored state for the loser's report.
   */
  moveSlot(args: {
    schedule: string;
    nextFireAt: Date | null;
    expected: ClaimFireParams['expected'];
    resume: boolean;
    countRunning: boolean;
    fireTimes: number[];
  }): Step<SlotMove>;
  /** Enqueues as Store.enqueue would (wake-ups after commit are the store's); results in input order. */
  enqueue(jobs: NewJob[], data: unknown[]): Step<EnqueueResult[]>;
  /** Inserts the fire rows in order (their order is the history's) and trims the schedule's history to FIRE_HISTORY_LIMIT. */
  recordFires(schedule: string, fires: ScheduleFire[]): Step<void>;
}

/** claimFire's input checks, before any transaction; returns the validated jobs' payloads. */
export function checkClaimFire(params: ClaimFireParams): unknown[] {
  if (typeof params !== 'object' || params === null) throw invalid('params', 'claimFire takes { schedule, expected, nextFireAt, fires, missed, maxRunning }');
  if (typeof params.schedule !== 'string') throw invalid('schedule', 'schedule must be a string');
  if (!Array.isArray(params.fires)) throw invalid('fires', 'fires must be an array');
  if (typeof params.expected !== 'object' || params.expected === null) throw invalid('expected', 'expected must be the state the plan started from');
  return checkNewJobs(params.fires.map((f) => f.job));
}

/**
 * ScheduleStore.claimFire, in the store's transaction `tx`: lock the schedule,
 * move the slot under the guard (or lose), drop fires already recorded, apply
 * core's `limitByMaxRunning` with the running count read in this transaction,
 * enqueue the rest, record one row per fired and max-running slot plus the
 * missed summary, trim the history. `data` is checkClaimFire's result.
 */
export function claimFire(tx: ScheduleTx, params: ClaimFireParams, data: unknown[]): Step<ClaimFireResult> {
  const { schedule } = params;
  return then(tx.lock(schedule), (recordedAt): Step<ClaimFireResult> => {
    if (recordedAt === null) return { outcome: 'lost', schedule: null };
    const move = tx.moveSlot({
      schedule,
      nextFireAt: params.nextFireAt,
      expected: params.expected,
      resume: params.resume === true,
      countRunning: params.maxRunning !== null,
      fireTimes: params.fires.map((f) => f.fireAt.getTime()),
    });
    return then(move, (slot): Step<ClaimFireResult> => {
      if (!slot.moved) return { outcome: 'lost', schedule: slot.schedule };
      const running = params.maxRunning === null ? null : slot.running;
      const duplicates: Date[] = [];
      const fresh: Array<FireToClaim & { data: unknown }> = [];
      params.fires.forEach((f, i) => {
        if (slot.taken.has(f.fireAt.getTime())) duplicates.push(f.fireAt);
        else fresh.push({ ...f, data: data[i] });
      });
      const limited = limitByMaxRunning(fresh, running ?? 0, params.maxRunning);
      const toEnqueue = limited.enqueue;
      const enqueued = toEnqueue.length === 0 ? [] : tx.enqueue(toEnqueue.map((f) => f.job), toEnqueue.map((f) => f.data));
      return then(enqueued, (results) => {
        const base = { schedule, count: 1, countExact: true, recordedAt };
        const fired = toEnqueue.map((f, i): ScheduleFire => ({ ...base, kind: 'fired', fireAt: f.fireAt, lastFireAt: f.fireAt, jobId: results[i]!.id, lateMs: f.lateMs, catchUp: f.catchUp }));
        const skipped = limited.skipped.map((f): ScheduleFire => ({ ...base, kind: 'max-running', fireAt: f.fireAt, lastFireAt: f.fireAt, jobId: null, lateMs: null, catchUp: f.catchUp }));
        const missed: ScheduleFire | null = params.missed ? { ...missedFireRecord(params.missed), schedule, recordedAt } : null;
        const result: ClaimFireResult = { outcome: 'claimed', fired, skipped, duplicates, missed, running };
        const rows = missed ? [...fired, ...skipped, missed] : [...fired, ...skipped];
        return rows.length === 0 ? result : then(tx.recordFires(schedule, rows), () => result);
      });
    });
  });
}

/** triggerSchedule's input check, before any transaction; returns the job's payload. */
export function checkTriggerSchedule(params: { name: string; job: NewJob }): unknown {
  if (typeof params !== 'object' || params === null) throw invalid('params', 'triggerSchedule takes { name, job }');
  if (typeof params.name !== 'string') throw invalid('name', 'name must be a string');
  return checkNewJobs([params.job])[0];
}

/**
 * ScheduleStore.triggerSchedule, in the store's transaction `tx`: under the
 * schedule's lock (so a claim counting maxRunning sees this job or runs
 * before it), enqueue the job and record a `manual` fire at the store's now.
 */
export function triggerFire(tx: ScheduleTx, params: { name: string; job: NewJob }, data: unknown): Step<TriggerScheduleResult | null> {
  return then(tx.lock(params.name), (at) => {
    if (at === null) return null;
    return then(tx.enqueue([params.job], [data]), ([job]) => {
      const fire: ScheduleFire = { schedule: params.name, kind: 'manual', fireAt: at, lastFireAt: at, count: 1, countExact: true, jobId: job!.id, lateMs: null, catchUp: false, recordedAt: at };
      return then(tx.recordFires(params.name, [fire]), () => ({ fire, job: job! }));
    });
  });
}
