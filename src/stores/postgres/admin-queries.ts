import { LEASED_STATES, OPERATIONS, sqlStates, type OperationName } from '../../core/job-state.js';
import { jobColumns } from './job-rows.js';
import type { WorkerInfo } from '../../store/store.js';
import type { NamedQuery } from './hot-queries.js';
import { FINISHED } from './job-stats.js';

const MS = `interval '1 millisecond'`;
const EFFECTIVE_STATE = `CASE WHEN state = 'delayed' AND run_at <= now() THEN 'waiting' ELSE state END`;

/** `state IN (…)` of an operation, from core's OPERATIONS. */
const states = (op: OperationName): string => `(${sqlStates(OPERATIONS[op].from)})`;
/** Held by a worker (reserved or active): asked rather than cancelled; its worker writes the end. */
const HELD = `(${sqlStates(LEASED_STATES)})`;

/** SQL of the operator-facing Store methods (cancel, retry, prune, lists, queues, workers), one per method. */
export function buildAdminQueries(s: string, prefix: string) {
  const q = (name: string, text: string): NamedQuery => ({ name: `${prefix}${name}`, text });
  const cols = jobColumns();
  return {
    now: q('now', `SELECT date_part('epoch', now()) * 1000 AS now`),

    getJob: q('get_job', `SELECT ${cols} FROM ${s}.jobs WHERE id = $1::bigint`),
    getJobs: q('get_jobs', `SELECT ${cols} FROM ${s}.jobs WHERE id = ANY($1::bigint[])`),

    /**
     * cancelJob: a job no worker holds (the guard of core's `cancel`:
     * waiting/delayed) -> cancelled at once; a held one (reserved or active)
     * -> cancel_requested, and the worker holding it, the one writer of its
     * end, is told by NOTIFY ($3 channel, $4 payload): it ends a reserved job
     * unstarted, aborts an active one. (A reservation that expires with the
     * request pending is cancelled by the rescuer.)
     */
    cancelJob: q(
      'cancel_job',
      `WITH cur AS (
  SELECT id, state, state IN ${states('cancel')} AS at_once FROM ${s}.jobs
  WHERE id = $1::bigint AND (state IN ${states('cancel')} OR state IN ${HELD}) FOR UPDATE
), upd AS (
  UPDATE ${s}.jobs j SET
    state = CASE WHEN cur.at_once THEN 'cancelled' ELSE j.state END,
    finished_at = CASE WHEN cur.at_once THEN now() ELSE j.finished_at END,
    cancel_requested = NOT cur.at_once,
    cancel_reason = $2::text
  FROM cur WHERE j.id = cur.id
  RETURNING ${jobColumns('j')}, cur.state AS prev_state
)
SELECT upd.*, CASE WHEN upd.prev_state IN ${HELD} THEN (SELECT count(pg_notify($3::text, $4::text))) END AS notified FROM upd`,
    ),

    /**
     * retryJob: a finished job starts over with fresh attempts. A key the job
     * released on failure is taken back when nobody else took it meanwhile.
     */
    retryJob: q(
      'retry_job',
      `WITH upd AS (
  UPDATE ${s}.jobs SET state = 'waiting', run_at = now(), attempt = 0, stalls = 0, started_at = NULL, finished_at = NULL,
    lease_token = NULL, lease_expires_at = NULL, worker_id = NULL, cancel_requested = false, cancel_reason = NULL, result = NULL,
    progress_current = NULL, progress_total = NULL, progress_message = NULL, progress_updated_at = NULL
  WHERE id = $1::bigint AND state IN ${states('retry')}
  RETURNING *
), rekey AS (
  INSERT INTO ${s}.idempotency_keys (key, job_id, keep_forever, release_on_failure)
  SELECT idempotency_key, id::bigint, (key_flags & 1) <> 0, (key_flags & 2) <> 0 FROM upd WHERE idempotency_key IS NOT NULL
  ON CONFLICT (key) DO NOTHING
)
SELECT ${cols} FROM upd`,
    ),

    promoteJob: q(
      'promote_job',
      `UPDATE ${s}.jobs SET state = 'waiting', run_at = now() WHERE id = $1::bigint AND state IN ${states('promote')} AND run_at > now() RETURNING ${cols}`,
    ),

    /**
     * deleteJob: never an active job (its handler runs). A reserved one may go:
     * its worker finds the lease gone and never starts it. Keys go too, unless
     * kept forever.
     */
    deleteJob: q(
      'delete_job',
      `WITH d AS (
  DELETE FROM ${s}.jobs WHERE id = $1::bigint AND state <> 'active' RETURNING id, idempotency_key
), k AS (
  DELETE FROM ${s}.idempotency_keys k USING d WHERE k.key = d.idempotency_key AND k.job_id = d.id AND NOT k.keep_forever
)
SELECT (SELECT count(*) FROM d)::int AS deleted, (SELECT state FROM ${s}.jobs WHERE id = $1::bigint) AS state`,
    ),

    /**
     * pruneJobs: oldest first, jobs older than $3 ms or beyond the newest $4,
     * at most $5. The redundant state list lets the planner use jobs_finished.
     * "Beyond the newest $4" is "at or before the first row past them" (OFFSET
     * $4 LIMIT 1 in newest-first order): one backward read of $4 index entries,
     * after which the victims are the head of the index, read in order until
     * $5 are found. (It was `id NOT IN (the newest $4)`: with the statistics of
     * a table just drained, before autovacuum analyzed it, the planner read and
     * sorted every finished job twice per batch: 1.25 s per 1,000 deleted with
     * 200,000 kept, so pruning a big drain was quadratic. bench/README.md,
     * "Profile".) The victims are deleted by the tuple ids they locked
     * (`ctid`, as the claim does; a locked row version cannot move within the
     * statement): no primary-key probe per row.
     */
    pruneJobs: q(
      'prune_jobs',
      `WITH victims AS (
  SELECT j.ctid, j.id FROM ${s}.jobs j
  WHERE j.queue = $1::text AND j.state = $2::text AND j.state IN ${FINISHED} AND (
    ($3::float8 IS NOT NULL AND j.finished_at < now() - $3::float8 * ${MS})
    OR ($4::int IS NOT NULL AND (j.finished_at, j.id) <= (
      SELECT k.finished_at, k.id FROM ${s}.jobs k WHERE k.queue = $1::text AND k.state = $2::text AND k.state IN ${FINISHED}
      ORDER BY k.finished_at DESC, k.id DESC OFFSET $4::int LIMIT 1))
  )
  ORDER BY j.finished_at, j.id
  LIMIT $5::int
  FOR UPDATE SKIP LOCKED
), d AS (
  DELETE FROM ${s}.jobs j WHERE j.ctid = ANY(ARRAY(SELECT ctid FROM victims)) RETURNING j.id, j.idempotency_key
), k AS (
  DELETE FROM ${s}.idempotency_keys k USING d WHERE k.key = d.idempotency_key AND k.job_id = d.id AND NOT k.keep_forever
)
SELECT count(*)::int AS deleted FROM d`,
    ),

    /**
     * Counts by queue and effective stored state (a due delayed job counts as
     * waiting; toCounts adds reserved to waiting, its public state); stored
     * queue rows (paused ones) appear with state NULL.
     */
    countJobs: q(
      'count_jobs',
      `SELECT queue, ${EFFECTIVE_STATE} AS state, count(*)::int AS n, NULL::boolean AS paused, NULL::jsonb AS policy FROM ${s}.jobs
WHERE $1::text IS NULL OR queue = $1::text GROUP BY 1, 2
UNION ALL
SELECT name, NULL, 0, paused, policy FROM ${s}.queues WHERE ($1::text IS NULL OR name = $1::text) AND name <> '*'`,
    ),

    /** setQueuePolicy, in one transaction: lock the row (created if missing) and read it, then write it back merged. */
    lockQueuePolicy: q(
      'lock_queue_policy',
      `INSERT INTO ${s}.queues AS q (name) VALUES ($1::text) ON CONFLICT (name) DO UPDATE SET name = q.name RETURNING q.paused, q.policy`,
    ),
    writeQueuePolicy: q('write_queue_policy', `UPDATE ${s}.queues SET paused = $2::bool, policy = $3::jsonb WHERE name = $1::text`),
    getQueuePolicy: q('get_queue_policy', `SELECT paused, policy FROM ${s}.queues WHERE name = $1::text`),

    recordWorker: q(
      'record_worker',
      `INSERT INTO ${s}.workers (id, host, pid, queues, concurrency, active_jobs, started_at, last_heartbeat_at)
VALUES ($1::text, $2::text, $3::int, $4::text[], $5::int, $6::int, $7::timestamptz, now())
ON CONFLICT (id) DO UPDATE SET host = excluded.host, pid = excluded.pid, queues = excluded.queues, concurrency = excluded.concurrency,
  active_jobs = excluded.active_jobs, started_at = excluded.started_at, last_heartbeat_at = now()`,
    ),
    removeWorker: q('remove_worker', `DELETE FROM ${s}.workers WHERE id = $1::text`),
    listWorkers: q(
      'list_workers',
      `SELECT id, host, pid, queues, concurrency, active_jobs, date_part('epoch', started_at) * 1000 AS started_at,
  date_part('epoch', last_heartbeat_at) * 1000 AS last_heartbeat_at
FROM ${s}.workers WHERE last_heartbeat_at >= now() - $1::float8 * ${MS} ORDER BY id`,
    ),
  };
}

export type AdminQueries = ReturnType<typeof buildAdminQueries>;

export interface WorkerRow {
  id: string;
  host: string;
  pid: number;
  queues: string[];
  concurrency: number;
  active_jobs: number;
  started_at: number;
  last_heartbeat_at: number;
}

export function toWorkerInfo(r: WorkerRow): WorkerInfo {
  return {
    id: r.id,
    host: r.host,
    pid: r.pid,
    queues: r.queues,
    concurrency: r.concurrency,
    activeJobs: r.active_jobs,
    startedAt: new Date(r.started_at),
    lastHeartbeatAt: new Date(r.last_heartbeat_at),
  };
}
