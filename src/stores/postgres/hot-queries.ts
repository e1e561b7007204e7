import { jobColumns } from './job-row.js';

/**
 * SQL of the hot path, one named (prepared) statement per Store method, for
 * one schema. Each does its whole job in a single round trip: arrays in
 * (unnest), rows out (RETURNING).
 */
export interface NamedQuery {
  name: string;
  text: string;
}

const RUNNABLE = `state IN ('waiting','delayed')`;
const MS = `interval '1 millisecond'`;
const NOW_MS = `(extract(epoch FROM now()) * 1000)::float8`;
/** What an insert returns; the rest of the record is the input itself. */
const INSERTED = `id::text AS id, state, (extract(epoch FROM run_at) * 1000)::float8 AS run_at, (extract(epoch FROM created_at) * 1000)::float8 AS created_at`;

export function buildHotQueries(s: string, prefix: string) {
  const q = (name: string, text: string): NamedQuery => ({ name: `${prefix}${name}`, text });
  const inputCols = `$1::text[], $2::text[], $3::text[], $4::int[], $5::float8[], $6::timestamptz[], $7::int[], $8::bigint[], $9::text[], $10::timestamptz[]`;
  const inputNames = `name, queue, data, priority, delay_ms, run_at_in, max_attempts, timeout_ms, schedule_name, fire_time`;

  return {
    /**
     * enqueue (jobs without idempotency keys). $11: NOTIFY payloads to send
     * with the insert (empty when throttled), $12 the channel. Ids follow input order.
     */
    enqueue: q(
      'enqueue',
      `WITH ins AS (
  INSERT INTO ${s}.jobs (name, queue, data, state, priority, run_at, max_attempts, timeout_ms, schedule_name, fire_time)
  SELECT t.name, t.queue, t.data::json, CASE WHEN r.run_at > now() THEN 'delayed' ELSE 'waiting' END,
         t.priority, r.run_at, t.max_attempts, t.timeout_ms, t.schedule_name, t.fire_time
  FROM unnest(${inputCols}) WITH ORDINALITY AS t(${inputNames}, ord)
  CROSS JOIN LATERAL (SELECT COALESCE(t.run_at_in, now() + t.delay_ms * ${MS}) AS run_at) r
  ORDER BY t.ord
  RETURNING ${INSERTED}
)
SELECT ins.*, (SELECT count(pg_notify($12::text, p)) FROM unnest($11::text[]) p) AS notified FROM ins`,
    ),

    /**
     * enqueue with idempotency keys ($13 key, $14 keep forever, $15 release on
     * failure; keys unique within the call). A key row is claimed first
     * (ON CONFLICT DO NOTHING); only jobs that won their key are inserted.
     * Rows: the inserted jobs, then one row per key held by someone else
     * (`dup_key`, `holder_id`, and the holder's row as JSON when it still exists).
     * A key whose holder committed after this statement's snapshot is in
     * neither set; the caller looks it up again.
     */
    enqueueKeyed: q(
      'enqueue_keyed',
      `WITH input AS MATERIALIZED (
  SELECT nextval('${s}.jobs_id_seq'::regclass) AS id, t.*, COALESCE(t.run_at_in, now() + t.delay_ms * ${MS}) AS run_at
  FROM unnest(${inputCols}, $13::text[], $14::bool[], $15::bool[])
       WITH ORDINALITY AS t(${inputNames}, key, keep_forever, release_on_failure, ord)
  ORDER BY t.ord
), won AS (
  INSERT INTO ${s}.idempotency_keys (key, job_id, keep_forever, release_on_failure)
  SELECT key, id, keep_forever, release_on_failure FROM input WHERE key IS NOT NULL ORDER BY ord
  ON CONFLICT (key) DO NOTHING
  RETURNING key
), ins AS (
  INSERT INTO ${s}.jobs (id, name, queue, data, state, priority, run_at, max_attempts, timeout_ms, schedule_name, fire_time, idempotency_key, key_flags)
  SELECT i.id, i.name, i.queue, i.data::json, CASE WHEN i.run_at > now() THEN 'delayed' ELSE 'waiting' END,
         i.priority, i.run_at, i.max_attempts, i.timeout_ms, i.schedule_name, i.fire_time, i.key,
         (CASE WHEN i.keep_forever THEN 1 ELSE 0 END) + (CASE WHEN i.release_on_failure THEN 2 ELSE 0 END)
  FROM input i WHERE i.key IS NULL OR i.key IN (SELECT key FROM won)
  ORDER BY i.ord
  RETURNING ${INSERTED}, idempotency_key
), held AS (
  SELECT k.key, k.job_id FROM ${s}.idempotency_keys k
  WHERE k.key IN (SELECT key FROM input WHERE key IS NOT NULL) AND k.key NOT IN (SELECT key FROM won)
)
SELECT NULL::text AS dup_key, NULL::text AS holder_id, ins.*, NULL::json AS holder,
       (SELECT count(pg_notify($12::text, p)) FROM unnest($11::text[]) p) AS notified
FROM ins
UNION ALL
SELECT h.key, h.job_id::text, NULL, NULL, NULL, NULL, NULL, (SELECT row_to_json(x) FROM (SELECT ${jobColumns('j')}) x), 0
FROM held h LEFT JOIN ${s}.jobs j ON j.id = h.job_id`,
    ),

    /** The holders of keys (second look, fresh snapshot). */
    keyHolders: q(
      'key_holders',
      `SELECT h.key AS dup_key, h.job_id::text AS holder_id, (SELECT row_to_json(x) FROM (SELECT ${jobColumns('j')}) x) AS holder
FROM ${s}.idempotency_keys h LEFT JOIN ${s}.jobs j ON j.id = h.job_id WHERE h.key = ANY($1::text[])`,
    ),

    /**
     * claimJobs: per queue (not paused) up to its limit, in claim order,
     * skipping rows another claimer holds; lease from the server's clock.
     */
    claimJobs: q(
      'claim_jobs',
      `WITH picked AS (
  SELECT c.id
  FROM (SELECT * FROM unnest($1::text[], $2::int[]) AS u(queue, lim)
        WHERE u.lim > 0 AND NOT EXISTS (SELECT 1 FROM ${s}.queues p WHERE p.name = u.queue AND p.paused)) AS q
  CROSS JOIN LATERAL (
    SELECT j.id FROM ${s}.jobs j
    WHERE j.queue = q.queue AND j.${RUNNABLE} AND j.run_at <= now() AND j.name = ANY($3::text[])
    ORDER BY j.priority DESC, j.run_at, j.id
    LIMIT q.lim
    FOR UPDATE SKIP LOCKED
  ) c
)
UPDATE ${s}.jobs j
SET state = 'active', attempt = j.attempt + 1, lease_token = gen_random_uuid()::text,
    lease_expires_at = now() + $4::float8 * ${MS}, started_at = now(), worker_id = $5::text,
    cancel_requested = false, cancel_reason = NULL
FROM picked WHERE j.id = picked.id
RETURNING ${jobColumns('j')}`,
    ),

    /**
     * applyTransitions: every outcome guarded by state 'active' + lease token;
     * the target state comes from core (outcomeState). A job that ends `failed`
     * gives up its key if it asked to. Returns the applied ids.
     */
    applyTransitions: q(
      'apply_transitions',
      `WITH t AS (
  SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::float8[], $5::int[], $6::bool[], $7::text[], $8::text[], $9::text[])
    AS t(id, token, state, delay_ms, refund, set_result, result, error, cancel_reason)
), upd AS (
  UPDATE ${s}.jobs j SET
    state = t.state,
    -- a NULL delay (release) keeps the job's run time: its place in line
    run_at = CASE WHEN t.state IN ('waiting','delayed') THEN COALESCE(now() + t.delay_ms * ${MS}, j.run_at) ELSE j.run_at END,
    finished_at = CASE WHEN t.state IN ('completed','failed','cancelled') THEN now() ELSE NULL END,
    attempt = j.attempt - t.refund,
    result = CASE WHEN t.set_result THEN t.result::json ELSE j.result END,
    error = COALESCE(t.error::json, j.error),
    cancel_reason = COALESCE(t.cancel_reason, j.cancel_reason),
    lease_token = NULL,
    lease_expires_at = NULL,
    cancel_requested = false
  FROM t
  WHERE j.id = t.id AND j.state = 'active' AND j.lease_token = t.token
  RETURNING j.id, j.queue, j.state, j.idempotency_key
), released AS (
  DELETE FROM ${s}.idempotency_keys k USING upd
  WHERE upd.state = 'failed' AND k.key = upd.idempotency_key AND k.job_id = upd.id AND k.release_on_failure
)
SELECT id::text AS id, queue, state FROM upd`,
    ),

    /** extendLeases: renews held leases; returns them with their cancel flag. */
    extendLeases: q(
      'extend_leases',
      `UPDATE ${s}.jobs j SET lease_expires_at = now() + $3::float8 * ${MS}
FROM unnest($1::bigint[], $2::text[]) AS t(id, token)
WHERE j.id = t.id AND j.state = 'active' AND j.lease_token = t.token
RETURNING j.id::text AS id, j.lease_token, j.cancel_requested`,
    ),

    saveProgress: q(
      'save_progress',
      `UPDATE ${s}.jobs j SET progress_current = t.current, progress_total = t.total, progress_message = t.message, progress_updated_at = now()
FROM unnest($1::bigint[], $2::text[], $3::float8[], $4::float8[], $5::text[]) AS t(id, token, current, total, message)
WHERE j.id = t.id AND j.state = 'active' AND j.lease_token = t.token
RETURNING j.id::text AS id`,
    ),

    /**
     * rescueExpired: leases past their expiry on the server's clock go back
     * to waiting, counting a stall; past $1 stalls the job fails.
     */
    rescueExpired: q(
      'rescue_expired',
      `WITH expired AS (
  SELECT id FROM ${s}.jobs WHERE state = 'active' AND lease_expires_at <= now()
  ORDER BY lease_expires_at, id LIMIT $2::int FOR UPDATE SKIP LOCKED
), upd AS (
  UPDATE ${s}.jobs j SET
    stalls = j.stalls + 1,
    state = CASE WHEN j.stalls + 1 > $1::int THEN 'failed' ELSE 'waiting' END,
    finished_at = CASE WHEN j.stalls + 1 > $1::int THEN now() ELSE NULL END,
    error = CASE WHEN j.stalls + 1 > $1::int
      THEN json_build_object('message', format('job stalled %s times (maxStalls %s): its worker (%s) stopped renewing the lease, so it was failed',
             j.stalls + 1, $1::int, COALESCE(j.worker_id, 'unknown')),
           'name', 'StalledJobError', 'code', 'STALLED', 'stack', NULL, 'attempt', j.attempt, 'at', ${NOW_MS})
      ELSE json_build_object('message', format('the lease of worker %s expired (stall %s of %s allowed); the job was put back to waiting',
             COALESCE(j.worker_id, 'unknown'), j.stalls + 1, $1::int),
           'name', 'LeaseExpiredError', 'code', 'LEASE_EXPIRED', 'stack', NULL, 'attempt', j.attempt, 'at', ${NOW_MS}) END,
    lease_token = NULL, lease_expires_at = NULL, cancel_requested = false
  FROM expired WHERE j.id = expired.id
  RETURNING j.id, j.queue, j.state, j.idempotency_key
), released AS (
  DELETE FROM ${s}.idempotency_keys k USING upd
  WHERE upd.state = 'failed' AND k.key = upd.idempotency_key AND k.job_id = upd.id AND k.release_on_failure
)
SELECT upd.id::text AS id, upd.queue, upd.state FROM upd ORDER BY upd.id`,
    ),

    /** NOTIFY several payloads in one round trip. */
    notify: q('notify', `SELECT count(pg_notify($1::text, p)) FROM unnest($2::text[]) p`),
  };
}

export type HotQueries = ReturnType<typeof buildHotQueries>;
