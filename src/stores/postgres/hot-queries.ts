import { createHash } from 'node:crypto';
import { claimColumns, jobColumns } from './job-row.js';

/**
 * SQL of the hot path, one named (prepared) statement per Store method, for
 * one schema. Each does its whole job in a single round trip: many jobs in
 * (a JSON array or unnest of arrays), rows out (RETURNING).
 */
export interface NamedQuery {
  name: string;
  text: string;
}

const RUNNABLE = `state IN ('waiting','delayed')`;
/*
 * The lease guard is `id = $id AND lease_token = $token` alone: a job has a
 * lease token only while it is active (the claim sets it; every transition
 * and the rescuer clear it). Adding `state = 'active'` would be redundant and
 * lets the planner pick the jobs_active_lease partial index, reading every
 * active job's entry (dead ones too) instead of one primary-key probe per id.
 * `id = ANY($1)` gives it that probe as an index condition on jobs (a join
 * condition alone left it hashing a sequential scan).
 */
const MS = `interval '1 millisecond'`;
const NOW_MS = `date_part('epoch', now()) * 1000`;

/**
 * New jobs arrive as ONE json parameter, an array of objects with short keys
 * (see enqueue.ts): parsing one JSON document is several times cheaper for
 * the server than parsing a dozen text[] parameters with quoted elements, and
 * the payloads go in verbatim (no double escaping). `json`, not `jsonb`, so
 * each payload keeps its exact text.
 */
/* json_to_recordset reads a JSON null payload as SQL NULL: the inserts put it back as JSON null (COALESCE). */
const INPUT = `ROWS FROM (json_to_recordset($1::json) AS (n text, q text, d json, p int, l float8, r float8, m int, o bigint, s text, f float8, k text, kf bool, rf bool))
  WITH ORDINALITY AS i(n, q, d, p, l, r, m, o, s, f, k, kf, rf, ord)`;
/** run_at: the absolute time when given (epoch ms), else now() + delay. */
const RUN_AT = `COALESCE(to_timestamp(i.r / 1000.0), now() + i.l * ${MS})`;

/**
 * Prefix of this store's prepared statement names. The server cuts names at
 * 63 bytes (two long names sharing a prefix would collide), so the schema
 * enters as a short hash.
 */
export function statementPrefix(schema: string): string {
  return `dk_${createHash('sha256').update(schema).digest('hex').slice(0, 10)}_`;
}

