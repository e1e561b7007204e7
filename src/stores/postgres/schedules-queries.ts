import type { NamedQuery } from './hot-queries.js';

/**
 * SQL of the PostgreSQL store's schedule operations (schedules.ts), named
 * after the ScheduleStore method that runs it. Instants go in as epoch ms
 * (float8, `to_timestamp(ms / 1000.0)` is exact to the microsecond) and come
 * back as epoch ms; "now" is always the server's now(), which is fixed for a
 * transaction, so every row one claim writes carries the same time.
 */

/** The schema of schedules: migration 2. */
export const SCHEDULES_MIGRATION = {
  name: 'schedules and their fire history',
  sql: (s: string) => `
CREATE TABLE ${s}.schedules (
  name          text PRIMARY KEY,
  trigger       json NOT NULL,            -- Trigger, opaque to the store
  trigger_key   text NOT NULL,            -- triggerKey(trigger): the same key keeps the slot
  policy        json NOT NULL,            -- SchedulePolicy as declared
  job           json NOT NULL,            -- ScheduleJobTemplate
  paused        boolean NOT NULL,
  next_fire_at  timestamptz,              -- the earliest fire not yet handled; NULL: no more fires
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  removed_at    timestamptz               -- stored but no longer declared: does not fire
);
-- The scheduler's due query and its wake-up (the min slot).
CREATE INDEX schedules_due ON ${s}.schedules (next_fire_at)
  WHERE removed_at IS NULL AND NOT paused AND next_fire_at IS NOT NULL;

CREATE TABLE ${s}.schedule_fires (
  id            bigserial PRIMARY KEY,
  schedule      text NOT NULL,
  kind          text NOT NULL CHECK (kind IN ('fired','manual','misfire','coalesced','paused','max-running')),
  fire_at       timestamptz NOT NULL,     -- the slot (summaries: the first one; manual: when triggered)
  last_fire_at  timestamptz NOT NULL,
  count         integer NOT NULL,
  count_exact   boolean NOT NULL,
  job_id        bigint,
  late_ms       double precision,
  catch_up      boolean NOT NULL,
  recorded_at   timestamptz NOT NULL DEFAULT now()
);
-- Exactly once per (schedule, fire time): a slot is fired or skipped at most once.
CREATE UNIQUE INDEX schedule_fires_slot ON ${s}.schedule_fires (schedule, fire_at)
  WHERE kind IN ('fired','max-running');
-- A schedule's recent fires, newest first, and history trimming.
CREATE INDEX schedule_fires_recent ON ${s}.schedule_fires (schedule, id);
`,
};

const MS = `interval '1 millisecond'`;
const ms = (col: string, as = col.replace(/^\w+\./, '')) => `date_part('epoch', ${col}) * 1000 AS ${as}`;
const at = (param: string) => `to_timestamp(${param}::float8 / 1000.0)`;

/** The columns of a schedule row (ScheduleRow in schedules.ts); JSON as its stored text. */
function scheduleColumns(a: string): string {
  return [
    `${a}.name`,
    `${a}.trigger::text AS trigger`,
    `${a}.trigger_key`,
    `${a}.policy::text AS policy`,
    `${a}.job::text AS job`,
    `${a}.paused`,
    ms(`${a}.next_fire_at`),
    ms(`${a}.created_at`),
    ms(`${a}.updated_at`),
    ms(`${a}.removed_at`),
  ].join(', ');
}

/** The columns of a fire row (FireRow in schedules.ts). */
function fireColumns(a: string): string {
  return [
    `${a}.schedule`,
    `${a}.kind`,
    ms(`${a}.fire_at`),
    ms(`${a}.last_fire_at`),
    `${a}.count`,
    `${a}.count_exact`,
    `${a}.job_id::text AS job_id`,
    `${a}.late_ms`,
    `${a}.catch_up`,
    ms(`${a}.recorded_at`),
  ].join(', ');
}

const LAST_KINDS = `('fired','manual')`;
const SLOT_KINDS = `('fired','max-running')`;

