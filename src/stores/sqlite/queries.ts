import { OPERATIONS, sqlStates, type OperationName } from '../../core/job-state.js';
import { FINISHED_STATES } from '../../core/job.js';

/**
 * All SQL of the SQLite store, named after the Store method that runs it.
 * Times are integer ms from the store's clock, bound as parameters (never
 * SQLite's own time functions), so an injected clock decides.
 *
 * Invariants the statements keep (the indexes rely on them):
 *   lease_expires_at IS NOT NULL  <=>  state IN ('reserved', 'active')
 *   finished_at IS NOT NULL       <=>  state IN ('completed', 'failed', 'cancelled')
 *   a runnable row (waiting/delayed) reads as waiting iff run_at <= now (exactly when a claim may take it)
 *
 * Every statement that changes a job's state guards it with `state IN (…)`
 * built from core's OPERATIONS (`guard(op)`), so the one state machine
 * decides which rows an operation may touch.
 */

/** The guard of an operation: the stored states it may change. */
export function guard(op: OperationName): string {
  return `state IN (${sqlStates(OPERATIONS[op].from)})`;
}

const LEASED = `state IN (${sqlStates(['reserved', 'active'])})`;

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
 * lease expiry, worker, cancel flag) or what is always empty then
 * (finished_at, result). The claim is the hot path; every column costs.
 */
