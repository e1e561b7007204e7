import type { Docket } from '../../docket.js';
import type { AdminDocket } from '../kit/admin-port.js';
import type { ScheduleDetails, ScheduleInfo } from '../../scheduler/schedule-info.js';

/**
 * What the dashboard needs of a Docket: the admin API's port plus the
 * schedule operations. Those are optional so that an AdminDocket wrapper
 * without a scheduler still gets a dashboard (the Schedules page then says
 * the scheduler API is not available).
 */
export interface DashboardDocket extends AdminDocket {
  listSchedules?(options?: { nextFires?: number }): Promise<ScheduleInfo[]>;
  getSchedule?(name: string, options?: { nextFires?: number; recentFires?: number }): Promise<ScheduleDetails | null>;
  triggerSchedule?(name: string): Promise<{ id: string; created: boolean }>;
  pauseSchedule?(name: string): Promise<ScheduleInfo>;
  resumeSchedule?(name: string): Promise<ScheduleInfo>;
}

/** The schedule half, present. */
export type ScheduleApi = Required<Pick<DashboardDocket, 'listSchedules' | 'getSchedule' | 'triggerSchedule' | 'pauseSchedule' | 'resumeSchedule'>>;

export function scheduleApi(docket: DashboardDocket): ScheduleApi | null {
  const d = docket as Partial<ScheduleApi>;
  if (!d.listSchedules || !d.getSchedule || !d.triggerSchedule || !d.pauseSchedule || !d.resumeSchedule) return null;
  return {
    listSchedules: d.listSchedules.bind(docket),
    getSchedule: d.getSchedule.bind(docket),
    triggerSchedule: d.triggerSchedule.bind(docket),
    pauseSchedule: d.pauseSchedule.bind(docket),
    resumeSchedule: d.resumeSchedule.bind(docket),
  };
}

// A Docket must always fit the port (with its schedule half): this fails to compile when they drift apart.
export type DocketFitsDashboard = Docket extends DashboardDocket & ScheduleApi ? true : never;
const _docketFits: DocketFitsDashboard = true;
void _docketFits;
