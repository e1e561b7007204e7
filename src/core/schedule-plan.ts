import type { SchedulePolicy } from './schedule-policy.js';
import { timeline, toMs } from './schedule-timeline.js';
import type { Trigger } from './schedule-trigger.js';

/**
 * Pure decisions of the scheduler: given a schedule's stored slot (the
 * earliest fire not yet handled) and the time, which fires to enqueue, which
 * to record as missed, and which slot to store next. A store applies a plan
 * with a conditional update (`next_fire_at` still equals the slot the plan
 * started from) plus a unique (schedule, fire time) row per fire, so any
 * number of scheduler processes may compute plans at once and each fire is
 * enqueued exactly once.
 */

/** A fire's identity: one (schedule, fire time) slot. The unique key stores use, and the job's idempotency key. */
export function fireKey(schedule: string, fireAt: Date | number): string {
  // '@' cannot occur in a schedule name (NAME_PATTERN), so the key is unambiguous.
  return `${schedule}@${toMs(fireAt)}`;
}

export interface PlannedFire {
  /** The fire's identity (with the schedule name); never moved by jitter. */
  fireAt: Date;
  /** When the job should run: the fire time, or now if that has passed, plus jitter. */
  runAt: Date;
  /** How late the fire is being enqueued (0 when on or ahead of time). */
  lateMs: number;
  /** True when enqueued although later than misfireGraceMs (catchUp `latest` or `all`). */
  catchUp: boolean;
}

/**
 * - `misfire`: later than the grace and not caught up (`skip`, or beyond `catchUpMax` with `all`).
 * - `coalesced`: later than the grace and folded into the one fire `latest` enqueued.
 * - `paused`: came due while the schedule was paused.
 * - `max-running` is produced by limitByMaxRunning, not by planDueFires.
 * Both `misfire` and `coalesced` are misfires in the sense of the issue (late beyond grace).
 */
export type MissedReason = 'misfire' | 'coalesced' | 'paused' | 'max-running';

/** Fires not enqueued, summarised: a long outage of a per-second schedule must not become a million rows. */
export interface MissedFires {
  reason: MissedReason;
  count: number;
  /** False when `count` is a lower bound: a cron trigger with more than PLAN_SCAN_CAP missed fires is not counted to the end. */
  countExact: boolean;
  first: Date;
  last: Date;
}

export interface FirePlan {
  /** Fires to claim and enqueue, oldest first. */
  enqueue: PlannedFire[];
  missed: MissedFires | null;
  /** The slot to store; null when the trigger has no more fires (an `at` that fired). */
  nextFireAt: Date | null;
  /** False when nothing was due: the store has nothing to write. */
  changed: boolean;
}

export interface PlanInput {
  trigger: Trigger;
  policy: SchedulePolicy;
  /** The stored slot; null means the trigger is exhausted. */
  nextFireAt: Date | null;
  now: Date;
  /**
   * Fires up to this far after `now` count as due and are enqueued as
   * delayed jobs that run at their fire time, so a scheduler ticking every
   * second still starts them on time. Default 0.
   */
  lookaheadMs?: number;
  /** A number in [0, 1) for jitter; injected so tests are deterministic. */
  random?: () => number;
}

/** Cron fires counted one by one before the count becomes a lower bound (~0.1 s of croner time with a zone). */
export const PLAN_SCAN_CAP = 1_000;
/** On-time fires one plan enqueues; more (a huge grace on a per-second trigger) are left for the next plan. */
export const MAX_ON_TIME_FIRES_PER_PLAN = 1_000;

/**
 * Decides what happens to the fires due at `now`. A fire t is due when
 * t <= now + lookahead; it is late when now - t > misfireGraceMs (a fire
 * exactly `misfireGraceMs` late is still on time). On-time fires are always
 * enqueued; late fires follow `policy.catchUp`; a paused schedule enqueues
 * nothing and records every due fire as `paused`.
 */
