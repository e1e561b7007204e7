import type Database from 'better-sqlite3';
import type { NewJob } from '../../core/job.js';
import type { MissedFires } from '../../core/schedule-plan.js';
import { checkClaimFire, checkTriggerSchedule, claimFire, syncStep, triggerFire, type ScheduleTx, type SlotMove } from '../../store/claim-fire.js';
import { checkDueSchedules, checkScheduleFires, checkUpsertSchedules } from '../../store/input.js';
import { ms, planUpsert, toScheduleFire, toScheduleRecord, toScheduleState, type FireRow, type ScheduleRow } from '../../store/schedule-rows.js';
import {
  FIRE_HISTORY_LIMIT,
  type ClaimFireParams,
  type ClaimFireResult,
  type DueSchedules,
  type ScheduleFire,
  type ScheduleRecord,
  type ScheduleStore,
  type TriggerScheduleResult,
  type UpsertSchedulesParams,
  type UpsertSchedulesResult,
  missedFireRecord,
} from '../../store/schedule-store.js';
import { insertJobs } from './enqueue.js';
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

/**
 * The ScheduleStore half of the SQLite store. Every write runs in the host's
 * BEGIN IMMEDIATE transaction, so the conditional slot update, the running
 * count, the unique fire rows and the jobs' insert of one claim are one
 * atomic step even with many processes on one file. claimFire and
 * triggerSchedule are the store kernel's (store/claim-fire.ts) over this
 * store's ScheduleTx, which runs synchronously inside the transaction.
 */
export class SqliteSchedules implements ScheduleStore {
  constructor(private readonly host: SqliteScheduleHost) {}

  async upsertSchedules(params: UpsertSchedulesParams): Promise<UpsertSchedulesResult> {
    const names = checkUpsertSchedules(params);
    const now = this.host.now();
    const q = SQL.upsertSchedules;
    return this.host.write(() => {
      const schedules: UpsertSchedulesResult['schedules'] = [];
      for (const d of params.schedules) {
        const u = planUpsert(d, this.row(d.name));
        if (u.insert) this.st(q.insert).run(u.name, u.trigger, u.triggerKey, u.policy, u.job, u.paused ? 1 : 0, u.nextFireAt, now, now);
        else this.st(q.update).run(u.trigger, u.triggerKey, u.policy, u.job, u.paused ? 1 : 0, u.nextFireAt, u.touch ? now : null, u.name);
        if (u.missed) this.recordMissed(d.name, u.missed, now);
        schedules.push(u.result);
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
    checkDueSchedules(params);
    return this.host.read(() => {
      const now = this.host.now();
      const horizon = now + params.lookaheadMs;
      const due = (this.st(SQL.listDueSchedules.due).all(horizon, params.limit) as ScheduleRow[]).map(toScheduleState);
      const next = this.st(SQL.listDueSchedules.nextAfter, true).get(horizon) as number | null;
      return { now: new Date(now), due, nextFireAt: next === null ? null : new Date(next) };
    });
  }

  async claimFire(params: ClaimFireParams): Promise<ClaimFireResult> {
    const data = checkClaimFire(params);
    return this.inTx((tx) => claimFire(tx, params, data));
  }

  async triggerSchedule(params: { name: string; job: NewJob }): Promise<TriggerScheduleResult | null> {
    const data = checkTriggerSchedule(params);
    return this.inTx((tx) => triggerFire(tx, params, data));
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
    checkScheduleFires(params);
    return this.host.read(() => (this.st(SQL.listScheduleFires).all(params.name, params.limit) as FireRow[]).map(toScheduleFire));
  }

  async deleteSchedule(params: { name: string }): Promise<boolean> {
    return this.host.write(() => {
      const deleted = this.st(SQL.deleteSchedule.schedule).run(params.name).changes > 0;
      this.st(SQL.deleteSchedule.fires).run(params.name);
      return deleted;
    });
  }

  // ------------------------------------------------------------------ plumbing

  /**
   * Runs a kernel algorithm in one BEGIN IMMEDIATE transaction over this
   * store's ScheduleTx (synchronous throughout), then wakes the workers of
   * the queues that got runnable jobs.
   */
  private inTx<T>(fn: (tx: ScheduleTx) => T | Promise<T>): T {
    const queues = new Set<string>();
    const now = this.host.now();
    const tx: ScheduleTx = {
      lock: (schedule) => (this.st(SQL.scheduleExists, true).get(schedule) === undefined ? null : new Date(now)),
      moveSlot: (a): SlotMove => {
        const moved = this.st(SQL.claimFire.moveSlot).run(ms(a.nextFireAt), a.resume ? 1 : 0, a.resume ? 1 : 0, now, a.schedule, ms(a.expected.nextFireAt), a.expected.triggerKey, a.expected.paused ? 1 : 0);
        if (moved.changes === 0) {
          const row = this.row(a.schedule);
          return { moved: false, schedule: row ? toScheduleState(row) : null };
        }
        const running = a.countRunning ? (this.st(SQL.claimFire.countRunning, true).get(a.schedule) as number) : null;
        const slotTaken = this.st(SQL.claimFire.slotTaken, true);
        return { moved: true, running, taken: new Set(a.fireTimes.filter((t) => slotTaken.get(a.schedule, t) !== undefined)) };
      },
      enqueue: (jobs, data) => {
        const { results, queues: available } = insertJobs(jobs, data, now, this.host.prepare);
        for (const queue of available) queues.add(queue);
        return results;
      },
      recordFires: (schedule, fires) => {
        for (const f of fires) this.insertFire(f);
        this.st(SQL.claimFire.trimHistory).run(schedule, schedule, FIRE_HISTORY_LIMIT);
      },
    };
    const result = this.host.write(() => syncStep(fn(tx)));
    for (const queue of queues) this.host.jobsAvailable(queue);
    return result;
  }

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
    return toScheduleRecord(row, this.st(SQL.lastFire).get(row.name) as FireRow | undefined, this.st(SQL.lastMissed).get(row.name) as FireRow | undefined);
  }

  private recordMissed(schedule: string, m: MissedFires, now: number): void {
    this.insertFire({ ...missedFireRecord(m), schedule, recordedAt: new Date(now) });
  }

  private insertFire(f: ScheduleFire): void {
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
  }
}
