import type { Logger } from 'pino';
import type { EnqueueOptions } from '../../core/config.js';
import type { Docket } from '../../docket.js';
import type { JobAdminApi } from '../../jobs/job-admin.js';
import type { DocketEventName, DocketListener } from '../../runtime/events.js';
import type { ScheduleDetails, ScheduleInfo } from '../../scheduler/schedule-info.js';

/**
 * What the admin API and the dashboard need of a Docket: its public surface,
 * structurally, so the admin layer depends on nothing else (and a test may
 * pass a wrapper). Everything goes through the Docket: job reads and operator
 * actions through its job admin (`docket.jobs`, src/jobs/job-admin.ts), the
 * schedules through its schedule methods. No store here: the admin layer
 * never reaches past the Docket.
 */
export interface AdminDocket {
  /** Jobs, queues, workers, stats: reads and operator actions (cancel, retry, run now, delete, pause). */
  readonly jobs: JobAdminApi;
  /** Per-queue settings of this process (the queues routes show concurrency). */
  readonly config?: { readonly queues: Readonly<Record<string, { readonly concurrency: number | null }>> };
  readonly logger?: Logger;
  /** True while `start()` waits for an unreachable store: every request answers 503 NOT_STARTED ("starting") meanwhile. */
  readonly waitingForStore?: boolean;
  enqueue(name: string, data: unknown, options?: EnqueueOptions): Promise<{ id: string; created: boolean }>;
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
