import { createHash } from 'node:crypto';
import { LEASED_STATES, OPERATIONS, sqlStates, type OperationName } from '../../core/job-state.js';
import { attemptDelta, type LeasedTransition } from '../../core/outcome.js';
import { claimColumns, jobColumns } from './job-rows.js';

/**
 * SQL of the hot path, one named (prepared) statement per Store method, for
 * one schema. Each does its whole job in a single round trip: many jobs in
 * (a JSON array or unnest of arrays), rows out (RETURNING).
 */
export interface NamedQuery {
  name: string;
  text: string;
}

/**
 * The guard of a state-changing operation: `<alias>.state IN (…)` from
 * core's OPERATIONS, never a hand-written list.
 */
function guard(op: OperationName, alias = 'j'): string {
  return `${alias}.state IN (${sqlStates(OPERATIONS[op].from)})`;
}

/*
 * The lease guard of a worker's write is `id = ANY($1) AND id = t.id AND
 * lease_token = t.token` plus the state guard of the write's operation
 * (core's transitionOperation: start from reserved, end from reserved or
 * active). A job has a lease token only while held (reserved or active: the
 * claim sets it; every end, the rescuer and an operator's cancel of a
 * reserved job clear it), so for `end` the token implies the state; for
 * `start` it does not (the job may have started under the same token), and
 * the explicit guard is what refuses a second start. Spelling the guard out
 * (for both, from core's OPERATIONS) is safe for the plan
 * since migration 3: the lease index is keyed on lease_expires_at IS NOT NULL,
 * so a state condition cannot make it usable (jobs_active_lease, WHERE state =
 * 'active', tempted the planner to read every active job's entry, dead ones
 * too, instead of one primary-key probe per id). `id = ANY($1)` gives it that
 * probe as an index condition on jobs (a join condition alone left it hashing
 * a sequential scan). Heartbeats and progress (not state changes) keep the
 * token alone: it implies a held job.
 */
