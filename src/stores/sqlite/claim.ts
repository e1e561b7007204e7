import type Database from 'better-sqlite3';
import type { ClaimedJob } from '../../core/job.js';
import type { ClaimParams } from '../../store/store.js';
import { SQL } from './queries.js';
import { jsonToClaimed } from './job-rows.js';

type Prepare = (sql: string, pluck?: boolean) => Database.Statement;

/**
 * The writes of a claim (the caller holds the write transaction): one
 * UPDATE ... RETURNING per queue that is not paused. Returns the rows as
 * CLAIMED_JSON strings.
 */
export function claimRows(params: ClaimParams, queues: ReadonlyArray<{ queue: string; limit: number }>, now: number, prepare: Prepare): string[] {
  const names = JSON.stringify(params.names);
  const paused = prepare(SQL.claimJobs.queuePaused, true);
  const claim = prepare(SQL.claimJobs.claimFromQueue, true);
  const out: string[] = [];
  for (const { queue, limit } of queues) {
    if (paused.get(queue) === 1) continue;
    for (const json of claim.all(now + params.leaseMs, params.workerId, queue, now, names, limit) as string[]) out.push(json);
  }
  return out;
}

/** The claimed jobs, in claim order (RETURNING order is unspecified). */
export function claimedJobs(rows: string[], params: ClaimParams, now: number): ClaimedJob[] {
  const leaseExpiresAt = now + params.leaseMs;
  const jobs = rows.map((json) => jsonToClaimed(json, leaseExpiresAt, params.workerId));
  return jobs.sort((a, b) => b.priority - a.priority || a.runAt.getTime() - b.runAt.getTime() || Number(a.id) - Number(b.id));
}
