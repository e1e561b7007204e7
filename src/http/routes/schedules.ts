/**
 * Schedules routes: NOT BUILT YET. This file is where they go once the
 * scheduler is wired into the Docket (docket.listSchedules, trigger, pause,
 * resume). Until then the API has no schedule routes at all (no stub answers).
 *
 * Planned, following the other route files (apiRoute + guard, registered
 * from createAdminApp in app.ts):
 *
 *   GET  /api/v1/schedules                  read   trigger (cron/every/at), time zone, paused,
 *                                                   next N fire times (?next=N, default 5),
 *                                                   last fires with lateness, misfires
 *   GET  /api/v1/schedules/{name}           read   one schedule; 404 SCHEDULE_NOT_FOUND
 *   POST /api/v1/schedules/{name}/trigger   admin  enqueue its job now (201 with the job)
 *   POST /api/v1/schedules/{name}/pause     admin
 *   POST /api/v1/schedules/{name}/resume    admin
 *
 * Also to wire then: schedule events into event-stream.ts (FORWARDED_EVENTS),
 * and each fire's lateness into AdminMetrics.observeScheduleLateness (the
 * `docket_schedule_lateness_seconds` histogram already exists).
 */
export {};
