import type { NewJob } from '../core/job.js';
import type { MissedFires, MissedReason, PlannedFire } from '../core/schedule-plan.js';
import type { SchedulePolicy } from '../core/schedule-policy.js';
import type { Trigger } from '../core/schedule-trigger.js';
import type { EnqueueResult } from './store.js';

/**
 * The schedule half of the Store: schedule state (next slot, paused flag,
 * fire history) lives in the store, so a restart neither skips nor repeats a
 * fire, and any number of scheduler processes can run without a leader.
 *
 * Fire times are decided in `core/schedule*.ts` (planInitialSlot,
 * planDueFires, limitByMaxRunning); a store only applies those decisions
 * under a guard. Instants in params come from the store's own clock (the
 * scheduler plans with the `now` that listDueSchedules returns), so they are
 * stored as given. Every method is atomic.
 *
 * The exactly-once rule, which every store keeps: a fire (schedule, fire time)
 * produces a job only through `claimFire`, which (1) moves the schedule's
 * slot with a conditional update from the slot the plan started from, and
 * (2) records each fired slot in a row unique per (schedule, fire time), in
 * the same transaction as the jobs' insert. Two claimers of one plan: one
 * wins, the other gets `lost` and writes nothing.
 */
export interface ScheduleStore {
  /**
   * Stores the schedules a process declares, in one transaction. Per schedule:
   * - new: inserted with `initialNextFireAt`, `paused = policy.paused`, and
   *   `initialMissed` recorded (if any). Outcome `created`.
   * - stored with the same `triggerKey`: the stored slot is kept (so a
   *   restart neither skips nor repeats a fire); trigger, policy and job are
   *   replaced. Outcome `kept`.
   * - stored with another `triggerKey`: as `kept`, but the slot becomes
   *   `initialNextFireAt` and `initialMissed` is recorded. Outcome `trigger_changed`.
   * The paused flag is owned by pause/resume once a schedule exists: an upsert
   * sets it to `policy.paused` only when that declared value differs from the
   * declared value stored before (so an operator's pause survives a restart,
   * and a change of `paused` in code still takes effect).
   * A declared schedule that was marked removed is restored (`restored: true`).
   *
   * With `removeUndeclared`, stored schedules missing from `schedules` are
   * marked removed (removedAt = now) and stop firing; they stay listed, and are
   * all reported in `removed` (`newly` for those marked by this call).
   */
  upsertSchedules(params: UpsertSchedulesParams): Promise<UpsertSchedulesResult>;

  /**
   * The schedules a scheduler should plan now: not paused, not removed,
   * nextFireAt <= now + lookaheadMs, by nextFireAt then name, at most `limit`.
   * `now` is the store's clock; `nextFireAt` is the earliest slot of the
   * other such schedules (after the horizon), for the scheduler's wake-up.
   */
  listDueSchedules(params: { lookaheadMs: number; limit: number }): Promise<DueSchedules>;

  /**
   * Applies one plan of one schedule (see the exactly-once rule above), all
   * or nothing:
   * 1. Conditional update: only while the stored slot, triggerKey and paused
   *    flag equal `expected` and the schedule is not removed, set the slot to
   *    `nextFireAt` (and paused = false with `resume`). Otherwise `lost`.
   * 2. With `maxRunning`, count the schedule's waiting/delayed/active jobs in
   *    this transaction and apply core's `limitByMaxRunning`: the most recent
   *    fires that fit are enqueued, the rest recorded as `max-running`.
   * 3. A fire whose (schedule, fireAt) slot is already recorded (fired or
   *    max-running) is not enqueued again (`duplicates`).
   * 4. Enqueue each remaining fire's `job` (as `enqueue` would, so workers are
   *    told), record one `fired` row per fire with its job id, one row per
   *    `max-running` fire, and one summary row for `missed`.
   * 5. Trim the schedule's history to the newest FIRE_HISTORY_LIMIT rows.
   */
  claimFire(params: ClaimFireParams): Promise<ClaimFireResult>;

  /** Enqueues `job` for the schedule outside its slots and records a `manual` fire. Null when no such schedule. */
  triggerSchedule(params: { name: string; job: NewJob }): Promise<TriggerScheduleResult | null>;

  /**
   * Sets the paused flag; the slot is kept. Null when no such schedule.
   * Resuming goes through `claimFire({ resume: true })`, so the fires that
   * came due while paused are recorded as `paused` and not replayed.
   */
  pauseSchedule(params: { name: string }): Promise<ScheduleRecord | null>;

  getSchedule(params: { name: string }): Promise<ScheduleRecord | null>;
  /** All stored schedules (removed ones too), by name. */
  listSchedules(): Promise<ScheduleRecord[]>;
  /** A schedule's most recent fire rows, newest (last recorded) first. [] for an unknown schedule. */
  listScheduleFires(params: { name: string; limit: number }): Promise<ScheduleFire[]>;
  /** Deletes a schedule and its fire history (not its jobs). False when it did not exist. */
  deleteSchedule(params: { name: string }): Promise<boolean>;
}

/** Fire rows kept per schedule; older ones are trimmed when new ones are recorded. */
export const FIRE_HISTORY_LIMIT = 1_000;

