import type Database from 'better-sqlite3';
import type { NewJob } from '../../core/job.js';
import { limitByMaxRunning, type MissedFires } from '../../core/schedule-plan.js';
import { DEFAULT_SCHEDULE_POLICY, type SchedulePolicy } from '../../core/schedule-policy.js';
import type { Trigger } from '../../core/schedule-trigger.js';
import { assertName } from '../../core/validate.js';
import {
  FIRE_HISTORY_LIMIT,
  type ClaimFireParams,
  type ClaimFireResult,
  type DueSchedules,
  type FireToClaim,
  type ScheduleFire,
  type ScheduleFireKind,
  type ScheduleJobTemplate,
  type ScheduleRecord,
  type ScheduleState,
  type ScheduleStore,
  type TriggerScheduleResult,
  type UpsertSchedulesParams,
  type UpsertSchedulesResult,
  missedFireRecord,
} from '../../store/schedule-store.js';
import { insertJobs } from './enqueue.js';
import { invalid } from '../../store/input.js';
import { SCHEDULE_SQL as SQL } from './schedules-queries.js';

/** What the schedule operations need of the SqliteStore that owns them. */
export interface SqliteScheduleHost {
  prepare(sql: string, pluck?: boolean): Database.Statement;
  read<T>(fn: () => T): T;
  /** Runs fn in a BEGIN IMMEDIATE transaction. */
  write<T>(fn: () => T): T;
  now(): number;
  /** Tells workers a queue got runnable jobs (after the commit). */
  jobsAvailable(queue: string): void;
}

interface ScheduleRow {
  name: string;
  trigger: string;
  trigger_key: string;
  policy: string;
  job: string;
  paused: number;
  next_fire_at: number | null;
  created_at: number;
  updated_at: number;
  removed_at: number | null;
}

interface FireRow {
  schedule: string;
  kind: ScheduleFireKind;
  fire_at: number;
  last_fire_at: number;
  count: number;
  count_exact: number;
  job_id: number | null;
  late_ms: number | null;
  catch_up: number;
  recorded_at: number;
}

/**
 * The ScheduleStore half of the SQLite store. Every write runs in the host's
 * BEGIN IMMEDIATE transaction, so the conditional slot update, the running
 * count, the unique fire rows and the jobs' insert of one claim are one
 * atomic step even with many processes on one file.
 */
export class SqliteSchedules implements ScheduleStore {
  constructor(private readonly host: SqliteScheduleHost) {}

  async upsertSchedules(params: UpsertSchedulesParams): Promise<UpsertSchedulesResult> {
    if (!Array.isArray(params?.schedules)) throw invalid('schedules', 'schedules must be an array');
    const names = params.schedules.map((d, i) => assertName(`schedules[${i}].name`, d.name));
    if (new Set(names).size !== names.length) throw invalid('schedules', 'schedules declares a name twice');
    const now = this.host.now();
    const q = SQL.upsertSchedules;
    return this.host.write(() => {
      const schedules: UpsertSchedulesResult['schedules'] = [];
      for (const d of params.schedules) {
        const row = this.row(d.name);
        const trigger = JSON.stringify(d.trigger);
        const policy = JSON.stringify(d.policy);
        const job = JSON.stringify(d.job);
        if (!row) {
          this.st(q.insert).run(d.name, trigger, d.triggerKey, policy, job, d.policy.paused ? 1 : 0, ms(d.initialNextFireAt), now, now);
          if (d.initialMissed) this.recordMissed(d.name, d.initialMissed, now);
          schedules.push({ name: d.name, outcome: 'created', restored: false, nextFireAt: d.initialNextFireAt });
          continue;
        }
        const changedTrigger = row.trigger_key !== d.triggerKey;
        const declaredPausedBefore = (JSON.parse(row.policy) as Partial<SchedulePolicy>).paused ?? false;
        // The paused flag follows the declaration only when the declared value changed.
        const paused = declaredPausedBefore !== d.policy.paused ? d.policy.paused : row.paused === 1;
        const nextFireAt = changedTrigger ? ms(d.initialNextFireAt) : row.next_fire_at;
        const changed =
          changedTrigger || row.trigger !== trigger || row.policy !== policy || row.job !== job || (row.paused === 1) !== paused || row.removed_at !== null;
        this.st(q.update).run(trigger, d.triggerKey, policy, job, paused ? 1 : 0, nextFireAt, changed ? now : row.updated_at, d.name);
        if (changedTrigger && d.initialMissed) this.recordMissed(d.name, d.initialMissed, now);
        schedules.push({
          name: d.name,
          outcome: changedTrigger ? 'trigger_changed' : 'kept',
          restored: row.removed_at !== null,
          nextFireAt: nextFireAt === null ? null : new Date(nextFireAt),
        });
      }
      const removed: UpsertSchedulesResult['removed'] = [];
      if (params.removeUndeclared) {
        const declared = JSON.stringify(names);
        const newly = new Set(this.st(q.markRemoved, true).all(now, declared) as string[]);
        for (const r of this.st(q.listRemoved).all(declared) as Array<{ name: string; removed_at: number }>) {
          removed.push({ name: r.name, removedAt: new Date(r.removed_at), newly: newly.has(r.name) });
        }
      }
      return { schedules, removed };
    });
  }

