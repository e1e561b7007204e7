import { FINISHED_STATES } from '../../core/job.js';

/**
 * All SQL of the SQLite store, named after the Store method that runs it.
 * Times are integer ms from the store's clock, bound as parameters (never
 * SQLite's own time functions), so an injected clock decides.
 *
 * Invariants the statements keep (the indexes rely on them):
 *   lease_expires_at IS NOT NULL  <=>  state = 'active'
 *   finished_at IS NOT NULL       <=>  state IN ('completed', 'failed', 'cancelled')
 *   a runnable row (waiting/delayed) reads as waiting iff run_at <= now (exactly when a claim may take it)
 */

/**
 * A job as one JSON array (see rows.ts for the positions). One string per row
 * is much cheaper for the driver than a 27-property object, and data, result
 * and error arrive already embedded, parsed once by JSON.parse.
 */
export const JOB_JSON = `json_array(id, name, queue, json(data), state, priority, run_at, created_at, started_at,
  finished_at, attempt, max_attempts, timeout_ms, stalls, lease_token, lease_expires_at, worker_id, cancel_requested,
  progress_current, progress_total, progress_message, progress_updated_at, json(result), json(error), idempotency_key,
  schedule_name, fire_time)`;

/**
 * A just-claimed job: JOB_JSON without what the claim itself decides (state,
 * started_at, lease expiry, worker, cancel flag) or what is always empty then
 * (finished_at, result). The claim is the hot path; every column costs.
 */
export const CLAIMED_JSON = `json_array(id, name, queue, json(data), priority, run_at, created_at, attempt, max_attempts,
  timeout_ms, stalls, lease_token, progress_current, progress_total, progress_message, progress_updated_at, json(error),
  idempotency_key, schedule_name, fire_time)`;

const INSERT_COLUMNS = `name, queue, data, state, priority, run_at, created_at, max_attempts, timeout_ms,
  idempotency_key, key_flags, schedule_name, fire_time`;
export const INSERT_PARAMS_PER_JOB = 13;

