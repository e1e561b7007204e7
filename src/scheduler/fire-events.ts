import type { Logger } from 'pino';
import type { DocketEventEmitter } from '../runtime/events.js';
import type { ClaimFireResult, ScheduleFire, ScheduleJobTemplate } from '../store/schedule-store.js';

export interface FireReporter {
  events: DocketEventEmitter;
  log: Logger;
}

/**
 * Turns what one won claim recorded into events and log lines: every
 * enqueued fire (`schedule:fired`, the lateness metric's source), fires
 * skipped by maxRunning or a pause (`schedule:skipped`), and late fires not
 * enqueued (`schedule:misfired`, logged as a warning).
 */
export function reportClaim(r: FireReporter, schedule: string, job: ScheduleJobTemplate, result: Extract<ClaimFireResult, { outcome: 'claimed' }>): void {
  for (const f of result.fired) {
    r.events.emit('schedule:fired', {
      schedule,
      fireAt: f.fireAt,
      jobId: f.jobId!,
      name: job.name,
      queue: job.queue,
      lateMs: f.lateMs ?? 0,
      catchUp: f.catchUp,
      manual: false,
    });
    if (f.catchUp) r.log.info({ schedule, fireAt: f.fireAt, lateMs: f.lateMs, jobId: f.jobId }, 'late fire enqueued (catch-up)');
    else r.log.debug({ schedule, fireAt: f.fireAt, jobId: f.jobId }, 'fired');
  }
  if (result.skipped.length > 0) {
    const first = result.skipped[0]!.fireAt;
    const last = result.skipped[result.skipped.length - 1]!.fireAt;
    const count = result.skipped.length;
    r.events.emit('schedule:skipped', { schedule, reason: 'max-running', count, countExact: true, first, last, running: result.running });
    r.log.info({ schedule, count, first, last, running: result.running }, 'fires skipped: maxRunning jobs of this schedule are waiting or active');
  }
  if (result.missed) reportMissed(r, result.missed);
  if (result.duplicates.length > 0) r.log.debug({ schedule, fireTimes: result.duplicates }, 'fire times already recorded; not enqueued again');
}

/** A summary row of fires not enqueued: a misfire/coalesced range, or the fires a pause skipped. */
export function reportMissed(r: FireReporter, m: ScheduleFire): void {
  const range = { schedule: m.schedule, count: m.count, countExact: m.countExact, first: m.fireAt, last: m.lastFireAt };
  if (m.kind === 'misfire' || m.kind === 'coalesced') {
    r.events.emit('schedule:misfired', { ...range, reason: m.kind });
    r.log.warn({ ...range, reason: m.kind }, m.kind === 'misfire' ? 'misfire: fires later than misfireGraceMs were not enqueued' : 'late fires coalesced into one job');
  } else if (m.kind === 'paused') {
    r.events.emit('schedule:skipped', { ...range, reason: 'paused', running: null });
    r.log.info(range, 'fires that came due while paused were skipped');
  }
}
