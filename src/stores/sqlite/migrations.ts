import type Database from 'better-sqlite3';
import { SqliteStoreError } from './errors.js';
import { SCHEDULES_MIGRATION } from './schedules-queries.js';

/**
 * Versioned schema migrations. APPEND-ONLY: never edit or reorder an entry
 * that has shipped; add a new one with the next version. `migrate()` applies
 * the missing ones in order, in one BEGIN IMMEDIATE transaction, so processes
 * racing to migrate one file see either none or all of them.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'jobs, idempotency keys, queues, workers',
    sql: `
      CREATE TABLE docket_jobs (
        id                  INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused, so kept keys and ids stay unambiguous
        name                TEXT    NOT NULL,
        queue               TEXT    NOT NULL,
        data                TEXT    NOT NULL,                  -- JSON as enqueued
        state               TEXT    NOT NULL CHECK (state IN ('waiting','delayed','active','completed','failed','cancelled')),
        priority            INTEGER NOT NULL,
        run_at              INTEGER NOT NULL,                  -- ms since epoch, store clock (all times below too)
        created_at          INTEGER NOT NULL,
        started_at          INTEGER,
        finished_at         INTEGER,
        attempt             INTEGER NOT NULL DEFAULT 0,
        max_attempts        INTEGER NOT NULL,
        timeout_ms          INTEGER,
        stalls              INTEGER NOT NULL DEFAULT 0,
        lease_token         TEXT,
        lease_expires_at    INTEGER,
        worker_id           TEXT,
        cancel_requested    INTEGER NOT NULL DEFAULT 0,
        cancel_reason       TEXT,
        progress_current    REAL,
        progress_total      REAL,
        progress_message    TEXT,
        progress_updated_at INTEGER,
        result              TEXT,                              -- JSON
        error               TEXT,                              -- JSON JobFailure, 'at' in ms
        idempotency_key     TEXT,
        key_flags           INTEGER NOT NULL DEFAULT 0,        -- 1: keep forever, 2: release on failure
        schedule_name       TEXT,
        fire_time           INTEGER
      );
      -- Index choice is measured: an index whose key or WHERE mentions \`state\` is
      -- touched by every claim and completion, so only the claim index does;
      -- the others key on columns that change once (lease_expires_at, finished_at)
      -- or never (queue, id). Invariants the store keeps:
      --   lease_expires_at IS NOT NULL  <=>  state = 'active'
      --   finished_at IS NOT NULL       <=>  state IN ('completed', 'failed', 'cancelled')

      -- The claim: runnable jobs of one queue in claim order. The trailing state
      -- makes it covering for counting waiting/delayed.
      CREATE INDEX docket_jobs_claim ON docket_jobs (queue, priority DESC, run_at, id, state)
        WHERE state IN ('waiting', 'delayed');
      -- The rescuer (and active counts): active jobs by lease expiry.
      CREATE INDEX docket_jobs_lease ON docket_jobs (lease_expires_at) WHERE lease_expires_at IS NOT NULL;
      -- The pruner, finished counts and listing finished jobs by state.
      CREATE INDEX docket_jobs_finished ON docket_jobs (state, queue, finished_at) WHERE finished_at IS NOT NULL;
      -- Listing a queue newest first (id order = creation order).
      CREATE INDEX docket_jobs_queue ON docket_jobs (queue, id);
      -- Jobs of one schedule.
      CREATE INDEX docket_jobs_schedule ON docket_jobs (schedule_name, id) WHERE schedule_name IS NOT NULL;

      -- Keys live apart from jobs so a kept key outlives its pruned job.
      CREATE TABLE docket_idempotency_keys (
        key                TEXT    PRIMARY KEY,
        job_id             INTEGER NOT NULL,
        keep_forever       INTEGER NOT NULL,
        release_on_failure INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX docket_idempotency_keys_job ON docket_idempotency_keys (job_id);

      -- A row only for queues someone configured (paused); queues with jobs exist implicitly.
      CREATE TABLE docket_queues (
        queue      TEXT    PRIMARY KEY,
        paused     INTEGER NOT NULL DEFAULT 0,
        updated_at INTEGER NOT NULL
      ) WITHOUT ROWID;

      CREATE TABLE docket_workers (
        id                TEXT    PRIMARY KEY,
        host              TEXT    NOT NULL,
        pid               INTEGER NOT NULL,
        queues            TEXT    NOT NULL,                    -- JSON array
        concurrency       INTEGER NOT NULL,
        active_jobs       INTEGER NOT NULL,
        started_at        INTEGER NOT NULL,
        last_heartbeat_at INTEGER NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  { version: 2, ...SCHEDULES_MIGRATION },
  {
    version: 3,
    name: "state 'reserved': jobs a worker holds ahead of a free slot",
    // SQLite cannot alter a CHECK constraint: the table is rebuilt (SQLite's own
    // recipe: new table, copy, drop, rename, indexes again). The AUTOINCREMENT
    // counter is carried over, so ids of pruned jobs (which kept keys may
    // name) are never handed out again.
    sql: `
      CREATE TEMP TABLE docket_migration_seq AS SELECT seq FROM sqlite_sequence WHERE name = 'docket_jobs';
      CREATE TABLE docket_jobs_v3 (
        id                  INTEGER PRIMARY KEY AUTOINCREMENT,
        name                TEXT    NOT NULL,
        queue               TEXT    NOT NULL,
        data                TEXT    NOT NULL,
        state               TEXT    NOT NULL CHECK (state IN ('waiting','delayed','reserved','active','completed','failed','cancelled')),
        priority            INTEGER NOT NULL,
        run_at              INTEGER NOT NULL,
        created_at          INTEGER NOT NULL,
        started_at          INTEGER,
        finished_at         INTEGER,
        attempt             INTEGER NOT NULL DEFAULT 0,
        max_attempts        INTEGER NOT NULL,
        timeout_ms          INTEGER,
        stalls              INTEGER NOT NULL DEFAULT 0,
        lease_token         TEXT,
        lease_expires_at    INTEGER,
        worker_id           TEXT,
        cancel_requested    INTEGER NOT NULL DEFAULT 0,
        cancel_reason       TEXT,
        progress_current    REAL,
        progress_total      REAL,
        progress_message    TEXT,
        progress_updated_at INTEGER,
        result              TEXT,
        error               TEXT,
        idempotency_key     TEXT,
        key_flags           INTEGER NOT NULL DEFAULT 0,
        schedule_name       TEXT,
        fire_time           INTEGER
      );
      INSERT INTO docket_jobs_v3 SELECT * FROM docket_jobs;
      DROP TABLE docket_jobs;
      ALTER TABLE docket_jobs_v3 RENAME TO docket_jobs;
      DELETE FROM sqlite_sequence WHERE name = 'docket_jobs';
      INSERT INTO sqlite_sequence (name, seq)
        SELECT 'docket_jobs', max(coalesce((SELECT seq FROM docket_migration_seq), 0), coalesce((SELECT max(id) FROM docket_jobs), 0));
      DROP TABLE docket_migration_seq;
      -- The indexes of migrations 1 and 2, unchanged. lease_expires_at is set
      -- exactly while a job is reserved or active, so the lease index covers
      -- both (rescuer, heartbeats, counts); a start (reserved -> active)
      -- touches no indexed column but state, which only the claim index
      -- holds, and neither state is in it.
      CREATE INDEX docket_jobs_claim ON docket_jobs (queue, priority DESC, run_at, id, state)
        WHERE state IN ('waiting', 'delayed');
      CREATE INDEX docket_jobs_lease ON docket_jobs (lease_expires_at) WHERE lease_expires_at IS NOT NULL;
      CREATE INDEX docket_jobs_finished ON docket_jobs (state, queue, finished_at) WHERE finished_at IS NOT NULL;
      CREATE INDEX docket_jobs_queue ON docket_jobs (queue, id);
      CREATE INDEX docket_jobs_schedule ON docket_jobs (schedule_name, id) WHERE schedule_name IS NOT NULL;
      CREATE INDEX docket_jobs_schedule_unfinished ON docket_jobs (schedule_name)
        WHERE schedule_name IS NOT NULL AND finished_at IS NULL;
    `,
  },
  {
    version: 4,
    name: 'queue policy: one JSON document of overrides per queue row',
    // The overrides a queue's policy sets besides \`paused\` (which stays a
    // column: every claim reads it), as JSON text holding only the keys set
    // (core/queue-policy.ts QueuePolicyOverrides). The row '*' (ALL_QUEUES)
    // holds the overrides every queue starts from. See ARCHITECTURE.md
    // "Queue policy" for why one JSON column rather than a column per key.
    sql: `
      ALTER TABLE docket_queues ADD COLUMN policy TEXT NOT NULL DEFAULT '{}';
    `,
  },
  {
    version: 5,
    name: 'index of leased jobs whose cancel was requested',
    // Cross-process cancel (cross-process-signals.ts) reads the flagged jobs
    // of this process's workers after another connection committed. The
    // flag is set only on a leased job and cleared when its lease ends, so
    // this index holds the cancels pending and nothing else: the read costs
    // what is pending, not what every process holds.
    sql: `
      CREATE INDEX docket_jobs_cancel_requested ON docket_jobs (worker_id) WHERE cancel_requested = 1;
    `,
  },
];

const CREATE_MIGRATIONS_TABLE = `
  CREATE TABLE IF NOT EXISTS docket_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    applied_at INTEGER NOT NULL
  )`;

/** Applies the missing migrations in one write transaction. Returns the versions applied. */
export function runMigrations(db: Database.Database, nowMs: number, migrations: readonly Migration[] = MIGRATIONS): number[] {
  assertOrdered(migrations);
  const apply = db.transaction((): number[] => {
    db.exec(CREATE_MIGRATIONS_TABLE);
    const applied = new Set((db.prepare('SELECT version FROM docket_migrations').all() as Array<{ version: number }>).map((r) => r.version));
    const latest = migrations.at(-1)?.version ?? 0;
    const newer = [...applied].filter((v) => v > latest);
    if (newer.length > 0) {
      throw new SqliteStoreError(
        `the database has schema version ${Math.max(...newer)}, newer than this docket knows (${latest}); upgrade docket`,
        { versions: newer },
      );
    }
    const record = db.prepare('INSERT INTO docket_migrations (version, name, applied_at) VALUES (?, ?, ?)');
    const done: number[] = [];
    for (const m of migrations) {
      if (applied.has(m.version)) continue;
      db.exec(m.sql);
      record.run(m.version, m.name, nowMs);
      done.push(m.version);
    }
    return done;
  });
  return apply.immediate();
}

/**
 * `migrate: false`: reads which versions are applied, writes nothing (not even
 * the migrations table), and throws when any is missing. `details.pending`
 * lists them, as PostgreSQL's check does (all of them: no docket tables here).
 */
export function checkMigrations(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): void {
  const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'docket_migrations'").get() !== undefined;
  const applied = new Set(hasTable ? (db.prepare('SELECT version FROM docket_migrations').all() as Array<{ version: number }>).map((r) => r.version) : []);
  const latest = migrations.at(-1)?.version ?? 0;
  const newer = [...applied].filter((v) => v > latest);
  if (newer.length > 0) {
    throw new SqliteStoreError(`the database has schema version ${Math.max(...newer)}, newer than this docket knows (${latest}); upgrade docket`, { versions: newer });
  }
  const pending = migrations.filter((m) => !applied.has(m.version)).map((m) => m.version);
  if (pending.length > 0) {
    throw new SqliteStoreError(`the database lacks migrations ${pending.join(', ')}; run \`docket migrate\` (this store was opened with migrate: false)`, { pending });
  }
}

function assertOrdered(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new SqliteStoreError(`migration list is not contiguous: entry ${i} has version ${m.version}`);
  });
}