export const SQL = {
  // ---------------------------------------------------------------- enqueue
  enqueue: {
    /** A multi-row insert: per-statement overhead dominates single-row inserts. */
    insertJobs: (rows: number): string =>
      `INSERT INTO docket_jobs (${INSERT_COLUMNS}) VALUES ${Array.from({ length: rows }, () => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
    findKey: `SELECT job_id FROM docket_idempotency_keys WHERE key = ?`,
    insertKey: `INSERT INTO docket_idempotency_keys (key, job_id, keep_forever, release_on_failure) VALUES (?, ?, ?, ?)`,
  },

  // ---------------------------------------------------------------- claimJobs
  claimJobs: {
    queuePaused: `SELECT paused FROM docket_queues WHERE queue = ?`,
    /**
     * A read before the write: idle workers polling an empty queue then never
     * take the write lock, which other processes' writers would wait for.
     */
    anyRunnable: `SELECT 1 FROM docket_jobs INDEXED BY docket_jobs_claim
      WHERE state IN ('waiting', 'delayed') AND queue = ? AND run_at <= ? LIMIT 1`,
    /**
     * One UPDATE ... RETURNING over the ids the claim index yields for one
     * queue; randomblob() gives every job its own random lease token.
     */
    claimFromQueue: `UPDATE docket_jobs
      SET state = 'active', attempt = attempt + 1, lease_token = lower(hex(randomblob(16))),
          lease_expires_at = ?, started_at = ?, worker_id = ?, cancel_requested = 0, cancel_reason = NULL
      WHERE id IN (
        SELECT id FROM docket_jobs INDEXED BY docket_jobs_claim
        WHERE state IN ('waiting', 'delayed') AND queue = ? AND run_at <= ?
          AND name IN (SELECT value FROM json_each(?))
        ORDER BY priority DESC, run_at, id
        LIMIT ?)
      RETURNING ${CLAIMED_JSON}`,
  },

  // ---------------------------------------------------------------- applyTransitions
  applyTransitions: {
    /**
     * Many completions in one statement, the hot path of a busy worker:
     * t is [[id, leaseToken, resultJson], ...]; returns the ids applied.
     * (`+state` keeps the planner on the rowid lookup per element.)
     */
    completeMany: `UPDATE docket_jobs
      SET state = 'completed', finished_at = ?, result = t.value ->> 2,
          lease_token = NULL, lease_expires_at = NULL, cancel_requested = 0
      FROM json_each(?) AS t
      WHERE docket_jobs.id = t.value ->> 0 AND +docket_jobs.state = 'active' AND docket_jobs.lease_token = t.value ->> 1
      RETURNING docket_jobs.id`,
    complete: `UPDATE docket_jobs
      SET state = ?, finished_at = ?, result = ?, lease_token = NULL, lease_expires_at = NULL, cancel_requested = 0
      WHERE id = ? AND state = 'active' AND lease_token = ?`,
    fail: `UPDATE docket_jobs
      SET state = ?, finished_at = ?, error = ?, lease_token = NULL, lease_expires_at = NULL, cancel_requested = 0
      WHERE id = ? AND state = 'active' AND lease_token = ?
      RETURNING idempotency_key`,
    /** retry, snooze, release: back to waiting/delayed; run_at NULL keeps the job's place in line. */
    requeue: `UPDATE docket_jobs
      SET state = ?, run_at = coalesce(?, run_at), attempt = attempt - ?, error = coalesce(?, error),
          lease_token = NULL, lease_expires_at = NULL, cancel_requested = 0
      WHERE id = ? AND state = 'active' AND lease_token = ?
      RETURNING queue`,
    cancel: `UPDATE docket_jobs
      SET state = ?, finished_at = ?, cancel_reason = ?, lease_token = NULL, lease_expires_at = NULL, cancel_requested = 0
      WHERE id = ? AND state = 'active' AND lease_token = ?`,
    releaseKeyOnFailure: `DELETE FROM docket_idempotency_keys WHERE key = ? AND job_id = ? AND release_on_failure = 1`,
  },

  // ---------------------------------------------------------------- extendLeases / saveProgress
  extendLeases: `UPDATE docket_jobs SET lease_expires_at = ?
    WHERE id = ? AND state = 'active' AND lease_token = ?
    RETURNING cancel_requested`,
  saveProgress: `UPDATE docket_jobs
    SET progress_current = ?, progress_total = ?, progress_message = ?, progress_updated_at = ?
    WHERE id = ? AND state = 'active' AND lease_token = ?`,

  // ---------------------------------------------------------------- rescueExpired
  rescueExpired: {
    expired: `SELECT id, queue, stalls, attempt, idempotency_key, worker_id, cancel_requested FROM docket_jobs INDEXED BY docket_jobs_lease
      WHERE lease_expires_at IS NOT NULL AND lease_expires_at <= ? AND state = 'active'
      ORDER BY lease_expires_at, id LIMIT ?`,
    requeue: `UPDATE docket_jobs
      SET state = 'waiting', stalls = stalls + 1, error = ?, lease_token = NULL, lease_expires_at = NULL, cancel_requested = 0
      WHERE id = ?`,
    fail: `UPDATE docket_jobs
      SET state = 'failed', stalls = stalls + 1, error = ?, finished_at = ?, lease_token = NULL, lease_expires_at = NULL,
          cancel_requested = 0
      WHERE id = ?`,
    /** Its cancel was requested and its worker is gone: nobody will record it, so the rescuer does. */
    cancel: `UPDATE docket_jobs
      SET state = 'cancelled', stalls = stalls + 1, finished_at = ?, lease_token = NULL, lease_expires_at = NULL,
          cancel_requested = 0
      WHERE id = ?`,
  },

  // ---------------------------------------------------------------- operator actions
  cancelJob: {
    state: `SELECT state FROM docket_jobs WHERE id = ?`,
    cancelNow: `UPDATE docket_jobs SET state = 'cancelled', finished_at = ?, cancel_reason = ?
      WHERE id = ? AND state IN ('waiting', 'delayed')`,
    requestCancel: `UPDATE docket_jobs SET cancel_requested = 1, cancel_reason = ? WHERE id = ? AND state = 'active'`,
  },
  retryJob: {
    retry: `UPDATE docket_jobs
      SET state = 'waiting', run_at = ?, attempt = 0, stalls = 0, started_at = NULL, finished_at = NULL,
          worker_id = NULL, cancel_requested = 0, cancel_reason = NULL, result = NULL,
          progress_current = NULL, progress_total = NULL, progress_message = NULL, progress_updated_at = NULL
      WHERE id = ? AND state IN ('completed', 'failed', 'cancelled')
      RETURNING ${JOB_JSON}`,
    keyOf: `SELECT idempotency_key, key_flags FROM docket_jobs WHERE id = ?`,
    /** A released key is taken back unless another job holds it by now. */
    reclaimKey: `INSERT OR IGNORE INTO docket_idempotency_keys (key, job_id, keep_forever, release_on_failure) VALUES (?, ?, ?, ?)`,
  },
  /** Only a job still in the future: a delayed job whose time has come already reads as waiting. */
  promoteJob: `UPDATE docket_jobs SET state = 'waiting', run_at = ? WHERE id = ? AND state IN ('waiting', 'delayed') AND run_at > ?
    RETURNING ${JOB_JSON}`,
  deleteJob: {
    state: `SELECT state FROM docket_jobs WHERE id = ?`,
    delete: `DELETE FROM docket_jobs WHERE id = ? AND state <> 'active'`,
    /** Keys of deleted jobs go too, unless kept forever. */
    releaseKeys: `DELETE FROM docket_idempotency_keys WHERE job_id = ? AND keep_forever = 0`,
  },

  // ---------------------------------------------------------------- pruneJobs
  /** Jobs past the age limit, plus those beyond the newest maxCount; at most `limit`. */
  pruneJobs: `DELETE FROM docket_jobs WHERE id IN (
      SELECT id FROM (
        SELECT id FROM docket_jobs INDEXED BY docket_jobs_finished
        WHERE state = @state AND queue = @queue AND finished_at IS NOT NULL
          AND @cutoff IS NOT NULL AND finished_at < @cutoff
        UNION
        SELECT id FROM (
          SELECT id FROM docket_jobs INDEXED BY docket_jobs_finished
          WHERE state = @state AND queue = @queue AND finished_at IS NOT NULL AND @maxCount IS NOT NULL
          ORDER BY finished_at DESC, id DESC LIMIT -1 OFFSET coalesce(@maxCount, 0))
      ) LIMIT @limit)
    RETURNING id`,
  pruneKeys: `DELETE FROM docket_idempotency_keys
    WHERE keep_forever = 0 AND job_id IN (SELECT value FROM json_each(?))`,

  // ---------------------------------------------------------------- queries
  getJob: `SELECT ${JOB_JSON} FROM docket_jobs WHERE id = ?`,
  getJobs: `SELECT ${JOB_JSON} FROM docket_jobs WHERE id IN (SELECT value FROM json_each(?))`,
  /** Each query reads one index only (see the invariants above). */
  countJobs: {
    runnable: `SELECT queue, run_at <= @now AS due, count(*) AS n FROM docket_jobs INDEXED BY docket_jobs_claim
      WHERE state IN ('waiting', 'delayed') AND (@queue IS NULL OR queue = @queue) GROUP BY queue, due`,
    active: `SELECT queue, count(*) AS n FROM docket_jobs INDEXED BY docket_jobs_lease
      WHERE lease_expires_at IS NOT NULL AND (@queue IS NULL OR queue = @queue) GROUP BY queue`,
    finished: `SELECT queue, state, count(*) AS n FROM docket_jobs INDEXED BY docket_jobs_finished
      WHERE finished_at IS NOT NULL AND state IN ('completed', 'failed', 'cancelled') AND (@queue IS NULL OR queue = @queue)
      GROUP BY queue, state`,
    queueRows: `SELECT queue, paused FROM docket_queues`,
  },
  setQueuePaused: `INSERT INTO docket_queues (queue, paused, updated_at) VALUES (?, ?, ?)
    ON CONFLICT (queue) DO UPDATE SET paused = excluded.paused, updated_at = excluded.updated_at`,

  // ---------------------------------------------------------------- workers
  recordWorker: `INSERT INTO docket_workers (id, host, pid, queues, concurrency, active_jobs, started_at, last_heartbeat_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (id) DO UPDATE SET host = excluded.host, pid = excluded.pid, queues = excluded.queues,
      concurrency = excluded.concurrency, active_jobs = excluded.active_jobs, started_at = excluded.started_at,
      last_heartbeat_at = excluded.last_heartbeat_at`,
  removeWorker: `DELETE FROM docket_workers WHERE id = ?`,
  listWorkers: `SELECT id, host, pid, queues, concurrency, active_jobs, started_at, last_heartbeat_at
    FROM docket_workers WHERE last_heartbeat_at >= ? ORDER BY id`,
} as const;

// ---------------------------------------------------------------- listJobs (filters vary)

const FINISHED = new Set<string>(FINISHED_STATES);

export interface ListJobsFilter {
  queue: boolean;
  name: boolean;
  /** Which effective states to match; null = all. Only JOB_STATES (checked by the caller). */
  states: ReadonlySet<string> | null;
  createdAfter: boolean;
  createdBefore: boolean;
  search: boolean;
  scheduleName: boolean;
  cursor: boolean;
  order: 'asc' | 'desc';
}

/**
 * Builds the listJobs statement for a filter shape; values are bound as named
 * parameters, so the store caches one statement per shape. Paging is keyset
 * on id. The index is chosen here, not left to the planner: a schedule's jobs
 * by the schedule index; finished states (bounded by retention) by the
 * finished index, then sorted; otherwise walk ids newest first (a queue's by
 * the queue index), where unfinished jobs, the newest, are found at once.
 */
export function listJobsSql(f: ListJobsFilter): string {
  const where: string[] = [];
  let index: string;
  const onlyFinished = f.states !== null && [...f.states].every((s) => FINISHED.has(s));
  if (f.scheduleName) index = 'INDEXED BY docket_jobs_schedule';
  else if (onlyFinished) index = 'INDEXED BY docket_jobs_finished';
  else if (f.queue) index = 'INDEXED BY docket_jobs_queue';
  else index = 'NOT INDEXED';
  if (f.scheduleName) where.push('schedule_name = @scheduleName');
  if (onlyFinished) where.push(`finished_at IS NOT NULL AND state IN (${[...f.states!].map((s) => `'${s}'`).join(', ')})`);
  else if (f.states) where.push(`(${[...f.states].map(stateCondition).join(' OR ')})`);
  if (f.queue) where.push('queue = @queue');
  if (f.name) where.push('name = @name');
  if (f.createdAfter) where.push('created_at >= @createdAfter');
  if (f.createdBefore) where.push('created_at < @createdBefore');
  if (f.search) where.push('instr(data, @search) > 0');
  if (f.cursor) where.push(f.order === 'desc' ? 'id < @cursor' : 'id > @cursor');
  const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
  return `SELECT ${JOB_JSON} FROM docket_jobs ${index} ${clause} ORDER BY id ${f.order === 'desc' ? 'DESC' : 'ASC'} LIMIT @limit`;
}

function stateCondition(state: string): string {
  switch (state) {
    case 'waiting':
      return `(state IN ('waiting', 'delayed') AND run_at <= @now)`;
    case 'delayed':
      return `(state IN ('waiting', 'delayed') AND run_at > @now)`;
    default:
      return `state = '${state}'`;
  }
}
