import type { Logger } from 'pino';
import type { EnqueueOptions } from '../../core/config.js';
import type { JobRecord } from '../../core/job.js';
import type { Docket } from '../../docket.js';
import type { DocketEventName, DocketListener } from '../../runtime/events.js';
import type { ScheduleDetails, ScheduleInfo } from '../../scheduler/schedule-info.js';
import type { CancelResult, Store } from '../../store/store.js';

/**
 * What the admin API needs of a Docket: its public surface, structurally, so
 * the HTTP layer depends on nothing else (and a test may pass a wrapper).
 * Operations the Docket has go through it (it validates and emits events);
 * the rest (counts, workers, promote, delete, stats) read the Store.
 */
export interface AdminDocket {
  readonly store: Store;
  /** Per-queue settings of this process (the queues routes show concurrency). */
  readonly config?: { readonly queues: Readonly<Record<string, { readonly concurrency: number | null }>> };
  readonly logger?: Logger;
  enqueue(name: string, data: unknown, options?: EnqueueOptions): Promise<{ id: string; created: boolean }>;
  /** Throws JobNotFoundError for an unknown id. */
  cancel(jobId: string, options?: { reason?: string }): Promise<Exclude<CancelResult, { outcome: 'not_found' }>>;
  /** Finished -> waiting; JobNotFoundError / InvalidTransitionError otherwise. */
  retry(jobId: string): Promise<JobRecord>;
  pauseQueue(queue: string): Promise<void>;
  resumeQueue(queue: string): Promise<void>;
  on<E extends DocketEventName>(event: E, listener: DocketListener<E>): () => void;
  // The schedule operations (a Docket has them all). Optional so that a wrapper
  // without a scheduler still gets the rest of the API; the schedules routes are
  // then not mounted (404 ROUTE_NOT_FOUND).
  listSchedules?(options?: { nextFires?: number }): Promise<ScheduleInfo[]>;
  /** Null for an unknown schedule. */
  getSchedule?(name: string, options?: { nextFires?: number; recentFires?: number }): Promise<ScheduleDetails | null>;
  /** ScheduleNotFoundError for an unknown schedule. */
  triggerSchedule?(name: string): Promise<{ id: string; created: boolean }>;
  pauseSchedule?(name: string): Promise<ScheduleInfo>;
  resumeSchedule?(name: string): Promise<ScheduleInfo>;
  /** False when there was none. */
  deleteSchedule?(name: string): Promise<boolean>;
}

// A Docket must always fit the port: this line fails to compile when they drift apart.
export type DocketFitsPort = Docket extends AdminDocket ? true : never;
const _docketFitsPort: DocketFitsPort = true;
void _docketFitsPort;
