import type { Logger } from 'pino';
import { z } from 'zod';
import { parseOrThrow } from '../core/config.js';
import { DocketError, ScheduleNotFoundError, ValidationError } from '../core/errors.js';
import type { NewJob } from '../core/job.js';
import { planDueFires, planInitialSlot } from '../core/schedule-plan.js';
import { triggerKey } from '../core/schedule-trigger.js';
import { assertName } from '../core/validate.js';
import type { DocketEventEmitter } from '../runtime/events.js';
import type { ScheduleDeclaration, TriggerScheduleResult, UpsertSchedulesResult } from '../store/schedule-store.js';
import type { Store } from '../store/store.js';
import type { ResolvedSchedule, ScheduleDeclarations } from './declarations.js';
import { reportMissed } from './fire-events.js';
import { manualJob } from './fire-jobs.js';
import { toScheduleInfo, type ScheduleDetails, type ScheduleInfo } from './schedule-info.js';
import type { Scheduler } from './scheduler.js';

export interface ScheduleAdminDeps {
  store: Store;
  events: DocketEventEmitter;
  logger: Logger;
  declarations: ScheduleDeclarations;
  scheduler: Scheduler;
}

const listSchema = z.object({ nextFires: z.number().int().min(0).max(1_000).optional() }).strict();
const getSchema = z.object({ nextFires: z.number().int().min(0).max(1_000).optional(), recentFires: z.number().int().min(0).max(1_000).optional() }).strict();

/** Times a resume re-reads and retries when a scheduler claimed the schedule in between. */
const RESUME_ATTEMPTS = 5;

/**
 * The schedule operations behind the Docket's public API: storing this
 * process's declarations, listing, trigger-now, pause, resume, delete. Any
 * process can call them (an admin process needs no handlers): what a fire
 * enqueues is stored with the schedule.
 */
export class ScheduleAdmin {
  private synced = false;
  private readonly log: Logger;

  constructor(private readonly deps: ScheduleAdminDeps) {
    this.log = deps.logger.child({ service: 'scheduler' });
  }

  /**
   * Stores every declared schedule (at start). A process that declares any
   * schedule owns the full set: stored schedules it does not declare are
   * marked removed, reported, and stop firing. One that declares none
   * (a web process that only enqueues) changes nothing.
   */
  async sync(): Promise<void> {
    this.synced = true;
    const declared = await this.deps.declarations.resolveAll();
    if (declared.length === 0) return;
    await this.upsert(declared, true);
  }

  /** docket.schedule(): validate, then store at once if this process has already synced. */
  async declare(name: unknown, trigger: unknown, options: unknown): Promise<void> {
    const resolved = await this.deps.declarations.declare(name, trigger, options);
    if (this.synced) await this.upsert([resolved], false);
  }

  async list(options: unknown = {}): Promise<ScheduleInfo[]> {
    const o = parseOrThrow(listSchema, options, 'INVALID_OPTION', 'options');
    const store = this.deps.store;
    const [now, records] = await Promise.all([store.now(), store.listSchedules()]);
    return records.map((r) => toScheduleInfo(r, now, o.nextFires ?? 1, this.deps.declarations.has(r.name)));
  }

  async get(name: unknown, options: unknown = {}): Promise<ScheduleDetails | null> {
    const schedule = assertName('name', name);
    const o = parseOrThrow(getSchema, options, 'INVALID_OPTION', 'options');
    const store = this.deps.store;
    const [now, record, recentFires] = await Promise.all([
      store.now(),
      store.getSchedule({ name: schedule }),
      store.listScheduleFires({ name: schedule, limit: o.recentFires ?? 20 }),
    ]);
    if (!record) return null;
    return { ...toScheduleInfo(record, now, o.nextFires ?? 5, this.deps.declarations.has(schedule)), recentFires };
  }

  /** Enqueues the schedule's job now, outside its slots (recorded as a `manual` fire; maxRunning does not apply). */
  async trigger(name: unknown): Promise<{ result: TriggerScheduleResult; job: NewJob }> {
    const schedule = assertName('name', name);
    const store = this.deps.store;
    const record = await store.getSchedule({ name: schedule });
    if (!record) throw new ScheduleNotFoundError(schedule);
    const job = manualJob(schedule, record.job, await store.now());
    const result = await store.triggerSchedule({ name: schedule, job });
    if (!result) throw new ScheduleNotFoundError(schedule);
    const { fire } = result;
    this.deps.events.emit('schedule:fired', {
      schedule,
      fireAt: fire.fireAt,
      jobId: result.job.id,
      name: job.name,
      queue: job.queue,
      lateMs: 0,
      catchUp: false,
      manual: true,
    });
    this.log.info({ schedule, jobId: result.job.id }, 'schedule triggered by hand');
    return { result, job };
  }

