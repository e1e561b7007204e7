import { expect } from 'vitest';
import type { NewJob } from '../../core/job.js';
import { fireKey, resolveSchedulePolicy, triggerKey, type MissedFires, type SchedulePolicyInput } from '../../core/schedule.js';
import { parseTrigger, type TriggerInput } from '../../core/schedule-trigger.js';
import type { ClaimFireParams, FireToClaim, ScheduleDeclaration, ScheduleJobTemplate, ScheduleState } from '../schedule-store.js';
import type { Store } from '../store.js';
import { JOB_NAME, QUEUE } from './helpers.js';

export const MINUTE = 60_000;

export function template(overrides: Partial<ScheduleJobTemplate> = {}): ScheduleJobTemplate {
  return { name: JOB_NAME, queue: QUEUE, dataJson: '{"from":"schedule"}', priority: 0, maxAttempts: 3, timeoutMs: null, ...overrides };
}

export interface DeclareOptions {
  trigger?: TriggerInput;
  policy?: SchedulePolicyInput;
  job?: Partial<ScheduleJobTemplate>;
  initialNextFireAt?: Date | null;
  initialMissed?: MissedFires | null;
}

/** A valid declaration: every minute (epoch-anchored), default policy, first slot a minute from `base`. */
export function declaration(name: string, base: number, o: DeclareOptions = {}): ScheduleDeclaration {
  const trigger = parseTrigger(o.trigger ?? { every: '1m' });
  return {
    name,
    trigger,
    triggerKey: triggerKey(trigger),
    policy: resolveSchedulePolicy(o.policy ?? {}),
    job: template(o.job),
    initialNextFireAt: o.initialNextFireAt === undefined ? new Date(base + MINUTE) : o.initialNextFireAt,
    initialMissed: o.initialMissed ?? null,
  };
}

/** The job a fire enqueues, as the scheduler builds it. */
export function fireJob(schedule: string, fireAt: Date, t: ScheduleJobTemplate = template()): NewJob {
  return {
    name: t.name,
    queue: t.queue,
    dataJson: t.dataJson,
    priority: t.priority,
    delayMs: 0,
    runAt: fireAt,
    maxAttempts: t.maxAttempts,
    timeoutMs: t.timeoutMs,
    idempotencyKey: fireKey(schedule, fireAt),
    keepKeyForever: false,
    releaseKeyOnFailure: false,
    scheduleName: schedule,
    fireTime: fireAt,
  };
}

export function fire(schedule: string, fireAt: number, o: { lateMs?: number; catchUp?: boolean } = {}): FireToClaim {
  const at = new Date(fireAt);
  return { fireAt: at, runAt: at, lateMs: o.lateMs ?? 0, catchUp: o.catchUp ?? false, job: fireJob(schedule, at) };
}

/** A claim of `fires` from the schedule's current state, moving the slot to `next`. */
export function claimOf(state: ScheduleState, fires: number[], next: number | null, extra: Partial<ClaimFireParams> = {}): ClaimFireParams {
  return {
    schedule: state.name,
    expected: { nextFireAt: state.nextFireAt, triggerKey: state.triggerKey, paused: state.paused },
    nextFireAt: next === null ? null : new Date(next),
    fires: fires.map((t) => fire(state.name, t)),
    missed: null,
    maxRunning: null,
    ...extra,
  };
}

export async function stateOf(store: Store, name: string): Promise<ScheduleState> {
  const s = await store.getSchedule({ name });
  expect(s, `schedule ${name} exists`).not.toBeNull();
  return s!;
}

/** The jobs of one schedule, oldest first. */
export async function scheduleJobs(store: Store, name: string): Promise<Array<{ id: string; fireTime: number | null; state: string }>> {
  const page = await store.listJobs({ scheduleName: name, order: 'asc', limit: 1_000 });
  return page.jobs.map((j) => ({ id: j.id, fireTime: j.fireTime?.getTime() ?? null, state: j.state }));
}

/** A minute boundary at least 10 minutes before the store's now, so fires there are due. */
export async function pastMinute(store: Store): Promise<number> {
  const now = (await store.now()).getTime();
  return Math.floor(now / MINUTE) * MINUTE - 10 * MINUTE;
}
