/**
 * SQL of the SQLite store's schedule operations (schedules.ts), named after
 * the ScheduleStore method that runs it. Times are integer ms from the
 * store's clock, bound as parameters.
 */

/** The schema of schedules; appended to MIGRATIONS as its own version. */
export const SCHEDULES_MIGRATION = {
  name: 'schedules and their fire history',
  sql: `
    CREATE TABLE docket_schedules (
      name         TEXT    PRIMARY KEY,
      trigger      TEXT    NOT NULL,             -- JSON Trigger, opaque to the store
      trigger_key  TEXT    NOT NULL,             -- triggerKey(trigger): same key keeps the slot
      policy       TEXT    NOT NULL,             -- JSON SchedulePolicy as declared
      job          TEXT    NOT NULL,             -- JSON ScheduleJobTemplate
      paused       INTEGER NOT NULL,
      next_fire_at INTEGER,                      -- the earliest fire not yet handled; NULL: no more fires
      created_at   INTEGER NOT NULL,
      updated_at   INTEGER NOT NULL,
      removed_at   INTEGER                       -- stored but no longer declared: does not fire
    ) WITHOUT ROWID;
    -- The scheduler's due query and its wake-up (the min slot).
    CREATE INDEX docket_schedules_due ON docket_schedules (next_fire_at)
      WHERE removed_at IS NULL AND paused = 0 AND next_fire_at IS NOT NULL;

    CREATE TABLE docket_schedule_fires (
      id           INTEGER PRIMARY KEY AUTOINCREMENT,
      schedule     TEXT    NOT NULL,
      kind         TEXT    NOT NULL CHECK (kind IN ('fired', 'manual', 'misfire', 'coalesced', 'paused', 'max-running')),
      fire_at      INTEGER NOT NULL,             -- the slot (summaries: the first one; manual: when triggered)
      last_fire_at INTEGER NOT NULL,
      count        INTEGER NOT NULL,
      count_exact  INTEGER NOT NULL,
      job_id       INTEGER,
      late_ms      INTEGER,
      catch_up     INTEGER NOT NULL,
      recorded_at  INTEGER NOT NULL
    );
    -- Exactly once per (schedule, fire time): a slot is fired or skipped at most once.
    CREATE UNIQUE INDEX docket_schedule_fires_slot ON docket_schedule_fires (schedule, fire_at)
      WHERE kind IN ('fired', 'max-running');
    -- A schedule's recent fires, newest first, and history trimming.
    CREATE INDEX docket_schedule_fires_recent ON docket_schedule_fires (schedule, id);

    -- maxRunning: a schedule's unfinished jobs, counted in the claim's transaction.
    -- finished_at changes once per job, so this index costs one update per finish.
    CREATE INDEX docket_jobs_schedule_unfinished ON docket_jobs (schedule_name)
      WHERE schedule_name IS NOT NULL AND finished_at IS NULL;
  `,
};

const SCHEDULE_COLUMNS = `name, trigger, trigger_key, policy, job, paused, next_fire_at, created_at, updated_at, removed_at`;
const FIRE_COLUMNS = `schedule, kind, fire_at, last_fire_at, count, count_exact, job_id, late_ms, catch_up, recorded_at`;

export const SCHEDULE_SQL = {
  getSchedule: `SELECT ${SCHEDULE_COLUMNS} FROM docket_schedules WHERE name = ?`,
  listSchedules: `SELECT ${SCHEDULE_COLUMNS} FROM docket_schedules ORDER BY name`,

  upsertSchedules: {
    insert: `INSERT INTO docket_schedules (${SCHEDULE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)`,
    update: `UPDATE docket_schedules
      SET trigger = ?, trigger_key = ?, policy = ?, job = ?, paused = ?, next_fire_at = ?, updated_at = coalesce(?, updated_at), removed_at = NULL
      WHERE name = ?`,
    markRemoved: `UPDATE docket_schedules SET removed_at = ?
      WHERE removed_at IS NULL AND name NOT IN (SELECT value FROM json_each(?))
      RETURNING name`,
    listRemoved: `SELECT name, removed_at FROM docket_schedules
      WHERE removed_at IS NOT NULL AND name NOT IN (SELECT value FROM json_each(?))
      ORDER BY name`,
  },

  listDueSchedules: {
    due: `SELECT ${SCHEDULE_COLUMNS} FROM docket_schedules INDEXED BY docket_schedules_due
      WHERE removed_at IS NULL AND paused = 0 AND next_fire_at IS NOT NULL AND next_fire_at <= ?
      ORDER BY next_fire_at, name LIMIT ?`,
    nextAfter: `SELECT min(next_fire_at) FROM docket_schedules INDEXED BY docket_schedules_due
      WHERE removed_at IS NULL AND paused = 0 AND next_fire_at IS NOT NULL AND next_fire_at > ?`,
  },

  claimFire: {
    /** The guard: applies only while the slot, trigger and paused flag are what the plan started from. */
    moveSlot: `UPDATE docket_schedules
      SET next_fire_at = ?, paused = CASE WHEN ? THEN 0 ELSE paused END, updated_at = CASE WHEN ? THEN ? ELSE updated_at END
      WHERE name = ? AND next_fire_at IS ? AND trigger_key = ? AND paused = ? AND removed_at IS NULL`,
    countRunning: `SELECT count(*) FROM docket_jobs INDEXED BY docket_jobs_schedule_unfinished
      WHERE schedule_name = ? AND finished_at IS NULL`,
    slotTaken: `SELECT 1 FROM docket_schedule_fires INDEXED BY docket_schedule_fires_slot
      WHERE schedule = ? AND fire_at = ? AND kind IN ('fired', 'max-running')`,
    /** (schedule, schedule, keep - 1): deletes all but the newest `keep` rows of the schedule. */
    trimHistory: `DELETE FROM docket_schedule_fires
      WHERE schedule = ? AND id <= (SELECT id FROM docket_schedule_fires WHERE schedule = ? ORDER BY id DESC LIMIT 1 OFFSET ?)`,
  },

  insertFire: `INSERT INTO docket_schedule_fires (${FIRE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,

  pauseSchedule: `UPDATE docket_schedules SET paused = 1, updated_at = ? WHERE name = ? AND paused = 0`,

  scheduleExists: `SELECT 1 FROM docket_schedules WHERE name = ?`,

  lastFire: `SELECT ${FIRE_COLUMNS} FROM docket_schedule_fires
    WHERE schedule = ? AND kind IN ('fired', 'manual') ORDER BY id DESC LIMIT 1`,
  lastMissed: `SELECT ${FIRE_COLUMNS} FROM docket_schedule_fires
    WHERE schedule = ? AND kind NOT IN ('fired', 'manual') ORDER BY id DESC LIMIT 1`,
  listScheduleFires: `SELECT ${FIRE_COLUMNS} FROM docket_schedule_fires WHERE schedule = ? ORDER BY id DESC LIMIT ?`,

  deleteSchedule: {
    schedule: `DELETE FROM docket_schedules WHERE name = ?`,
    fires: `DELETE FROM docket_schedule_fires WHERE schedule = ?`,
  },
} as const;
