import { nextFireTimes } from '../core/schedule-timeline.js';
import { describeTrigger } from '../core/schedule-trigger.js';
import type { ScheduleFire, ScheduleRecord } from '../store/schedule-store.js';

/** A schedule as `docket.listSchedules()` / `getSchedule()` show it. */
export interface ScheduleInfo extends ScheduleRecord {
  /** `cron 30 2 * * * (Asia/Kolkata)`, `every 15m`, `at 2026-05-01T09:00:00.000Z`. */
  description: string;
  /** The job's data, parsed. */
  data: unknown;
  /**
   * The coming fires, first one first: the stored slot (which is in the past
   * while no scheduler runs) and the trigger's fires after it. For a paused
   * schedule, the fires after now (what resuming now would give); none for a
   * removed or exhausted one.
   */
  nextFires: Date[];
  /** Whether this process declares it (in code or config). */
  declaredHere: boolean;
}

export interface ScheduleDetails extends ScheduleInfo {
  /** Newest first: fired, manual, misfire, coalesced, paused and max-running rows. */
  recentFires: ScheduleFire[];
}

export function toScheduleInfo(record: ScheduleRecord, now: Date, nextFires: number, declaredHere: boolean): ScheduleInfo {
  return {
    ...record,
    description: describeTrigger(record.trigger),
    data: JSON.parse(record.job.dataJson) as unknown,
    nextFires: upcoming(record, now, nextFires),
    declaredHere,
  };
}

function upcoming(r: ScheduleRecord, now: Date, n: number): Date[] {
  if (n <= 0 || r.removedAt !== null) return [];
  if (r.paused) return nextFireTimes(r.trigger, now, n);
  if (r.nextFireAt === null) return [];
  return [r.nextFireAt, ...nextFireTimes(r.trigger, r.nextFireAt, n - 1)];
}