  async pause(name: unknown): Promise<ScheduleInfo> {
    const schedule = assertName('name', name);
    const store = this.deps.store;
    const record = await store.pauseSchedule({ name: schedule });
    if (!record) throw new ScheduleNotFoundError(schedule);
    return toScheduleInfo(record, await store.now(), 1, this.deps.declarations.has(schedule));
  }

  /**
   * Unpauses in one guarded write that also records the fires that came due
   * while paused (as one `paused` row) and moves the slot past now: resuming
   * never replays them.
   */
  async resume(name: unknown): Promise<ScheduleInfo> {
    const schedule = assertName('name', name);
    const store = this.deps.store;
    for (let attempt = 0; attempt < RESUME_ATTEMPTS; attempt++) {
      const record = await store.getSchedule({ name: schedule });
      if (!record) throw new ScheduleNotFoundError(schedule);
      const now = await store.now();
      const info = (): ScheduleInfo => toScheduleInfo(record, now, 1, this.deps.declarations.has(schedule));
      if (!record.paused) return info();
      if (record.removedAt !== null) {
        throw new ValidationError('INVALID_OPTION', 'name', `schedule "${schedule}" is removed (no process declares it): declare it again, or delete it`);
      }
      const plan = planDueFires({ trigger: record.trigger, policy: { ...record.policy, paused: true }, nextFireAt: record.nextFireAt, now });
      const result = await store.claimFire({
        schedule,
        expected: { nextFireAt: record.nextFireAt, triggerKey: record.triggerKey, paused: true },
        nextFireAt: plan.changed ? plan.nextFireAt : record.nextFireAt,
        fires: [],
        missed: plan.missed,
        maxRunning: null,
        resume: true,
      });
      if (result.outcome === 'lost') continue;
      if (result.missed) reportMissed({ events: this.deps.events, log: this.log }, result.missed);
      this.deps.scheduler.nudge();
      const after = await store.getSchedule({ name: schedule });
      if (!after) throw new ScheduleNotFoundError(schedule);
      return toScheduleInfo(after, now, 1, this.deps.declarations.has(schedule));
    }
    throw new DocketError('STORE_ERROR', `could not resume schedule "${schedule}": it kept changing under the resume (${RESUME_ATTEMPTS} attempts)`, { schedule });
  }

  /** Deletes the schedule and its fire history (its jobs stay); this process stops declaring it. */
  async delete(name: unknown): Promise<boolean> {
    const schedule = assertName('name', name);
    this.deps.declarations.remove(schedule);
    return this.deps.store.deleteSchedule({ name: schedule });
  }

  // ---------------------------------------------------------------- internals

  private async upsert(list: ResolvedSchedule[], removeUndeclared: boolean): Promise<UpsertSchedulesResult> {
    const store = this.deps.store;
    const now = await store.now();
    const declarations: ScheduleDeclaration[] = list.map((d) => {
      const initial = planInitialSlot({ trigger: d.trigger, policy: d.policy, now });
      return { ...d, triggerKey: triggerKey(d.trigger), initialNextFireAt: initial.nextFireAt, initialMissed: initial.missed };
    });
    const result = await store.upsertSchedules({ schedules: declarations, removeUndeclared });
    const reporter = { events: this.deps.events, log: this.log };
    result.schedules.forEach((r, i) => {
      const d = declarations[i]!;
      if (r.outcome !== 'kept') this.log.info({ schedule: r.name, nextFireAt: r.nextFireAt, outcome: r.outcome }, 'schedule stored');
      if (r.restored) this.log.info({ schedule: r.name }, 'a removed schedule is declared again and fires again');
      if (r.outcome !== 'kept' && d.initialMissed) {
        const m = d.initialMissed;
        reportMissed(reporter, { schedule: r.name, kind: m.reason, fireAt: m.first, lastFireAt: m.last, count: m.count, countExact: m.countExact, jobId: null, lateMs: null, catchUp: false, recordedAt: now });
      }
    });
    if (result.removed.length > 0) {
      const names = result.removed.map((r) => r.name);
      this.log.warn({ schedules: names }, `stored schedules no longer declared: ${names.join(', ')}; they do not fire (delete them with docket.deleteSchedule)`);
      for (const r of result.removed) if (r.newly) this.deps.events.emit('schedule:removed', { schedule: r.name, removedAt: r.removedAt });
    }
    this.deps.scheduler.nudge();
    return result;
  }
}