  async listDueSchedules(params: { lookaheadMs: number; limit: number }): Promise<DueSchedules> {
    nonNegativeInt('lookaheadMs', params.lookaheadMs);
    nonNegativeInt('limit', params.limit);
    return this.host.read(() => {
      const now = this.host.now();
      const horizon = now + params.lookaheadMs;
      const due = (this.st(SQL.listDueSchedules.due).all(horizon, params.limit) as ScheduleRow[]).map(toState);
      const next = this.st(SQL.listDueSchedules.nextAfter, true).get(horizon) as number | null;
      return { now: new Date(now), due, nextFireAt: next === null ? null : new Date(next) };
    });
  }

  async claimFire(params: ClaimFireParams): Promise<ClaimFireResult> {
    const { schedule, expected } = params;
    if (typeof schedule !== 'string') throw invalid('schedule', 'schedule must be a string');
    if (!Array.isArray(params.fires)) throw invalid('fires', 'fires must be an array');
    const resume = params.resume === true;
    const now = this.host.now();
    const queues = new Set<string>();
    const q = SQL.claimFire;
    const result = this.host.write((): ClaimFireResult => {
      const moved = this.st(q.moveSlot).run(
        ms(params.nextFireAt),
        resume ? 1 : 0,
        resume ? 1 : 0,
        now,
        schedule,
        ms(expected.nextFireAt),
        expected.triggerKey,
        expected.paused ? 1 : 0,
      );
      if (moved.changes === 0) {
        const row = this.row(schedule);
        return { outcome: 'lost', schedule: row ? toState(row) : null };
      }
      const running = params.maxRunning === null ? null : (this.st(q.countRunning, true).get(schedule) as number);
      const taken = this.st(q.slotTaken, true);
      const duplicates: Date[] = [];
      const fresh = params.fires.filter((f) => {
        if (taken.get(schedule, f.fireAt.getTime()) === undefined) return true;
        duplicates.push(f.fireAt);
        return false;
      });
      const limited = limitByMaxRunning(fresh, running ?? 0, params.maxRunning);
      const toEnqueue = limited.enqueue as FireToClaim[];
      const { results, queues: available } = insertJobs(
        toEnqueue.map((f) => f.job),
        now,
        this.host.prepare,
      );
      for (const queue of available) queues.add(queue);
      const fired = toEnqueue.map((f, i) =>
        this.insertFire({ schedule, kind: 'fired', fireAt: f.fireAt, lastFireAt: f.fireAt, count: 1, countExact: true, jobId: results[i]!.id, lateMs: f.lateMs, catchUp: f.catchUp, recordedAt: new Date(now) }),
      );
      const skipped = limited.skipped.map((f) =>
        this.insertFire({ schedule, kind: 'max-running', fireAt: f.fireAt, lastFireAt: f.fireAt, count: 1, countExact: true, jobId: null, lateMs: null, catchUp: f.catchUp, recordedAt: new Date(now) }),
      );
      const missed = params.missed ? this.recordMissed(schedule, params.missed, now) : null;
      if (fired.length + skipped.length + (missed ? 1 : 0) > 0) this.st(q.trimHistory).run(schedule, schedule, FIRE_HISTORY_LIMIT);
      return { outcome: 'claimed', fired, skipped, duplicates, missed, running };
    });
    for (const queue of queues) this.host.jobsAvailable(queue);
    return result;
  }