/** What a fire enqueues: a job as resolved when the schedule was declared (definition defaults applied). */
export interface ScheduleJobTemplate {
  name: string;
  queue: string;
  /** JSON as validated and serialised at declaration. */
  dataJson: string;
  priority: number;
  maxAttempts: number;
  timeoutMs: number | null;
}

export interface ScheduleDeclaration {
  /** Matches NAME_PATTERN (so `@` in fireKey is unambiguous). */
  name: string;
  /** Stored as given (plain JSON); stores never interpret it. */
  trigger: Trigger;
  /** `triggerKey(trigger)`: compared with the stored key to keep or replace the slot. */
  triggerKey: string;
  policy: SchedulePolicy;
  job: ScheduleJobTemplate;
  /** `planInitialSlot(...).nextFireAt`: the slot of a new schedule or a changed trigger. */
  initialNextFireAt: Date | null;
  /** `planInitialSlot(...).missed`: recorded with the initial slot (an `at` long past). */
  initialMissed: MissedFires | null;
}

export interface UpsertSchedulesParams {
  schedules: ScheduleDeclaration[];
  removeUndeclared: boolean;
}

export interface UpsertSchedulesResult {
  /** In the order declared. */
  schedules: Array<{ name: string; outcome: 'created' | 'kept' | 'trigger_changed'; restored: boolean; nextFireAt: Date | null }>;
  /** Stored but undeclared (only with removeUndeclared), by name. */
  removed: Array<{ name: string; removedAt: Date; newly: boolean }>;
}

/** A schedule as stored. */
export interface ScheduleState {
  name: string;
  trigger: Trigger;
  triggerKey: string;
  /** As last declared (its `paused` is the declared value; see `paused` for the current one). */
  policy: SchedulePolicy;
  job: ScheduleJobTemplate;
  /** Current: set by declaration, pause and resume. */
  paused: boolean;
  /** The earliest fire not yet handled; null when the trigger has no more fires. */
  nextFireAt: Date | null;
  createdAt: Date;
  /** Last change of the declaration, pause or resume (not of the slot). */
  updatedAt: Date;
  /** Set while the schedule is stored but no process declares it; it does not fire. */
  removedAt: Date | null;
}

export interface ScheduleRecord extends ScheduleState {
  /** The most recent `fired` or `manual` row. */
  lastFire: ScheduleFire | null;
  /** The most recent row of any other kind (misfire, coalesced, paused, max-running). */
  lastMissed: ScheduleFire | null;
}

/**
 * - `fired`: a slot enqueued by the scheduler (`catchUp` when it was later than the grace).
 * - `manual`: trigger-now; `fireAt` is when it was triggered.
 * - `misfire` | `coalesced` | `paused`: a summary of `count` slots from `fireAt` to `lastFireAt`.
 * - `max-running`: one slot skipped because maxRunning jobs were waiting or active.
 */
export type ScheduleFireKind = 'fired' | 'manual' | MissedReason;

export interface ScheduleFire {
  schedule: string;
  kind: ScheduleFireKind;
  fireAt: Date;
  /** Equals fireAt except for summaries. */
  lastFireAt: Date;
  count: number;
  /** False when count is a lower bound (see MissedFires). */
  countExact: boolean;
  /** The job enqueued (`fired`, `manual`); null otherwise. */
  jobId: string | null;
  /** How late the job was enqueued (`fired`); null otherwise. */
  lateMs: number | null;
  catchUp: boolean;
  /** Store clock. */
  recordedAt: Date;
}

export interface DueSchedules {
  now: Date;
  due: ScheduleState[];
  nextFireAt: Date | null;
}

/** A planned fire with the job it enqueues (idempotencyKey = fireKey, scheduleName, fireTime set). */
export type FireToClaim = PlannedFire & { job: NewJob };

export interface ClaimFireParams {
  schedule: string;
  /** What the plan was computed from; the claim applies only while the stored schedule still has these. */
  expected: { nextFireAt: Date | null; triggerKey: string; paused: boolean };
  /** The slot to store (plan.nextFireAt). */
  nextFireAt: Date | null;
  /** plan.enqueue, oldest first. */
  fires: FireToClaim[];
  missed: MissedFires | null;
  maxRunning: number | null;
  /** Also clear the paused flag in this write (resume). */
  resume?: boolean;
}

export type ClaimFireResult =
  | {
      outcome: 'claimed';
      /** One per enqueued fire, oldest first. */
      fired: ScheduleFire[];
      /** Fires recorded as `max-running`, oldest first. */
      skipped: ScheduleFire[];
      /** Fire times already recorded; nothing enqueued for them. */
      duplicates: Date[];
      /** The summary row of `missed`, if any. */
      missed: ScheduleFire | null;
      /** The schedule's waiting/delayed/active jobs before this claim; null when maxRunning was null (not counted). */
      running: number | null;
    }
  | { outcome: 'lost'; schedule: ScheduleState | null };

export interface TriggerScheduleResult {
  fire: ScheduleFire;
  job: EnqueueResult;
}

/** The one history row that stands for a run of missed fires (misfired, coalesced, paused, max-running). */
export function missedFireRecord(m: MissedFires): Omit<ScheduleFire, 'schedule' | 'recordedAt'> {
  return { kind: m.reason, fireAt: m.first, lastFireAt: m.last, count: m.count, countExact: m.countExact, jobId: null, lateMs: null, catchUp: false };
}
