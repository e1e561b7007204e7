import { expect } from 'vitest';
import type { ClaimedJob, JobFailure, JobRecord, NewJob } from '../../core/job.js';
import type { AttemptOutcome, TransitionResult } from '../../core/outcome.js';
import type { Store, StoreNotification } from '../store.js';

export const JOB_NAME = 'conformance-job';
export const QUEUE = 'default';

/** A valid NewJob; override what the test is about. */
export function newJob(overrides: Partial<NewJob> & { data?: unknown } = {}): NewJob {
  const { data, ...rest } = overrides;
  return {
    name: JOB_NAME,
    queue: QUEUE,
    dataJson: JSON.stringify(data ?? {}),
    priority: 0,
    delayMs: 0,
    runAt: null,
    maxAttempts: 3,
    timeoutMs: null,
    idempotencyKey: null,
    keepKeyForever: false,
    releaseKeyOnFailure: false,
    scheduleName: null,
    fireTime: null,
    ...rest,
  };
}

export async function enqueueOne(store: Store, overrides: Partial<NewJob> & { data?: unknown } = {}): Promise<JobRecord> {
  const [r] = await store.enqueue({ jobs: [newJob(overrides)] });
  expect(r?.job).toBeTruthy();
  return r!.job!;
}

export async function enqueueMany(store: Store, n: number, overrides: (i: number) => Partial<NewJob> & { data?: unknown } = () => ({})): Promise<JobRecord[]> {
  const results = await store.enqueue({ jobs: Array.from({ length: n }, (_, i) => newJob(overrides(i))) });
  return results.map((r) => r.job!);
}

export interface ClaimOptions {
  queue?: string;
  queues?: Array<{ queue: string; limit: number }>;
  limit?: number;
  names?: string[];
  leaseMs?: number;
  workerId?: string;
}

export function claim(store: Store, o: ClaimOptions = {}): Promise<ClaimedJob[]> {
  return store.claimJobs({
    workerId: o.workerId ?? 'worker-1',
    queues: o.queues ?? [{ queue: o.queue ?? QUEUE, limit: o.limit ?? 1 }],
    names: o.names ?? [JOB_NAME],
    leaseMs: o.leaseMs ?? 30_000,
  });
}

/** Claims exactly the job with this id (it must be the only runnable job of its queue, or first in line): reserved, not started. */
export async function reserveJob(store: Store, job: JobRecord, o: ClaimOptions = {}): Promise<ClaimedJob> {
  const claimed = await claim(store, { queue: job.queue, names: [job.name], ...o });
  expect(claimed.map((c) => c.id)).toEqual([job.id]);
  return claimed[0]!;
}

/** Records that a reserved job's handler started `startedAgoMs` ago (reserved -> active). */
export async function start(store: Store, job: ClaimedJob, startedAgoMs = 0): Promise<TransitionResult> {
  const [r] = await store.applyTransitions({ transitions: [{ jobId: job.id, leaseToken: job.leaseToken, startedAgoMs, outcome: null }] });
  return r!;
}

/**
 * Claims exactly the job with this id and starts it, as a worker does: it is
 * `active`, its attempt counted. Returns it as stored then.
 */
export async function claimJob(store: Store, job: JobRecord, o: ClaimOptions = {}): Promise<ClaimedJob> {
  const reserved = await reserveJob(store, job, o);
  expect(await start(store, reserved)).toBe('applied');
  const running = (await store.getJob({ jobId: job.id }))!;
  expect(running).toMatchObject({ state: 'active', reserved: false, leaseToken: reserved.leaseToken, attempt: reserved.attempt + 1 });
  return running as ClaimedJob;
}

export async function settle(store: Store, job: ClaimedJob, outcome: AttemptOutcome): Promise<TransitionResult> {
  const [r] = await store.applyTransitions({ transitions: [{ jobId: job.id, leaseToken: job.leaseToken, outcome }] });
  return r!;
}

/** Enqueues, claims and ends a job with the outcome; returns the job as stored after. */
export async function runToOutcome(store: Store, outcome: AttemptOutcome, overrides: Partial<NewJob> & { data?: unknown } = {}): Promise<JobRecord> {
  const job = await enqueueOne(store, overrides);
  const claimed = await claimJob(store, job);
  expect(await settle(store, claimed, outcome)).toBe('applied');
  return (await store.getJob({ jobId: job.id }))!;
}

export function failure(message = 'boom', attempt = 1, at = new Date()): JobFailure {
  return { message, name: 'Error', code: 'E_TEST', stack: `Error: ${message}\n    at test`, attempt, at };
}

/** Everything a caller can observe, for "a rejection changed nothing". */
export async function snapshot(store: Store): Promise<unknown> {
  const jobs: JobRecord[] = [];
  let cursor: string | null = null;
  do {
    const page = await store.listJobs({ limit: 200, order: 'asc', cursor });
    jobs.push(...page.jobs);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return { jobs, counts: await store.countJobs(), queues: await store.listQueues() };
}

export async function expectUnchanged(store: Store, action: () => Promise<unknown>): Promise<void> {
  const before = await snapshot(store);
  await action();
  expect(await snapshot(store)).toEqual(before);
}

/** Expects a rejection with a docket error code; returns the error. */
export async function expectCode(promise: Promise<unknown>, code: string): Promise<Error & { code: string }> {
  const e = await promise.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e, `expected a rejection with code ${code}`).toBeInstanceOf(Error);
  expect((e as { code?: unknown }).code).toBe(code);
  return e as Error & { code: string };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Resolves with the first notification matching, or rejects after `timeoutMs` (delivery may be async). */
export function nextNotification(store: Store, match: (n: StoreNotification) => boolean, timeoutMs = 5_000): { promise: Promise<StoreNotification>; cancel: () => void } {
  let unsubscribe = (): void => {};
  let timer: ReturnType<typeof setTimeout> | undefined;
  const promise = new Promise<StoreNotification>((resolve, reject) => {
    unsubscribe = store.subscribe((n) => {
      if (!match(n)) return;
      unsubscribe();
      clearTimeout(timer);
      resolve(n);
    });
    timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`no matching notification within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  return {
    promise,
    cancel: () => {
      unsubscribe();
      clearTimeout(timer);
    },
  };
}

export async function storeNow(store: Store): Promise<number> {
  return (await store.now()).getTime();
}
