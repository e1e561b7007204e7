import { z } from 'zod';
import { parseOrThrow } from './config.js';

/**
 * What to do with fires that came later than `misfireGraceMs` (the scheduler
 * was down, paused by GC, or the store was unreachable):
 * - `skip`: record them as misfires; enqueue none.
 * - `latest`: enqueue one job for the most recent due fire; the older late
 *   fires are coalesced into it (recorded, not enqueued).
 * - `all`: enqueue each late fire, at most `catchUpMax` (the most recent
 *   ones); older ones beyond that are recorded as misfires.
 * Fires within the grace are on time and always enqueued, whatever `catchUp` says.
 */
export type CatchUp = 'skip' | 'latest' | 'all';

export interface SchedulePolicy {
  /** A fire enqueued more than this after its time is late (a misfire, unless catch-up takes it). */
  misfireGraceMs: number;
  catchUp: CatchUp;
  /** Upper bound on late fires one catch-up enqueues (`catchUp: 'all'`). */
  catchUpMax: number;
  /** Skip (and record) a fire while this many jobs of the schedule are waiting or active. null = no limit. */
  maxRunning: number | null;
  /** A paused schedule records its due fires as skipped and enqueues nothing; resuming does not replay them. */
  paused: boolean;
  /**
   * Up to this many ms of random delay added to each enqueued job's run time,
   * so many schedules on the same minute do not start at once. The fire's
   * identity (its time) is unchanged.
   */
  jitterMs: number;
}

/** A minute: well above a scheduler tick plus a slow store write, short enough that a stale nightly job is noticed. */
export const DEFAULT_MISFIRE_GRACE_MS = 60_000;
/** A nightly job whose server was down at 02:30 runs once on restart, not zero times and not a backlog. */
export const DEFAULT_CATCH_UP: CatchUp = 'latest';
export const DEFAULT_CATCH_UP_MAX = 100;
export const MAX_CATCH_UP_MAX = 10_000;
export const DEFAULT_SCHEDULE_POLICY: Readonly<SchedulePolicy> = Object.freeze({
  misfireGraceMs: DEFAULT_MISFIRE_GRACE_MS,
  catchUp: DEFAULT_CATCH_UP,
  catchUpMax: DEFAULT_CATCH_UP_MAX,
  maxRunning: null,
  paused: false,
  jitterMs: 0,
});

export const schedulePolicySchema = z
  .object({
    misfireGraceMs: z.number().int().nonnegative().optional(),
    catchUp: z.enum(['skip', 'latest', 'all']).optional(),
    catchUpMax: z.number().int().min(1).max(MAX_CATCH_UP_MAX).optional(),
    maxRunning: z.number().int().positive().nullable().optional(),
    paused: z.boolean().optional(),
    jitterMs: z.number().int().nonnegative().optional(),
  })
  .strict();
export type SchedulePolicyInput = z.input<typeof schedulePolicySchema>;

/** Validates (INVALID_OPTION naming the field, e.g. `policy.catchUp`) and fills in the named defaults. */
export function resolveSchedulePolicy(input: unknown, field = 'policy'): SchedulePolicy {
  const o = parseOrThrow(schedulePolicySchema, input ?? {}, 'INVALID_OPTION', field);
  return {
    misfireGraceMs: o.misfireGraceMs ?? DEFAULT_MISFIRE_GRACE_MS,
    catchUp: o.catchUp ?? DEFAULT_CATCH_UP,
    catchUpMax: o.catchUpMax ?? DEFAULT_CATCH_UP_MAX,
    maxRunning: o.maxRunning ?? null,
    paused: o.paused ?? false,
    jitterMs: o.jitterMs ?? 0,
  };
}
