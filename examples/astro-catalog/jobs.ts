/**
 * The three jobs of the seed's `catalog-updates` queue, with the seed's retry
 * and retention policy.
 */
import type { Docket } from 'docket';
import type { CometCatalog } from './catalog.js';
import { fetchComets } from './cobs.js';

export const QUEUE = 'catalog-updates';
export const WEEKLY_SCHEDULE = 'update-comets-weekly';
/** Every Sunday at midnight (UTC). */
export const WEEKLY_CRON = '0 0 * * 0';
export const DEFAULT_MAX_MAGNITUDE = 15;
export const DEFAULT_DAYS_OLD = 30;

/** "Max Attempts: 3; Backoff: Exponential (5s, 25s, 125s)": 5 s × 5^(n-1), no jitter, as BullMQ's exponential backoff has none. */
export const RETRY = { maxAttempts: 3, retry: { backoff: { type: 'exponential', delayMs: 5_000, factor: 5 }, jitter: 0 } } as const;

/** "Logs: last 100 completed jobs kept; Error Logs: last 50 failed jobs kept" (by count only, like BullMQ's removeOnComplete/removeOnFail). */
export const RETENTION = { completed: { maxCount: 100, maxAgeMs: null }, failed: { maxCount: 50, maxAgeMs: null } };

export interface JobDeps {
  docket: Docket;
  catalog: CometCatalog;
  /** Base URL of the COBS API (`…/api`, where comet_list.api lives). */
  cobsApiUrl: () => string;
}

const DAY = 24 * 60 * 60_000;

export function defineJobs({ docket, catalog, cobsApiUrl }: JobDeps) {
  const now = () => new Date(docket.clock.now());

  const updateComets = docket.defineJob('update-comets', {
    queue: QUEUE, timeoutMs: 10 * 60_000, ...RETRY,
    async handler(data: { maxMagnitude: number }, ctx) {
      // progress in percent, as BullMQ's job.updateProgress(n) had it
      ctx.progress(0, 100, 'fetching the comet list from COBS');
      const comets = await fetchComets(cobsApiUrl(), data.maxMagnitude, ctx.signal, (page, pages) => ctx.progress(Math.round((90 * page) / pages), 100, `fetched page ${page} of ${pages}`));
      const { added, updated } = catalog.upsert(comets, now());
      ctx.progress(100, 100, `${comets.length} comets saved`);
      const brightest = comets.reduce<(typeof comets)[number] | null>((b, c) => (!b || c.current_mag < b.current_mag ? c : b), null);
      return { success: true, maxMagnitude: data.maxMagnitude, fetched: comets.length, added, updated, brightest: brightest && { name: brightest.fullname, magnitude: brightest.current_mag } };
    },
  });

  const scheduleRecurringComets = docket.defineJob('schedule-recurring-comets', {
    queue: QUEUE, ...RETRY,
    async handler(data: { maxMagnitude: number }, ctx) {
      // Stored in the store at once; re-running it keeps the schedule's next fire (same trigger).
      // The app declares no schedules at start, so a restart keeps this one (see README).
      await docket.schedule(WEEKLY_SCHEDULE, { cron: WEEKLY_CRON, timezone: 'UTC' }, { job: updateComets, data: { maxMagnitude: data.maxMagnitude }, maxRunning: 1 });
      const schedule = await docket.getSchedule(WEEKLY_SCHEDULE, { nextFires: 3, recentFires: 0 });
      ctx.progress(100, 100, `${WEEKLY_SCHEDULE} stored`);
      return { success: true, schedule: WEEKLY_SCHEDULE, pattern: WEEKLY_CRON, tz: 'UTC', maxMagnitude: data.maxMagnitude, nextRuns: schedule?.nextFires.map((d) => d.toISOString()) ?? [] };
    },
  });

  const cleanupOldData = docket.defineJob('cleanup-old-data', {
    queue: QUEUE, ...RETRY,
    async handler(data: { daysOld: number }, ctx) {
      const cutoff = new Date(now().getTime() - data.daysOld * DAY);
      const deleted = catalog.deleteNotSeenSince(cutoff);
      ctx.progress(100, 100, `${deleted} stale comets removed`);
      return { success: true, daysOld: data.daysOld, cutoff: cutoff.toISOString(), deleted, remaining: catalog.count() };
    },
  });

  return { updateComets, scheduleRecurringComets, cleanupOldData };
}

export type CatalogJobs = ReturnType<typeof defineJobs>;