  async triggerSchedule(params: { name: string; job: NewJob }): Promise<TriggerScheduleResult | null> {
    const now = this.host.now();
    const out = this.host.write((): { result: TriggerScheduleResult; queues: Set<string> } | null => {
      if (this.st(SQL.scheduleExists, true).get(params.name) === undefined) return null;
      const { results, queues } = insertJobs([params.job], now, this.host.prepare);
      const job = results[0]!;
      const at = new Date(now);
      const fire = this.insertFire({ schedule: params.name, kind: 'manual', fireAt: at, lastFireAt: at, count: 1, countExact: true, jobId: job.id, lateMs: null, catchUp: false, recordedAt: at });
      this.st(SQL.claimFire.trimHistory).run(params.name, params.name, FIRE_HISTORY_LIMIT);
      return { result: { fire, job }, queues };
    });
    if (!out) return null;
    for (const queue of out.queues) this.host.jobsAvailable(queue);
    return out.result;
  }

  async pauseSchedule(params: { name: string }): Promise<ScheduleRecord | null> {
    const now = this.host.now();
    return this.host.write(() => {
      this.st(SQL.pauseSchedule).run(now, params.name);
      return this.record(params.name);
    });
  }

  async getSchedule(params: { name: string }): Promise<ScheduleRecord | null> {
    return this.host.read(() => this.record(params.name));
  }

  async listSchedules(): Promise<ScheduleRecord[]> {
    return this.host.read(() => (this.st(SQL.listSchedules).all() as ScheduleRow[]).map((row) => this.withFires(row)));
  }

  async listScheduleFires(params: { name: string; limit: number }): Promise<ScheduleFire[]> {
    nonNegativeInt('limit', params.limit);
    return this.host.read(() => (this.st(SQL.listScheduleFires).all(params.name, params.limit) as FireRow[]).map(toFire));
  }

  async deleteSchedule(params: { name: string }): Promise<boolean> {
    return this.host.write(() => {
      const deleted = this.st(SQL.deleteSchedule.schedule).run(params.name).changes > 0;
      this.st(SQL.deleteSchedule.fires).run(params.name);
      return deleted;
    });
  }

  // ------------------------------------------------------------------ plumbing

  private st(sql: string, pluck = false): Database.Statement {
    return this.host.prepare(sql, pluck);
  }

  private row(name: string): ScheduleRow | undefined {
    return this.st(SQL.getSchedule).get(name) as ScheduleRow | undefined;
  }

  private record(name: string): ScheduleRecord | null {
    const row = this.row(name);
    return row ? this.withFires(row) : null;
  }

  private withFires(row: ScheduleRow): ScheduleRecord {
    const last = this.st(SQL.lastFire).get(row.name) as FireRow | undefined;
    const missed = this.st(SQL.lastMissed).get(row.name) as FireRow | undefined;
    return { ...toState(row), lastFire: last ? toFire(last) : null, lastMissed: missed ? toFire(missed) : null };
  }

  private recordMissed(schedule: string, m: MissedFires, now: number): ScheduleFire {
    return this.insertFire({ ...missedFireRecord(m), schedule, recordedAt: new Date(now) });
  }


  private insertFire(f: ScheduleFire): ScheduleFire {
    this.st(SQL.insertFire).run(
      f.schedule,
      f.kind,
      f.fireAt.getTime(),
      f.lastFireAt.getTime(),
      f.count,
      f.countExact ? 1 : 0,
      f.jobId === null ? null : Number(f.jobId),
      f.lateMs,
      f.catchUp ? 1 : 0,
      f.recordedAt.getTime(),
    );
    return f;
  }
}

function toState(r: ScheduleRow): ScheduleState {
  return {
    name: r.name,
    trigger: JSON.parse(r.trigger) as Trigger,
    triggerKey: r.trigger_key,
    // Defaults first: a policy stored by an older version gains newer options' defaults.
    policy: { ...DEFAULT_SCHEDULE_POLICY, ...(JSON.parse(r.policy) as Partial<SchedulePolicy>) },
    job: JSON.parse(r.job) as ScheduleJobTemplate,
    paused: r.paused === 1,
    nextFireAt: r.next_fire_at === null ? null : new Date(r.next_fire_at),
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
    removedAt: r.removed_at === null ? null : new Date(r.removed_at),
  };
}

function toFire(r: FireRow): ScheduleFire {
  return {
    schedule: r.schedule,
    kind: r.kind,
    fireAt: new Date(r.fire_at),
    lastFireAt: new Date(r.last_fire_at),
    count: r.count,
    countExact: r.count_exact === 1,
    jobId: r.job_id === null ? null : String(r.job_id),
    lateMs: r.late_ms,
    catchUp: r.catch_up === 1,
    recordedAt: new Date(r.recorded_at),
  };
}

function ms(d: Date | null): number | null {
  return d === null ? null : d.getTime();
}

function nonNegativeInt(field: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw invalid(field, `${field} must be a non-negative integer`);
}
