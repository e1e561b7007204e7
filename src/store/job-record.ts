import type { JobRecord, NewJob } from '../core/job.js';

/**
 * The record of a job a store has just inserted, built from its input rather
 * than read back: its id, its parsed payload (checkNewJobs's result), the
 * store's now at the insert and the run time the store computed from it
 * (`runAt`, else now + delayMs, in the store's own arithmetic). Every store
 * returns exactly what getJob would read for it.
 */
export function newJobRecord(job: NewJob, id: string, data: unknown, runAtMs: number, nowMs: number): JobRecord {
  return {
    id,
    name: job.name,
    queue: job.queue,
    data,
    state: runAtMs > nowMs ? 'delayed' : 'waiting',
    reserved: false,
    priority: job.priority,
    runAt: new Date(runAtMs),
    createdAt: new Date(nowMs),
    startedAt: null,
    finishedAt: null,
    attempt: 0,
    maxAttempts: job.maxAttempts,
    timeoutMs: job.timeoutMs,
    stalls: 0,
    leaseToken: null,
    leaseExpiresAt: null,
    workerId: null,
    cancelRequested: false,
    progress: null,
    result: null,
    error: null,
    idempotencyKey: job.idempotencyKey,
    scheduleName: job.scheduleName,
    fireTime: job.fireTime === null ? null : new Date(job.fireTime.getTime()),
  };
}