export function planDueFires(input: PlanInput): FirePlan {
  const { trigger, policy } = input;
  if (input.nextFireAt === null) return { enqueue: [], missed: null, nextFireAt: null, changed: false };
  const slot = input.nextFireAt.getTime();
  const now = input.now.getTime();
  const horizon = now + Math.max(0, input.lookaheadMs ?? 0);
  if (slot > horizon) return { enqueue: [], missed: null, nextFireAt: input.nextFireAt, changed: false };

  const tl = timeline(trigger);
  if (policy.paused) {
    // The stored slot counts even if it is not on the trigger's timeline (it was computed by an older trigger).
    const rest = tl.count(slot + 1, horizon, PLAN_SCAN_CAP);
    const last = Math.max(slot, tl.previous(horizon + 1, 1)[0] ?? slot);
    return {
      enqueue: [],
      missed: { reason: 'paused', count: 1 + rest.count, countExact: rest.exact, first: new Date(slot), last: new Date(last) },
      nextFireAt: dateOrNull(tl.next(horizon)),
      changed: true,
    };
  }

  const lateBefore = now - policy.misfireGraceMs; // t < lateBefore <=> t is late
  const random = input.random ?? Math.random;
  const fire = (t: number, catchUp: boolean): PlannedFire => ({
    fireAt: new Date(t),
    runAt: new Date(Math.max(t, now) + jitter(policy.jitterMs, random)),
    lateMs: Math.max(0, now - t),
    catchUp,
  });

  // On-time fires, oldest first. `t` ends on the first fire not handled: the next slot.
  const onTime: number[] = [];
  let t: number | null = slot >= lateBefore ? slot : tl.next(lateBefore - 1);
  while (t !== null && t <= horizon && onTime.length < MAX_ON_TIME_FIRES_PER_PLAN) {
    onTime.push(t);
    t = tl.next(t);
  }
  const nextFireAt = dateOrNull(t);

  if (slot >= lateBefore) {
    return { enqueue: onTime.map((x) => fire(x, false)), missed: null, nextFireAt, changed: true };
  }

  // Late fires: the slot plus the trigger's fires in (slot, lateBefore).
  const rest = tl.count(slot + 1, lateBefore - 1, PLAN_SCAN_CAP);
  const lateCount = 1 + rest.count;
  const keep = policy.catchUp === 'all' ? Math.min(policy.catchUpMax, lateCount) : policy.catchUp === 'latest' && onTime.length === 0 ? 1 : 0;
  // Newest first: the `keep` fires to enqueue, then the newest fire that is missed (if any).
  const recent = [...tl.previous(lateBefore, keep + 1).filter((x) => x > slot), slot].slice(0, keep + 1);
  const caughtUp = recent.slice(0, keep).reverse();
  const missedCount = lateCount - caughtUp.length;
  const missed: MissedFires | null =
    missedCount > 0
      ? {
          reason: policy.catchUp === 'latest' ? 'coalesced' : 'misfire',
          count: missedCount,
          countExact: rest.exact,
          first: new Date(slot),
          last: new Date(recent[keep] ?? slot),
        }
      : null;
  return {
    enqueue: [...caughtUp.map((x) => fire(x, true)), ...onTime.map((x) => fire(x, false))],
    missed,
    nextFireAt,
    changed: true,
  };
}

/**
 * The first slot to store for a schedule that is new, or whose trigger
 * changed (its triggerKey differs from the stored one). An unchanged trigger
 * keeps its stored slot instead, so a restart neither skips nor repeats.
 *
 * cron / every: the first fire strictly after now (no backfill from before
 * the schedule existed). at: its time if that is in the future or at most
 * misfireGraceMs ago (so declaring it just after its time, or a restart
 * right then, still fires it once); further in the past it is recorded as a
 * misfire and the schedule is exhausted at once.
 */
export function planInitialSlot(input: { trigger: Trigger; policy: SchedulePolicy; now: Date }): {
  nextFireAt: Date | null;
  missed: MissedFires | null;
} {
  const { trigger, policy } = input;
  const now = input.now.getTime();
  if (trigger.kind === 'at') {
    if (now - trigger.atMs <= policy.misfireGraceMs) return { nextFireAt: new Date(trigger.atMs), missed: null };
    const at = new Date(trigger.atMs);
    return { nextFireAt: null, missed: { reason: 'misfire', count: 1, countExact: true, first: at, last: at } };
  }
  return { nextFireAt: dateOrNull(timeline(trigger).next(now)), missed: null };
}

/**
 * Applies `maxRunning`: with `running` jobs of the schedule waiting or
 * active, enqueue at most `maxRunning - running` of the planned fires (the
 * most recent ones) and skip the rest, to be recorded as `max-running`. Run
 * it where the count is read, in the same transaction as the enqueue.
 */
export function limitByMaxRunning<F extends PlannedFire>(
  fires: readonly F[],
  running: number,
  maxRunning: number | null,
): { enqueue: F[]; skipped: F[] } {
  if (maxRunning === null) return { enqueue: [...fires], skipped: [] };
  const room = Math.max(0, maxRunning - running);
  const cut = Math.max(0, fires.length - room);
  return { enqueue: fires.slice(cut), skipped: fires.slice(0, cut) };
}

/** Summarises fires skipped by limitByMaxRunning for recording. */
export function summarizeSkipped(skipped: readonly PlannedFire[]): MissedFires | null {
  if (skipped.length === 0) return null;
  return { reason: 'max-running', count: skipped.length, countExact: true, first: skipped[0]!.fireAt, last: skipped[skipped.length - 1]!.fireAt };
}

function jitter(jitterMs: number, random: () => number): number {
  if (jitterMs <= 0) return 0;
  return Math.min(jitterMs, Math.floor(random() * (jitterMs + 1)));
}

function dateOrNull(t: number | null): Date | null {
  return t === null ? null : new Date(t);
}
