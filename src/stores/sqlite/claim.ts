import type Database from 'better-sqlite3';
import type { ClaimedJob } from '../../core/job.js';
import type { ClaimParams } from '../../store/store.js';
import { SQL } from './queries.js';
import { isUnrenderable, jsonToClaimed, rawRowToJob } from './job-rows.js';

type Prepare = (sql: string, pluck?: boolean) => Database.Statement;

/** What a claim took: CLAIMED_JSON strings, and jobs reserved although their row cannot be rendered (to be failed). */
export interface ClaimRows {
  rows: string[];
  unreadable: ClaimedJob[];
}

/**
 * The writes of a claim (the caller holds the write transaction): one
 * UPDATE ... RETURNING per queue that is not paused.
 */
export function claimRows(params: ClaimParams, queues: ReadonlyArray<{ queue: string; limit: number }>, now: number, prepare: Prepare): ClaimRows {
  const names = JSON.stringify(params.names);
  const paused = prepare(SQL.claimJobs.queuePaused, true);
  const out: ClaimRows = { rows: [], unreadable: [] };
  for (const { queue, limit } of queues) {
    if (paused.get(queue) === 1) continue;
    claimFromQueue(params, queue, limit, names, now, prepare, out);
  }
  return out;
}

/**
 * The claim of one queue. The statement renders each row with SQLite's JSON
 * functions, so one row whose data, result or error is not JSON fails it
 * as a whole (issue 11: that stopped every queue). Then, off the hot path,
 * the rows the claim would take are rendered one by one; those that fail
 * are reserved on their own and returned as `unreadable` (read column by
 * column) for the caller to fail; the claim runs again without them. (A
 * failed statement is rolled back by SQLite alone; the transaction goes on.)
 */
function claimFromQueue(params: ClaimParams, queue: string, limit: number, names: string, now: number, prepare: Prepare, out: ClaimRows): void {
  const claim = prepare(SQL.claimJobs.claimFromQueue, true);
  const expires = now + params.leaseMs;
  for (let left = limit, tries = 0; left > 0; tries++) {
    try {
      for (const json of claim.all(expires, params.workerId, queue, now, names, left) as string[]) out.rows.push(json);
      return;
    } catch (e) {
      if (!isUnrenderable(e) || tries >= 3) throw e;
    }
    const candidates = prepare(SQL.claimJobs.candidates, true).all(queue, now, names, left) as number[];
    const render = prepare(`SELECT ${SQL.claimJobs.renderClaimed} FROM docket_jobs WHERE id = ?`, true);
    let found = 0;
    for (const id of candidates) {
      let why: string;
      try {
        render.get(id);
        continue;
      } catch (e) {
        if (!isUnrenderable(e)) throw e;
        why = (e as Error).message;
      }
      const token = prepare(SQL.claimJobs.reserveOne, true).get(expires, params.workerId, id) as string | undefined;
      if (token === undefined) continue;
      const job = rawRowToJob(prepare(SQL.claimJobs.rawRow).get(id) as Record<string, unknown>, now);
      job.unreadable ??= { fields: ['row'], message: `row: SQLite cannot render it (${why})` };
      out.unreadable.push({ ...job, leaseToken: token, leaseExpiresAt: new Date(expires), workerId: params.workerId, cancelRequested: false, reserved: true, state: 'waiting' });
      found++;
    }
    // Nothing unrenderable among them: the error was something else; let the next try throw it.
    if (found === 0) tries = 3;
    left -= found;
  }
}

/** The claimed jobs, in claim order (RETURNING order is unspecified). */
export function claimedJobs(claimed: ClaimRows, params: ClaimParams, now: number): ClaimedJob[] {
  const leaseExpiresAt = now + params.leaseMs;
  const jobs = claimed.rows.map((json) => jsonToClaimed(json, leaseExpiresAt, params.workerId));
  for (const j of claimed.unreadable) jobs.push(j);
  return jobs.sort((a, b) => b.priority - a.priority || a.runAt.getTime() - b.runAt.getTime() || Number(a.id) - Number(b.id));
}