export const CLAIMED_JSON = `json_array(id, name, queue, json(data), priority, run_at, created_at, attempt, max_attempts,
  timeout_ms, stalls, lease_token, progress_current, progress_total, progress_message, progress_updated_at, json(error),
  idempotency_key, schedule_name, fire_time, started_at)`;

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
      WHERE ${guard('claim')} AND queue = ? AND run_at <= ? LIMIT 1`,
    /**
     * One UPDATE ... RETURNING over the ids the claim index yields for one
     * queue; randomblob() gives every job its own random lease token. The
     * job is reserved, not started: no attempt counted, started_at kept
     * (the last attempt's) until the worker records the start.
     */
    claimFromQueue: `UPDATE docket_jobs
      SET state = 'reserved', lease_token = lower(hex(randomblob(16))),
          lease_expires_at = ?, worker_id = ?, cancel_requested = 0, cancel_reason = NULL
      WHERE id IN (
        SELECT id FROM docket_jobs INDEXED BY docket_jobs_claim
        WHERE ${guard('claim')} AND queue = ? AND run_at <= ?
          AND name IN (SELECT value FROM json_each(?))
        ORDER BY priority DESC, run_at, id
        LIMIT ?)
      RETURNING ${CLAIMED_JSON}`,
    // The slow path of a claim that met a row it cannot render (claim.ts): the rows
    // it would take, one render each, a claim of one row, and that row's raw columns.
    candidates: `SELECT id FROM docket_jobs INDEXED BY docket_jobs_claim
      WHERE ${guard('claim')} AND queue = ? AND run_at <= ? AND name IN (SELECT value FROM json_each(?))
      ORDER BY priority DESC, run_at, id LIMIT ?`,
    renderClaimed: CLAIMED_JSON,
    reserveOne: `UPDATE docket_jobs
      SET state = 'reserved', lease_token = lower(hex(randomblob(16))),
          lease_expires_at = ?, worker_id = ?, cancel_requested = 0, cancel_reason = NULL
      WHERE id = ? AND ${guard('claim')}
      RETURNING lease_token`,
    rawRow: `SELECT * FROM docket_jobs WHERE id = ?`,
  },

  // ---------------------------------------------------------------- applyTransitions
  applyTransitions: {
    /**
     * Many completions in one statement, the hot path of a busy worker:
     * t is [[id, leaseToken, resultJson, startedAt], ...]; returns the ids
     * applied. A job still reserved gets its start with its end (short jobs
     * start and end between two rounds): attempt + 1, started_at from the
     * worker. (`+state` keeps the planner on the rowid lookup per element;
     * the SET reads the row's state before the update.)
     */
    completeMany: `UPDATE docket_jobs
      SET state = 'completed', finished_at = ?, result = t.value ->> 2,
          attempt = attempt + (docket_jobs.state = 'reserved'),
          started_at = CASE WHEN docket_jobs.state = 'reserved' THEN t.value ->> 3 ELSE docket_jobs.started_at END,
          lease_token = NULL, lease_expires_at = NULL, cancel_requested = 0
      FROM json_each(?) AS t
      WHERE docket_jobs.id = t.value ->> 0 AND +docket_jobs.${guard('end')} AND docket_jobs.lease_token = t.value ->> 1
      RETURNING docket_jobs.id`,
    /** reserved -> active: the handler started at @startedAt; its attempt counts now. */
    start: `UPDATE docket_jobs SET state = 'active', attempt = attempt + 1, started_at = @startedAt
      WHERE id = @id AND ${guard('start')} AND lease_token = @token`,
    /**
     * The columns every end sets: the attempt count moves by core's
     * attemptDelta for the state the row is in, and a row still reserved gets
     * the start (@startedAt, null for a job that never started).
     */
    ...endStatements(),
    releaseKeyOnFailure: `DELETE FROM docket_idempotency_keys WHERE key = ? AND job_id = ? AND release_on_failure = 1`,
  },

  // ---------------------------------------------------------------- extendLeases / saveProgress
  extendLeases: `UPDATE docket_jobs SET lease_expires_at = ?
    WHERE id = ? AND ${LEASED} AND lease_token = ?
    RETURNING cancel_requested`,
  /**
   * Cross-process cancel (cross-process-signals.ts): the leased jobs of these
   * workers (a JSON array of ids) whose cancel was requested, through the
   * partial index that holds only flagged rows. Run only after another
   * connection committed.
   */
  cancelRequested: `SELECT id, lease_token FROM docket_jobs INDEXED BY docket_jobs_cancel_requested
    WHERE cancel_requested = 1 AND worker_id IN (SELECT value FROM json_each(?)) AND ${LEASED}`,
  saveProgress: `UPDATE docket_jobs
    SET progress_current = ?, progress_total = ?, progress_message = ?, progress_updated_at = ?
    WHERE id = ? AND ${LEASED} AND lease_token = ?`,

  // ---------------------------------------------------------------- rescueExpired
  /** The rescuer reads expired leases; core's decideRescue says what each becomes. */
  rescueExpired: {
    expired: `SELECT id, queue, state, stalls, attempt, idempotency_key, worker_id, cancel_requested FROM docket_jobs INDEXED BY docket_jobs_lease
      WHERE lease_expires_at IS NOT NULL AND lease_expires_at <= ? AND ${LEASED}
      ORDER BY lease_expires_at, id LIMIT ?`,
    unreserve: `UPDATE docket_jobs
      SET state = @state, finished_at = CASE WHEN @state = 'cancelled' THEN @now END,
          lease_token = NULL, lease_expires_at = NULL, cancel_requested = 0
      WHERE id = @id AND ${guard('unreserve')}`,
    requeue: `UPDATE docket_jobs
      SET state = 'waiting', stalls = ?, error = ?, lease_token = NULL, lease_expires_at = NULL, cancel_requested = 0
      WHERE id = ? AND ${guard('rescue')}`,
    fail: `UPDATE docket_jobs
      SET state = 'failed', stalls = ?, error = ?, finished_at = ?, lease_token = NULL, lease_expires_at = NULL,
          cancel_requested = 0
      WHERE id = ? AND ${guard('rescue')}`,
    /** Its cancel was requested and its worker is gone: nobody will record it, so the rescuer does. */
    cancel: `UPDATE docket_jobs
      SET state = 'cancelled', stalls = ?, finished_at = ?, lease_token = NULL, lease_expires_at = NULL,
          cancel_requested = 0
      WHERE id = ? AND ${guard('rescue')}`,
  },

  // ---------------------------------------------------------------- operator actions
  cancelJob: {
    state: `SELECT state FROM docket_jobs WHERE id = ?`,
    /** Held by no worker (waiting, delayed): cancelled at once. */
    cancelNow: `UPDATE docket_jobs SET state = 'cancelled', finished_at = ?, cancel_reason = ?
      WHERE id = ? AND ${guard('cancel')}`,
    /** Held (reserved or active): the worker holding it is asked, and writes the end. */
    requestCancel: `UPDATE docket_jobs SET cancel_requested = 1, cancel_reason = ? WHERE id = ? AND ${LEASED}`,
  },
  retryJob: {
    retry: `UPDATE docket_jobs
      SET state = 'waiting', run_at = ?, attempt = 0, stalls = 0, started_at = NULL, finished_at = NULL,
          worker_id = NULL, cancel_requested = 0, cancel_reason = NULL, result = NULL,
          progress_current = NULL, progress_total = NULL, progress_message = NULL, progress_updated_at = NULL
      WHERE id = ? AND ${guard('retry')}
      RETURNING id`,
    keyOf: `SELECT idempotency_key, key_flags FROM docket_jobs WHERE id = ?`,
    /** A released key is taken back unless another job holds it by now. */
    reclaimKey: `INSERT OR IGNORE INTO docket_idempotency_keys (key, job_id, keep_forever, release_on_failure) VALUES (?, ?, ?, ?)`,
  },
  /** Only a job still in the future: a delayed job whose time has come already reads as waiting. */
  promoteJob: `UPDATE docket_jobs SET state = 'waiting', run_at = ? WHERE id = ? AND ${guard('promote')} AND run_at > ?
    RETURNING id`,
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
    /** Held jobs: active, and reserved (which count as waiting). */
    leased: `SELECT queue, state, count(*) AS n FROM docket_jobs INDEXED BY docket_jobs_lease
      WHERE lease_expires_at IS NOT NULL AND (@queue IS NULL OR queue = @queue) GROUP BY queue, state`,
    finished: `SELECT queue, state, count(*) AS n FROM docket_jobs INDEXED BY docket_jobs_finished
      WHERE finished_at IS NOT NULL AND state IN ('completed', 'failed', 'cancelled') AND (@queue IS NULL OR queue = @queue)
      GROUP BY queue, state`,
    /** Stored queue rows; '*' (ALL_QUEUES) is not a queue. */
    queueRows: `SELECT queue, paused, policy FROM docket_queues WHERE queue <> '*'`,
  },
  /** setQueuePolicy: read the row, then write it back merged (one write transaction). */
  setQueuePolicy: {
    read: `SELECT paused, policy FROM docket_queues WHERE queue = ?`,
    write: `INSERT INTO docket_queues (queue, paused, policy, updated_at) VALUES (?, ?, ?, ?)
    ON CONFLICT (queue) DO UPDATE SET paused = excluded.paused, policy = excluded.policy, updated_at = excluded.updated_at`,
  },

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
export function listJobsSql(f: ListJobsFilter, columns: string = JOB_JSON): string {
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
  return `SELECT ${columns} FROM docket_jobs ${index} ${clause} ORDER BY id ${f.order === 'desc' ? 'DESC' : 'ASC'} LIMIT @limit`;
}

function stateCondition(state: string): string {
  switch (state) {
    case 'waiting':
      // A reserved job is waiting too (held by a worker, not started).
      return `((state IN ('waiting', 'delayed') AND run_at <= @now) OR state = 'reserved')`;
    case 'delayed':
      return `(state IN ('waiting', 'delayed') AND run_at > @now)`;
    default:
      return `state = '${state}'`;
  }
}

/**
 * The end statements, one per outcome kind, guarded by `end` (the row may be
 * reserved or active). Parameters are named:
 * @state (core's outcomeState), @now, @id, @token, @deltaReserved and
 * @deltaActive (core's attemptDelta for each state the row may be in),
 * @startedAt (applied only to a row still reserved; null for a job never
 * started).
 */
function endStatements() {
  const common = `attempt = attempt + CASE state WHEN 'reserved' THEN @deltaReserved ELSE @deltaActive END,
          started_at = CASE WHEN state = 'reserved' AND @startedAt IS NOT NULL THEN @startedAt ELSE started_at END,
          lease_token = NULL, lease_expires_at = NULL, cancel_requested = 0`;
  const where = `WHERE id = @id AND ${guard('end')} AND lease_token = @token`;
  return {
    complete: `UPDATE docket_jobs SET state = @state, finished_at = @now, result = @result, ${common} ${where}`,
    fail: `UPDATE docket_jobs SET state = @state, finished_at = @now, error = @error, ${common} ${where}
      RETURNING idempotency_key`,
    cancel: `UPDATE docket_jobs SET state = @state, finished_at = @now, cancel_reason = @reason, ${common} ${where}`,
    /** retry, snooze, release: back to waiting/delayed; @runAt NULL keeps the job's place in line. */
    requeue: `UPDATE docket_jobs SET state = @state, run_at = coalesce(@runAt, run_at), error = coalesce(@error, error), ${common} ${where}
      RETURNING queue`,
  };
}