export function buildHotQueries(s: string, prefix: string) {
  const q = (name: string, text: string): NamedQuery => ({ name: `${prefix}${name}`, text });

  return {
    /**
     * enqueue, the common bulk case: no keys and the same options for every
     * job, so only the payloads vary. $1 is one JSON array of the payloads
     * (json_array_elements keeps each element's exact text), the options are
     * scalars. Cheapest for the server: no per-row option parsing at all.
     * $11: NOTIFY payloads to send with the insert (empty when throttled), $12
     * the channel. Returns the ids (in input order) and the statement's now(),
     * from which the caller builds the records.
     */
    enqueueUniform: q(
      'enqueue_uniform',
      `WITH ins AS (
  INSERT INTO ${s}.jobs (name, queue, data, state, priority, run_at, max_attempts, timeout_ms, schedule_name, fire_time)
  SELECT $2::text, $3::text, e.d, CASE WHEN r.run_at > now() THEN 'delayed' ELSE 'waiting' END, $4::int, r.run_at,
         $5::int, $6::bigint, $7::text, to_timestamp($8::float8 / 1000.0)
  FROM json_array_elements($1::json) WITH ORDINALITY AS e(d, ord),
       (SELECT COALESCE(to_timestamp($9::float8 / 1000.0), now() + $10::float8 * ${MS}) AS run_at) r
  ORDER BY e.ord
  RETURNING id
)
SELECT string_agg(id::text, ',' ORDER BY id) AS ids, ${NOW_MS} AS now,
       (SELECT count(pg_notify($12::text, p)) FROM unnest($11::text[]) p) AS notified
FROM ins`,
    ),

    /**
     * enqueue (no keys, options vary per job): one JSON array of job objects.
     * $2: NOTIFY payloads, $3 the channel; returns like enqueueUniform.
     */
    enqueue: q(
      'enqueue',
      `WITH ins AS (
  INSERT INTO ${s}.jobs (name, queue, data, state, priority, run_at, max_attempts, timeout_ms, schedule_name, fire_time)
  SELECT i.n, i.q, COALESCE(i.d, 'null'::json), CASE WHEN ${RUN_AT} > now() THEN 'delayed' ELSE 'waiting' END, i.p, ${RUN_AT}, i.m, i.o, i.s, to_timestamp(i.f / 1000.0)
  FROM ${INPUT}
  ORDER BY i.ord
  RETURNING id
)
SELECT string_agg(id::text, ',' ORDER BY id) AS ids, ${NOW_MS} AS now,
       (SELECT count(pg_notify($3::text, p)) FROM unnest($2::text[]) p) AS notified
FROM ins`,
    ),

    /**
     * enqueue with idempotency keys (keys unique within the call). A key row
     * is claimed first (ON CONFLICT DO NOTHING); only jobs that won their key
     * (or have none) are inserted. Rows: the inserted jobs (`id`, `key`), then
     * one row per key held by someone else (`dup_key`, `holder_id`, and the
     * holder's row as JSON when it still exists). A key whose holder
     * committed after this statement's snapshot is in neither set; the caller
     * looks it up again.
     */
    enqueueKeyed: q(
      'enqueue_keyed',
      `WITH input AS MATERIALIZED (
  SELECT nextval('${s}.jobs_id_seq'::regclass) AS id, i.*, ${RUN_AT} AS run_at
  FROM ${INPUT}
  ORDER BY i.ord
), won AS (
  INSERT INTO ${s}.idempotency_keys (key, job_id, keep_forever, release_on_failure)
  SELECT k, id, kf, rf FROM input WHERE k IS NOT NULL ORDER BY ord
  ON CONFLICT (key) DO NOTHING
  RETURNING key
), ins AS (
  INSERT INTO ${s}.jobs (id, name, queue, data, state, priority, run_at, max_attempts, timeout_ms, schedule_name, fire_time, idempotency_key, key_flags)
  SELECT i.id, i.n, i.q, COALESCE(i.d, 'null'::json), CASE WHEN i.run_at > now() THEN 'delayed' ELSE 'waiting' END,
         i.p, i.run_at, i.m, i.o, i.s, to_timestamp(i.f / 1000.0), i.k,
         (CASE WHEN i.kf THEN 1 ELSE 0 END) + (CASE WHEN i.rf THEN 2 ELSE 0 END)
  FROM input i WHERE i.k IS NULL OR i.k IN (SELECT key FROM won)
  ORDER BY i.ord
  RETURNING id, idempotency_key
), held AS (
  SELECT k.key, k.job_id FROM ${s}.idempotency_keys k
  WHERE k.key IN (SELECT k FROM input WHERE k IS NOT NULL) AND k.key NOT IN (SELECT key FROM won)
)
SELECT ins.id::text AS id, ins.idempotency_key AS key, NULL::text AS dup_key, NULL::text AS holder_id, NULL::json AS holder,
       ${NOW_MS} AS now, (SELECT count(pg_notify($3::text, p)) FROM unnest($2::text[]) p) AS notified
FROM ins
UNION ALL
SELECT NULL, NULL, h.key, h.job_id::text, (SELECT row_to_json(x) FROM (SELECT ${jobColumns('j')}) x), ${NOW_MS}, 0
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
     * Lease token: a random prefix drawn per claim call ($6) plus the job id,
     * unique per attempt without a random draw per row.
     */
    claimJobs: q('claim_jobs', `WITH ${claimPicked(s, 0)}\n${claimUpdate(s, 0)}`),

    /**
     * applyTransitions: every outcome guarded by state 'active' + lease token;
     * the target state comes from core (outcomeState). A job that ends `failed`
     * gives up its key if it asked to. Returns the applied ids.
     */
    applyTransitions: q('apply_transitions', `WITH ${applyCtes(s)}\nSELECT id::text AS id, queue, state FROM upd`),

    /**
     * applyTransitions when every outcome is `complete` (the hot case): two
     * arrays and the results, no per-row outcome logic. Returns the applied ids.
     */
    completeJobs: q('complete_jobs', `${completeUpdate(s)}\nRETURNING j.id::text AS id`),

    /**
     * applyAndClaim, the busy worker's one round trip: the completions
     * ($1-$3, as completeJobs) and a claim ($4-$9, as claimJobs) in one
     * statement, so one commit. The two touch disjoint rows (a completion
     * needs a lease token, which only active jobs have; a claim takes only
     * runnable ones). Rows: the claimed jobs (applied and wake NULL), then one
     * marker row with the applied ids and the queues that got a job back to
     * waiting (none here).
     */
    completeAndClaim: q(
      'complete_and_claim',
      `WITH upd AS (
  ${completeUpdate(s)}
  RETURNING j.id, j.queue, j.state
), ${claimPicked(s, 3)}, claimed AS (
  ${claimUpdate(s, 3)}
)
${CLAIMED_THEN_MARKER}`,
    ),

    /** applyAndClaim with any outcomes: applyTransitions' CTEs ($1-$9), then a claim ($10-$15). */
    applyAndClaim: q(
      'apply_and_claim',
      `WITH ${applyCtes(s)}, ${claimPicked(s, 9)}, claimed AS (
  ${claimUpdate(s, 9)}
)
${CLAIMED_THEN_MARKER}`,
    ),

    /** extendLeases: renews held leases; returns them with their cancel flag. */
    extendLeases: q(
      'extend_leases',
      `UPDATE ${s}.jobs j SET lease_expires_at = now() + $3::float8 * ${MS}
FROM unnest($1::bigint[], $2::text[]) AS t(id, token)
WHERE j.id = ANY($1::bigint[]) AND j.id = t.id AND j.lease_token = t.token
RETURNING j.id::text AS id, j.lease_token, j.cancel_requested`,
    ),

    saveProgress: q(
      'save_progress',
      `UPDATE ${s}.jobs j SET progress_current = t.current, progress_total = t.total, progress_message = t.message, progress_updated_at = now()
FROM unnest($1::bigint[], $2::text[], $3::float8[], $4::float8[], $5::text[]) AS t(id, token, current, total, message)
WHERE j.id = ANY($1::bigint[]) AND j.id = t.id AND j.lease_token = t.token
RETURNING j.id::text AS id`,
    ),

    /**
     * rescueExpired: leases past their expiry on the server's clock go back
     * to waiting, counting a stall; past $1 stalls the job fails; a job whose
     * cancel was requested is cancelled (and reported in neither list).
     */
    rescueExpired: q(
      'rescue_expired',
      `WITH expired AS (
  SELECT id FROM ${s}.jobs WHERE state = 'active' AND lease_expires_at <= now()
  ORDER BY lease_expires_at, id LIMIT $2::int FOR UPDATE SKIP LOCKED
), upd AS (
  UPDATE ${s}.jobs j SET
    stalls = j.stalls + 1,
    -- a job whose cancel was requested is cancelled: its worker is gone, and running it again would undo the cancel
    state = CASE WHEN j.cancel_requested THEN 'cancelled' WHEN j.stalls + 1 > $1::int THEN 'failed' ELSE 'waiting' END,
    finished_at = CASE WHEN j.cancel_requested OR j.stalls + 1 > $1::int THEN now() ELSE NULL END,
    error = CASE WHEN j.cancel_requested THEN j.error
      WHEN j.stalls + 1 > $1::int
      THEN json_build_object('message', format('job stalled %s times (maxStalls %s): its worker (%s) stopped renewing the lease, so it was failed',
             j.stalls + 1, $1::int, COALESCE(j.worker_id, 'unknown')),
           'name', 'StalledJobError', 'code', 'STALLED', 'stack', NULL, 'attempt', j.attempt, 'at', ${NOW_MS})
      ELSE json_build_object('message', format('the lease of worker %s expired (stall %s, maxStalls %s); the job was put back to waiting',
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

/**
 * claimJobs' pick: per queue (not paused) up to its limit, in claim order,
 * skipping rows another claimer holds. Parameters from $(o+1): queues,
 * limits, names (then leaseMs, workerId, token prefix for claimUpdate).
 */
function claimPicked(s: string, o: number): string {
  const p = (n: number): string => `$${o + n}`;
  return `picked AS (
  SELECT c.id
  FROM (SELECT * FROM unnest(${p(1)}::text[], ${p(2)}::int[]) AS u(queue, lim)
        WHERE u.lim > 0 AND NOT EXISTS (SELECT 1 FROM ${s}.queues p WHERE p.name = u.queue AND p.paused)) AS q
  CROSS JOIN LATERAL (
    SELECT j.id FROM ${s}.jobs j
    WHERE j.queue = q.queue AND j.${RUNNABLE} AND j.run_at <= now() AND j.name = ANY(${p(3)}::text[])
    ORDER BY j.priority DESC, j.run_at, j.id
    LIMIT q.lim
    FOR NO KEY UPDATE SKIP LOCKED
  ) c
)`;
}

/**
 * claimJobs' write: the lease from the server's clock. Lease token: a random
 * prefix drawn per claim call ($(o+6)) plus the job id, unique per attempt
 * without a random draw per row.
 */
function claimUpdate(s: string, o: number): string {
  const p = (n: number): string => `$${o + n}`;
  return `UPDATE ${s}.jobs j
SET state = 'active', attempt = j.attempt + 1, lease_token = ${p(6)}::text || j.id::text,
    lease_expires_at = now() + ${p(4)}::float8 * ${MS}, started_at = now(), worker_id = ${p(5)}::text,
    cancel_requested = false, cancel_reason = NULL
FROM picked WHERE j.id = picked.id
RETURNING ${claimColumns('j')}`;
}

/**
 * applyTransitions' CTEs (t, upd, released): every outcome guarded by its
 * lease token; the target state comes from core (outcomeState). A job that
 * ends `failed` gives up its key if it asked to. `upd` holds the applied rows.
 */
function applyCtes(s: string): string {
  return `t AS (
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
  WHERE j.id = ANY($1::bigint[]) AND j.id = t.id AND j.lease_token = t.token
  RETURNING j.id, j.queue, j.state, j.idempotency_key
), released AS (
  DELETE FROM ${s}.idempotency_keys k USING upd
  WHERE upd.state = 'failed' AND k.key = upd.idempotency_key AND k.job_id = upd.id AND k.release_on_failure
)`;
}

/** completeJobs' write ($1 ids, $2 tokens, $3 result JSON), without its RETURNING. */
function completeUpdate(s: string): string {
  return `UPDATE ${s}.jobs j SET state = 'completed', finished_at = now(), result = t.result::json,
    lease_token = NULL, lease_expires_at = NULL, cancel_requested = false
FROM unnest($1::bigint[], $2::text[], $3::text[]) AS t(id, token, result)
WHERE j.id = ANY($1::bigint[]) AND j.id = t.id AND j.lease_token = t.token`;
}

/** How many columns claimColumns() yields (its commas outside parentheses, plus one). */
const CLAIM_COLUMN_COUNT = (() => {
  let depth = 0;
  let n = 1;
  for (const ch of claimColumns('j')) {
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === ',' && depth === 0) n++;
  }
  return n;
})();

/**
 * The claimed rows, then one marker row (claim columns NULL; UNION ALL takes
 * their types from the first branch) carrying the applied ids and the queues
 * that got a job back to `waiting`.
 */
const CLAIMED_THEN_MARKER = `SELECT claimed.*, NULL::text[] AS applied, NULL::text[] AS wake FROM claimed
UNION ALL
SELECT ${Array.from({ length: CLAIM_COLUMN_COUNT }, () => 'NULL').join(', ')},
  (SELECT COALESCE(array_agg(id::text), '{}') FROM upd),
  (SELECT COALESCE(array_agg(DISTINCT queue) FILTER (WHERE state = 'waiting'), '{}') FROM upd)`;

