import type { MissedFires } from '../core/schedule-plan.js';
import { DEFAULT_SCHEDULE_POLICY, type SchedulePolicy } from '../core/schedule-policy.js';
import type { Trigger } from '../core/schedule-trigger.js';
import type { ScheduleDeclaration, ScheduleFire, ScheduleFireKind, ScheduleJobTemplate, ScheduleRecord, ScheduleState, UpsertSchedulesResult } from './schedule-store.js';

/**
 * The schedule rows as every store reads them back: the same column names in
 * both schemas, JSON columns as their stored text, instants as epoch ms. Only
 * the dialect's types differ (SQLite stores flags as 0/1 and ids as integers,
 * PostgreSQL as booleans and bigint text), and the mappers below absorb that.
 */
export interface ScheduleRow {
  name: string;
  trigger: string;
  trigger_key: string;
  policy: string;
  job: string;
  paused: boolean | number;
  next_fire_at: number | null;
  created_at: number;
  updated_at: number;
  removed_at: number | null;
}

export interface FireRow {
  schedule: string;
  kind: ScheduleFireKind;
  fire_at: number;
  last_fire_at: number;
  count: number;
  count_exact: boolean | number;
  job_id: string | number | null;
  late_ms: number | null;
  catch_up: boolean | number;
  recorded_at: number;
}

export function toScheduleState(r: ScheduleRow): ScheduleState {
  return {
    name: r.name,
    trigger: JSON.parse(r.trigger) as Trigger,
    triggerKey: r.trigger_key,
    // Defaults first: a policy stored by an older version gains newer options' defaults.
    policy: { ...DEFAULT_SCHEDULE_POLICY, ...(JSON.parse(r.policy) as Partial<SchedulePolicy>) },
    job: JSON.parse(r.job) as ScheduleJobTemplate,
    paused: flag(r.paused),
    nextFireAt: date(r.next_fire_at),
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
    removedAt: date(r.removed_at),
  };
}

export function toScheduleFire(r: FireRow): ScheduleFire {
  return {
    schedule: r.schedule,
    kind: r.kind,
    fireAt: new Date(r.fire_at),
    lastFireAt: new Date(r.last_fire_at),
    count: r.count,
    countExact: flag(r.count_exact),
    jobId: r.job_id === null ? null : String(r.job_id),
    lateMs: r.late_ms,
    catchUp: flag(r.catch_up),
    recordedAt: new Date(r.recorded_at),
  };
}

export function toScheduleRecord(r: ScheduleRow, lastFire: FireRow | null | undefined, lastMissed: FireRow | null | undefined): ScheduleRecord {
  return { ...toScheduleState(r), lastFire: lastFire ? toScheduleFire(lastFire) : null, lastMissed: lastMissed ? toScheduleFire(lastMissed) : null };
}

/** What an upsert writes for one declaration, decided from the row stored before (if any). */
export interface UpsertRow {
  name: string;
  /** The declaration's own JSON text: an unchanged declaration compares equal next time. */
  trigger: string;
  triggerKey: string;
  policy: string;
  job: string;
  paused: boolean;
  nextFireAt: number | null;
  /** Insert a new row, or update the stored one. */
  insert: boolean;
  /** An update that changes anything moves updated_at. */
  touch: boolean;
  /** Recorded with the initial slot (new schedule or changed trigger). */
  missed: MissedFires | null;
  result: UpsertSchedulesResult['schedules'][number];
}

/**
 * The upsert rules of ScheduleStore.upsertSchedules for one declaration:
 * same triggerKey keeps the stored slot, another one takes the initial slot;
 * the paused flag follows the declaration only when the declared value changed.
 */
export function planUpsert(d: ScheduleDeclaration, row: ScheduleRow | undefined): UpsertRow {
  const trigger = JSON.stringify(d.trigger);
  const policy = JSON.stringify(d.policy);
  const job = JSON.stringify(d.job);
  const base = { name: d.name, trigger, triggerKey: d.triggerKey, policy, job };
  if (!row) {
    return {
      ...base,
      paused: d.policy.paused,
      nextFireAt: ms(d.initialNextFireAt),
      insert: true,
      touch: true,
      missed: d.initialMissed,
      result: { name: d.name, outcome: 'created', restored: false, nextFireAt: d.initialNextFireAt },
    };
  }
  const changedTrigger = row.trigger_key !== d.triggerKey;
  const declaredPausedBefore = (JSON.parse(row.policy) as Partial<SchedulePolicy>).paused ?? false;
  const storedPaused = flag(row.paused);
  const paused = declaredPausedBefore !== d.policy.paused ? d.policy.paused : storedPaused;
  const nextFireAt = changedTrigger ? ms(d.initialNextFireAt) : row.next_fire_at;
  return {
    ...base,
    paused,
    nextFireAt,
    insert: false,
    touch: changedTrigger || row.trigger !== trigger || row.policy !== policy || row.job !== job || storedPaused !== paused || row.removed_at !== null,
    missed: changedTrigger ? d.initialMissed : null,
    result: { name: d.name, outcome: changedTrigger ? 'trigger_changed' : 'kept', restored: row.removed_at !== null, nextFireAt: date(nextFireAt) },
  };
}

export function ms(d: Date | null): number | null {
  return d === null ? null : d.getTime();
}

function date(v: number | null): Date | null {
  return v === null ? null : new Date(v);
}

function flag(v: boolean | number): boolean {
  return v === true || v === 1;
}