const RUNNABLE = guard('claim', 'j');
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
     * skipping rows another claimer holds; each becomes reserved under a
     * lease from the server's clock (not started: attempt and started_at are
     * left to the start). Lease token: a random prefix drawn per claim call
     * ($6) plus the job id, unique per claim without a random draw per row.
     */
    claimJobs: q('claim_jobs', `WITH ${claimPicked(s, 0)}\n${claimUpdate(s, 0)}`),

    /**
     * applyTransitions: any mix of starts and ends, each
     * under its operation's guard and its lease token; target states and
     * attempt deltas come from core (outcomeState, attemptDelta). A job that
     * ends `failed` gives up its key if it asked to. Returns the applied ids.
     */
    applyTransitions: q('apply_transitions', `WITH ${applyCtes(s)}\nSELECT id::text AS id, queue, state FROM upd`),

    /**
     * applyTransitions when every write is a completion or a start (the hot
     * case: a worker's round carries the completions of the jobs that ended
     * and the starts of those still running): five arrays, no per-row outcome
     * logic. Returns the applied ids.
     */
    completeJobs: q('complete_jobs', `${completeUpdate(s)}\nRETURNING j.id::text AS id`),

    /**
     * applyAndClaim, the busy worker's one round trip: the completions and
     * starts ($1-$5, as completeJobs) and a claim ($6-$11, as claimJobs) in
     * one statement, so one commit. The two touch disjoint rows (a write
     * needs a lease token, which only reserved and active jobs have; a claim
     * takes only runnable ones). Rows: the claimed jobs (applied and wake
     * NULL), then one marker row with the applied ids and the queues that got
     * a job back to waiting (none here).
     */
    completeAndClaim: q(
      'complete_and_claim',
      `WITH upd AS (
  ${completeUpdate(s)}
  RETURNING j.id, j.queue, j.state
), ${claimPicked(s, COMPLETE_PARAMS)}, claimed AS (
  ${claimUpdate(s, COMPLETE_PARAMS)}
)
${CLAIMED_THEN_MARKER}`,
    ),

    /** applyAndClaim with any writes: applyTransitions' CTEs ($1-$11), then a claim ($12-$17). */
    applyAndClaim: q(
      'apply_and_claim',
      `WITH ${applyCtes(s)}, ${claimPicked(s, APPLY_PARAMS)}, claimed AS (
  ${claimUpdate(s, APPLY_PARAMS)}
)
${CLAIMED_THEN_MARKER}`,
    ),

    /** extendLeases: renews held leases (reserved or active); returns them with their cancel flag. */
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
     * rescueExpired, first statement of its transaction: held jobs (reserved
     * or active) whose lease expired on the server's clock, oldest first,
     * locked (SKIP LOCKED: concurrent rescuers split them), with what core's
     * decideRescue needs and the statement's now. `lease_expires_at <= now()`
     * implies the jobs_lease predicate (IS NOT NULL), so the scan is that
     * index in order; the state condition only filters. (`j.id`: a bare `id`
     * in ORDER BY would be the text output column.)
     */
    rescueExpiredRead: q(
      'rescue_expired_read',
      `SELECT j.id::text AS id, j.state, j.stalls, j.attempt, j.worker_id, j.cancel_requested, ${NOW_MS} AS now
FROM ${s}.jobs j WHERE j.lease_expires_at <= now() AND j.state IN (${sqlStates(LEASED_STATES)})
ORDER BY j.lease_expires_at, j.id LIMIT $1::int FOR UPDATE SKIP LOCKED`,
    ),

    /**
     * rescueExpired, second statement: core's decisions for the locked rows,
     * each under its operation's guard (rescue: active; unreserve: reserved).
     * $1 ids, $2 operations, $3 target states, $4 stalls (NULL: unchanged),
     * $5 failure JSON (NULL: error kept). A job that ends `failed` gives up
     * its key if it asked to. Returns each applied row with its operation.
     */
    rescueExpiredApply: q(
      'rescue_expired_apply',
      `WITH upd AS (
  UPDATE ${s}.jobs j SET
    state = t.state,
    stalls = COALESCE(t.stalls, j.stalls),
    finished_at = CASE WHEN t.state IN ('completed','failed','cancelled') THEN now() ELSE NULL END,
    error = COALESCE(t.error::json, j.error),
    lease_token = NULL, lease_expires_at = NULL, cancel_requested = false
  FROM unnest($1::bigint[], $2::text[], $3::text[], $4::int[], $5::text[]) AS t(id, op, state, stalls, error)
  WHERE j.id = ANY($1::bigint[]) AND j.id = t.id AND ${opGuard(['rescue', 'unreserve'])}
  RETURNING j.id, j.queue, j.state, j.idempotency_key, t.op
), released AS (
  DELETE FROM ${s}.idempotency_keys k USING upd
  WHERE upd.state = 'failed' AND k.key = upd.idempotency_key AND k.job_id = upd.id AND k.release_on_failure
)
SELECT upd.id::text AS id, upd.queue, upd.state, upd.op FROM upd ORDER BY upd.id`,
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
  SELECT c.ctid
  FROM (SELECT * FROM unnest(${p(1)}::text[], ${p(2)}::int[]) AS u(queue, lim)
        WHERE u.lim > 0 AND NOT EXISTS (SELECT 1 FROM ${s}.queues p WHERE p.name = u.queue AND p.paused)) AS q
  CROSS JOIN LATERAL (
    SELECT j.ctid FROM ${s}.jobs j
    WHERE j.queue = q.queue AND ${RUNNABLE} AND j.run_at <= now() AND j.name = ANY(${p(3)}::text[])
    ORDER BY j.priority DESC, j.run_at, j.id
    LIMIT q.lim
    FOR NO KEY UPDATE SKIP LOCKED
  ) c
)`;
}

/**
 * claimJobs' write: the job becomes reserved under a lease from the server's
 * clock; its attempt and started_at wait for the start. Lease token: a random
 * prefix drawn per claim call ($(o+6)) plus the job id, unique per claim
 * without a random draw per row. (The rows are locked by `picked`, which
 * applied the claim's guard.) The UPDATE finds them by the tuple ids
 * `picked` locked (`ctid = ANY(ARRAY(…))`: a TID scan, one heap fetch per
 * row): a locked row version cannot move before this statement updates it
 * (no one else may update it, and vacuum does not move tuples), so its ctid
 * names exactly the picked row. Before, it probed the primary key with the
 * picked ids (`id = ANY(ARRAY(…))`; a join alone had the planner hash a
 * sequential scan of the whole table): 4-5 buffer reads per job for the
 * descent and the heap; with 1,000,000 jobs, EXPLAIN (ANALYZE, BUFFERS) of a
 * 512-job claim read 2,528 buffers in that probe (bench/README.md, "Profile").
 */
function claimUpdate(s: string, o: number): string {
  const p = (n: number): string => `$${o + n}`;
  return `UPDATE ${s}.jobs j
SET state = 'reserved', lease_token = ${p(6)}::text || j.id::text,
    lease_expires_at = now() + ${p(4)}::float8 * ${MS}, worker_id = ${p(5)}::text,
    cancel_requested = false, cancel_reason = NULL
