import type { Logger } from 'pino';
import type { JobFailure, JobProgress } from '../core/job.js';

/** What every job event says about the job it concerns. */
export interface JobEventBase {
  jobId: string;
  name: string;
  queue: string;
}

/**
 * What an isolated attempt (worker thread or child process) used, measured
 * where it ran. `cpuMs`: CPU time of its thread (thread) or process (process)
 * during the attempt. `peakHeapBytes`: the V8 heap's high-water mark during the
 * attempt (sampled every 50 ms while its event loop is free, and at the end).
 * `peakRssBytes`: the child process's peak RSS (its lifetime peak, so an upper
 * bound when the process ran earlier jobs); null for threads, which share the
 * worker's RSS. Null on the events of in-process attempts, and of attempts whose
 * thread or process was ended under them.
 */
export interface AttemptUsage {
  isolation: 'thread' | 'process';
  cpuMs: number;
  peakHeapBytes: number;
  peakRssBytes: number | null;
}

/**
 * The typed `noun:verb` events a Docket emits, in-process only. Job events
 * come from the process that did the thing (the worker that ran the job, the
 * caller that enqueued or cancelled it); other processes see the store.
 */
export interface DocketEvents {
  'job:enqueued': JobEventBase & { created: boolean };
  /**
   * `waitMs`: how long the attempt waited to start once runnable: from runAt
   * to the handler's start, including up to ~50 ms in this worker's
   * claim-ahead buffer (never negative). The wait-time metric's source.
   */
  'job:started': JobEventBase & { attempt: number; workerId: string; waitMs: number };
  /** Coalesced: emitted when progress is written, at most every `worker.progressFlushMs`. */
  'job:progress': JobEventBase & { progress: Omit<JobProgress, 'updatedAt'> };
  /** `result` is the value the handler returned (what is stored is its JSON). */
  'job:completed': JobEventBase & { attempt: number; result: unknown; durationMs: number; usage: AttemptUsage | null };
  /** `durationMs` (here and on job:failed): the attempt's run time as its worker measured it, as on job:completed. */
  'job:retrying': JobEventBase & { attempt: number; error: JobFailure; delayMs: number; durationMs: number; usage: AttemptUsage | null };
  'job:failed': JobEventBase & { attempt: number; error: JobFailure; durationMs: number; usage: AttemptUsage | null };
  'job:cancelled': JobEventBase & { reason: string };
  'job:snoozed': JobEventBase & { attempt: number; delayMs: number };
  /** Graceful shutdown put an unfinished job straight back to `waiting`. */
  'job:released': JobEventBase & { attempt: number };
  /** The rescuer found the job's lease expired (its worker vanished). */
  'job:stalled': { jobId: string; outcome: 'requeued' | 'failed' };
  /** This worker no longer holds the job's lease; the attempt's outcome is discarded. */
  'job:lease-lost': JobEventBase & { attempt: number };
  'worker:started': { workerId: string; queues: string[]; concurrency: number };
  'worker:stopped': { workerId: string };
  /** A store call of the worker failed; it retries on its own. */
  'worker:error': { workerId: string; operation: string; error: unknown };
  /** A rescuer or pruner pass failed; it runs again at its next interval. */
  'maintenance:error': { task: 'rescue' | 'prune'; error: unknown };
  /**
   * This process enqueued a schedule's job: a fire it claimed (`manual: false`)
   * or trigger-now (`manual: true`). `lateMs` is how long after `fireAt` the
   * job was enqueued (the lateness metric); `catchUp` marks a fire enqueued
   * although later than misfireGraceMs (catchUp `latest` / `all`).
   */
  'schedule:fired': ScheduleEventBase & { fireAt: Date; jobId: string; name: string; queue: string; lateMs: number; catchUp: boolean; manual: boolean };
  /** Fires later than misfireGraceMs that were not enqueued: `misfire` (skip, or beyond catchUpMax) or `coalesced` into the one `latest` enqueued. */
  'schedule:misfired': ScheduleEventBase & ScheduleFireRange & { reason: 'misfire' | 'coalesced' };
  /** Fires not enqueued because `maxRunning` jobs of the schedule were waiting/active, or because it was paused (recorded at resume). */
  'schedule:skipped': ScheduleEventBase & ScheduleFireRange & { reason: 'max-running' | 'paused'; running: number | null };
  /** A stored schedule no process declares any more was marked removed (it stops firing; it stays listed). */
  'schedule:removed': ScheduleEventBase & { removedAt: Date };
  /** A scheduler store call failed; it tries again at its next tick. */
  'scheduler:error': { operation: string; schedule: string | null; error: unknown };
}

export interface ScheduleEventBase {
  schedule: string;
}

/** `count` fires from `first` to `last` (`countExact` false: count is a lower bound). */
export interface ScheduleFireRange {
  count: number;
  countExact: boolean;
  first: Date;
  last: Date;
}

export type DocketEventName = keyof DocketEvents;
export type DocketListener<E extends DocketEventName> = (event: DocketEvents[E]) => void;

/**
 * A small typed emitter. A listener that throws is logged and does not stop
 * the others, nor the worker that emitted.
 */
export class DocketEventEmitter {
  private readonly listeners = new Map<DocketEventName, Set<(event: never) => void>>();

  constructor(private readonly logger?: Logger) {}

  /** Adds a listener; returns a function that removes it. */
  on<E extends DocketEventName>(event: E, listener: DocketListener<E>): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as (event: never) => void);
    return () => this.off(event, listener);
  }

  once<E extends DocketEventName>(event: E, listener: DocketListener<E>): () => void {
    const off = this.on(event, (e) => {
      off();
      listener(e);
    });
    return off;
  }

  off<E extends DocketEventName>(event: E, listener: DocketListener<E>): void {
    this.listeners.get(event)?.delete(listener as (event: never) => void);
  }

  /** Whether anyone listens: lets hot paths skip building an event. */
  has(event: DocketEventName): boolean {
    return (this.listeners.get(event)?.size ?? 0) > 0;
  }

  emit<E extends DocketEventName>(event: E, payload: DocketEvents[E]): void {
    const set = this.listeners.get(event);
    if (!set || set.size === 0) return;
    for (const listener of [...set]) {
      try {
        (listener as DocketListener<E>)(payload);
      } catch (error) {
        this.logger?.error({ err: error, event }, 'an event listener threw');
      }
    }
  }
}
