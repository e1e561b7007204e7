import type { NewJob } from '../core/job.js';
import { fireKey, type PlannedFire } from '../core/schedule-plan.js';
import type { ScheduleJobTemplate } from '../store/schedule-store.js';

/**
 * The job one fire enqueues: the schedule's stored job, run at the fire's
 * runAt (its time, or now if that passed, plus jitter), carrying the fire's
 * identity as idempotency key, so even a store bug could not enqueue one
 * fire twice while the first job exists.
 */
export function jobForFire(schedule: string, job: ScheduleJobTemplate, fire: PlannedFire): NewJob {
  return {
    ...fromTemplate(job),
    runAt: fire.runAt,
    idempotencyKey: fireKey(schedule, fire.fireAt),
    scheduleName: schedule,
    fireTime: fire.fireAt,
  };
}

/** Trigger-now: runnable at once, no idempotency key (each trigger is its own job); fireTime is when it was triggered. */
export function manualJob(schedule: string, job: ScheduleJobTemplate, at: Date): NewJob {
  return { ...fromTemplate(job), runAt: null, idempotencyKey: null, scheduleName: schedule, fireTime: at };
}

function fromTemplate(job: ScheduleJobTemplate): NewJob {
  return {
    name: job.name,
    queue: job.queue,
    dataJson: job.dataJson,
    priority: job.priority,
    delayMs: 0,
    runAt: null,
    maxAttempts: job.maxAttempts,
    timeoutMs: job.timeoutMs,
    idempotencyKey: null,
    keepKeyForever: false,
    releaseKeyOnFailure: false,
    scheduleName: null,
    fireTime: null,
  };
}