WHERE j.ctid = ANY(ARRAY(SELECT ctid FROM picked))
RETURNING ${claimColumns('j')}`;
}

/** `(t.op = 'start' AND j.state IN (…)) OR …`: each row under the guard of its own operation. */
function opGuard(ops: readonly OperationName[]): string {
  return `(${ops.map((op) => `(t.op = '${op}' AND ${guard(op)})`).join(' OR ')})`;
}

/** Parameters of applyCtes ($1-$11) and of completeUpdate ($1-$5); a claim's follow. */
const APPLY_PARAMS = 11;
const COMPLETE_PARAMS = 5;

/**
 * applyTransitions' CTEs (t, upd, released), parameters $1-$11: id, token,
 * op (core's transitionOperation: start | end, whose guard
 * the row must pass), target state (outcomeState; 'active' for a start),
 * delay (NULL keeps run_at), the attempt delta for a row found reserved and
 * for one found active (core's attemptDelta), startedAgoMs (NULL when the
 * write does not say the job started: a release or cancel found reserved
 * ends unstarted), result, failure and cancel reason. A row still
 * reserved gets its start in the same write (attempt, started_at); a start
 * keeps the lease, every end clears it. A job that ends `failed` gives up its
 * key if it asked to. `upd` holds the applied rows.
 */
function applyCtes(s: string): string {
  return `t AS (
  SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::float8[], $6::int[], $7::int[], $8::float8[], $9::text[], $10::text[], $11::text[])
    AS t(id, token, op, state, delay_ms, delta_reserved, delta_active, ago, result, error, cancel_reason)
), upd AS (
  UPDATE ${s}.jobs j SET
    state = t.state,
    -- a NULL delay (release) keeps the job's run time: its place in line
    run_at = CASE WHEN t.state IN ('waiting','delayed') THEN COALESCE(now() + t.delay_ms * ${MS}, j.run_at) ELSE j.run_at END,
    finished_at = CASE WHEN t.state IN ('completed','failed','cancelled') THEN now() ELSE NULL END,
    -- j.state is the row before this write: reserved means the start comes with it
    attempt = j.attempt + CASE WHEN j.state = 'reserved' THEN t.delta_reserved ELSE t.delta_active END,
    started_at = CASE WHEN j.state = 'reserved' AND t.ago IS NOT NULL THEN now() - t.ago * ${MS} ELSE j.started_at END,
    -- only a completion has a result (outcomeState: complete -> completed, nothing else)
    result = CASE WHEN t.state = 'completed' THEN t.result::json ELSE j.result END,
    error = COALESCE(t.error::json, j.error),
    cancel_reason = COALESCE(t.cancel_reason, j.cancel_reason),
    lease_token = CASE WHEN t.op = 'start' THEN j.lease_token END,
    lease_expires_at = CASE WHEN t.op = 'start' THEN j.lease_expires_at END,
    cancel_requested = (t.op = 'start' AND j.cancel_requested)
  FROM t
  WHERE j.id = ANY($1::bigint[]) AND j.id = t.id AND j.lease_token = t.token AND ${opGuard(['start', 'end'])}
  RETURNING j.id, j.queue, j.state, j.idempotency_key
), released AS (
  DELETE FROM ${s}.idempotency_keys k USING upd
  WHERE upd.state = 'failed' AND k.key = upd.idempotency_key AND k.job_id = upd.id AND k.release_on_failure
)`;
}

/**
 * The attempt deltas the lean statement applies, from core: a completion or
 * a start found reserved counts the attempt (the start comes with it), a
 * completion found active changes nothing. Checked once here, so a change of
 * core's rule cannot leave this statement behind unnoticed.
 */
const LEAN_DELTA = (() => {
  const complete: LeasedTransition = { jobId: '', leaseToken: '', startedAgoMs: 0, outcome: { kind: 'complete', resultJson: null } };
  const start: LeasedTransition = { jobId: '', leaseToken: '', startedAgoMs: 0, outcome: null };
  const reserved = attemptDelta(complete, 'reserved');
  if (attemptDelta(start, 'reserved') !== reserved) throw new Error('docket: a start and a completion found reserved must count the same attempt delta');
  return { reserved, active: attemptDelta(complete, 'active') };
})();

/**
 * completeJobs' write, without its RETURNING: completions and starts. $1 ids,
 * $2 tokens, $3 result JSON (NULL for a start), $4 startedAgoMs (0 when a
 * completion did not say), $5 whether the row is a start. A start (reserved
 * -> active) keeps the lease; a completion (reserved or active -> completed)
 * clears it, and gets its start in the same write when the row is still
 * reserved (the common case: short jobs start and end between two rounds).
 */
function completeUpdate(s: string): string {
  return `UPDATE ${s}.jobs j SET
    state = CASE WHEN t.start THEN 'active' ELSE 'completed' END,
    finished_at = CASE WHEN t.start THEN j.finished_at ELSE now() END,
    result = CASE WHEN t.start THEN j.result ELSE t.result::json END,
    attempt = j.attempt + CASE WHEN j.state = 'reserved' THEN ${LEAN_DELTA.reserved} ELSE ${LEAN_DELTA.active} END,
    started_at = CASE WHEN j.state = 'reserved' THEN now() - t.ago * ${MS} ELSE j.started_at END,
    lease_token = CASE WHEN t.start THEN j.lease_token END,
    lease_expires_at = CASE WHEN t.start THEN j.lease_expires_at END,
    cancel_requested = (t.start AND j.cancel_requested)
FROM unnest($1::bigint[], $2::text[], $3::text[], $4::float8[], $5::bool[]) AS t(id, token, result, ago, start)
WHERE j.id = ANY($1::bigint[]) AND j.id = t.id AND j.lease_token = t.token
  AND CASE WHEN t.start THEN ${guard('start')} ELSE ${guard('end')} END`;
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