export function buildScheduleQueries(s: string, prefix: string) {
  const q = (name: string, text: string): NamedQuery => ({ name: `${prefix}sch_${name}`, text });

  /** A schedule with its latest fired/manual row and its latest row of any other kind, each as JSON. */
  const record = (where: string, order = '') => `SELECT ${scheduleColumns('s')},
  (SELECT row_to_json(x) FROM (SELECT ${fireColumns('f')} FROM ${s}.schedule_fires f
     WHERE f.schedule = s.name AND f.kind IN ${LAST_KINDS} ORDER BY f.id DESC LIMIT 1) x) AS last_fire,
  (SELECT row_to_json(x) FROM (SELECT ${fireColumns('f')} FROM ${s}.schedule_fires f
     WHERE f.schedule = s.name AND f.kind NOT IN ${LAST_KINDS} ORDER BY f.id DESC LIMIT 1) x) AS last_missed
FROM ${s}.schedules s ${where} ${order}`;

  return {
    getSchedule: q('get', record('WHERE s.name = $1::text')),
    listSchedules: q('list', record('', 'ORDER BY s.name')),

    upsertSchedules: {
      /** Stored rows the upsert may change, locked in name order ($1 null: all of them, for removeUndeclared). */
      lock: q('upsert_lock', `SELECT ${scheduleColumns('s')} FROM ${s}.schedules s
WHERE $1::text[] IS NULL OR s.name = ANY($1::text[]) ORDER BY s.name FOR UPDATE`),
      /** $1: JSON array of rows {name, trigger, trigger_key, policy, job, paused, next (ms), touch}; `touch` moves updated_at. */
      insert: q('upsert_insert', `INSERT INTO ${s}.schedules (name, trigger, trigger_key, policy, job, paused, next_fire_at)
SELECT r.name, r.trigger, r.trigger_key, r.policy, r.job, r.paused, ${at('r.next')}
FROM json_to_recordset($1::json) AS r(name text, trigger json, trigger_key text, policy json, job json, paused bool, next float8)`),
      update: q('upsert_update', `UPDATE ${s}.schedules s SET trigger = r.trigger, trigger_key = r.trigger_key, policy = r.policy, job = r.job,
  paused = r.paused, next_fire_at = ${at('r.next')}, removed_at = NULL,
  updated_at = CASE WHEN r.touch THEN now() ELSE s.updated_at END
FROM json_to_recordset($1::json) AS r(name text, trigger json, trigger_key text, policy json, job json, paused bool, next float8, touch bool)
WHERE s.name = r.name`),
      markRemoved: q('upsert_mark_removed', `UPDATE ${s}.schedules SET removed_at = now()
WHERE removed_at IS NULL AND name <> ALL($1::text[]) RETURNING name`),
      listRemoved: q('upsert_list_removed', `SELECT name, ${ms('removed_at')} FROM ${s}.schedules
WHERE removed_at IS NOT NULL AND name <> ALL($1::text[]) ORDER BY name`),
    },

    /**
     * listDueSchedules: one row per due schedule (or one row of NULLs when
     * none), each with the statement's now and the earliest slot after the
     * horizon, so the caller plans with the clock the due set was judged on.
     */
    listDueSchedules: q('list_due', `WITH t AS (SELECT now() AS now, now() + $1::float8 * ${MS} AS horizon)
SELECT ${ms('t.now', 'now_ms')},
  (SELECT date_part('epoch', min(n.next_fire_at)) * 1000 FROM ${s}.schedules n
   WHERE n.removed_at IS NULL AND NOT n.paused AND n.next_fire_at IS NOT NULL AND n.next_fire_at > t.horizon) AS next_ms,
  d.*
FROM t LEFT JOIN LATERAL (
  SELECT ${scheduleColumns('s')} FROM ${s}.schedules s
  WHERE s.removed_at IS NULL AND NOT s.paused AND s.next_fire_at IS NOT NULL AND s.next_fire_at <= t.horizon
  ORDER BY s.next_fire_at, s.name LIMIT $2::int
) d ON true`),

    claimFire: {
      /**
       * Serialises claimers of one schedule (and trigger-now): whoever comes
       * second waits here, and its next statement reads with a fresh
       * snapshot, after the first one's jobs and slot are committed.
       */
      lock: q('claim_lock', `SELECT ${ms('now()', 'now_ms')} FROM ${s}.schedules WHERE name = $1::text FOR UPDATE`),
      /**
       * The guard: the slot moves only while slot, trigger and paused flag are
       * what the plan started from and the schedule is not removed. Read in
       * the same snapshot: the schedule's unfinished jobs when $6 (maxRunning
       * given), and which of the fire times $7 are already recorded.
       */
      moveSlot: q('claim_move_slot', `WITH moved AS (
  UPDATE ${s}.schedules SET next_fire_at = ${at('$2')},
    paused = CASE WHEN $5::bool THEN false ELSE paused END,
    updated_at = CASE WHEN $5::bool THEN now() ELSE updated_at END
  WHERE name = $1::text AND next_fire_at IS NOT DISTINCT FROM ${at('$3')} AND trigger_key = $4::text AND paused = $8::bool AND removed_at IS NULL
  RETURNING name
)
SELECT (SELECT count(*) FROM moved)::int AS moved,
  CASE WHEN $6::bool THEN (SELECT count(*) FROM ${s}.jobs j WHERE j.schedule_name = $1::text AND j.state IN ('waiting','delayed','reserved','active'))::int END AS running,
  ARRAY(SELECT date_part('epoch', f.fire_at) * 1000 FROM ${s}.schedule_fires f
        WHERE f.schedule = $1::text AND f.kind IN ${SLOT_KINDS}
          AND f.fire_at IN (SELECT ${at('t')} FROM unnest($7::float8[]) t)) AS taken`),
      /** The stored state a losing claimer reports. */
      state: q('claim_state', `SELECT ${scheduleColumns('s')} FROM ${s}.schedules s WHERE s.name = $1::text`),
      /** (schedule, keep): deletes all but the newest `keep` rows of the schedule. */
      trimHistory: q('claim_trim', `DELETE FROM ${s}.schedule_fires
WHERE schedule = $1::text AND id <= (SELECT id FROM ${s}.schedule_fires WHERE schedule = $1::text ORDER BY id DESC LIMIT 1 OFFSET $2::int)`),
    },

    /** Fire rows of one schedule, recorded at the transaction's now(); in input order. */
    insertFires: q('insert_fires', `INSERT INTO ${s}.schedule_fires (schedule, kind, fire_at, last_fire_at, count, count_exact, job_id, late_ms, catch_up)
SELECT $1::text, r.kind, ${at('r.fire_at')}, ${at('r.last_fire_at')}, r.count, r.count_exact, r.job_id, r.late_ms, r.catch_up
FROM unnest($2::text[], $3::float8[], $4::float8[], $5::int[], $6::bool[], $7::bigint[], $8::float8[], $9::bool[]) WITH ORDINALITY
  AS r(kind, fire_at, last_fire_at, count, count_exact, job_id, late_ms, catch_up, ord)
ORDER BY r.ord`),

    pauseSchedule: q('pause', `UPDATE ${s}.schedules SET paused = true, updated_at = now() WHERE name = $1::text AND NOT paused`),

    listScheduleFires: q('list_fires', `SELECT ${fireColumns('f')} FROM ${s}.schedule_fires f WHERE f.schedule = $1::text ORDER BY f.id DESC LIMIT $2::int`),

    /** Deletes the schedule and its fire history in one statement; returns whether the schedule existed. */
    deleteSchedule: q('delete', `WITH d AS (DELETE FROM ${s}.schedules WHERE name = $1::text RETURNING name),
f AS (DELETE FROM ${s}.schedule_fires WHERE schedule = $1::text)
SELECT count(*)::int AS deleted FROM d`),
  };
}

export type ScheduleQueries = ReturnType<typeof buildScheduleQueries>;
