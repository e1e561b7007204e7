import { DocketError } from '../../core/errors.js';
import { SCHEDULES_MIGRATION } from './schedules-queries.js';

/**
 * Versioned migrations, append-only: a released migration is never edited;
 * a change is a new entry with the next version. Each runs inside the one
 * transaction `migrate()` holds, under an advisory lock, so processes that
 * start together apply each version exactly once.
 */
export interface Migration {
  version: number;
  name: string;
  /** SQL for the given (already quoted) schema identifier. */
  sql(schema: string): string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'jobs, idempotency keys, queues, workers',
    sql: (s) => `
CREATE TABLE ${s}.jobs (
  id                  bigserial PRIMARY KEY,
  name                text NOT NULL,
  queue               text NOT NULL,
  -- json, not jsonb: the handler gets back the exact text that was enqueued
  data                json NOT NULL,
  state               text NOT NULL CHECK (state IN ('waiting','delayed','active','completed','failed','cancelled')),
  priority            integer NOT NULL DEFAULT 0,
  run_at              timestamptz NOT NULL,
  created_at          timestamptz NOT NULL DEFAULT now(),
  started_at          timestamptz,
  finished_at         timestamptz,
  attempt             integer NOT NULL DEFAULT 0,
  max_attempts        integer NOT NULL,
  timeout_ms          bigint,
  stalls              integer NOT NULL DEFAULT 0,
  lease_token         text,          -- set only while active: the claim sets it, every transition and the rescuer clear it
  lease_expires_at    timestamptz,
  worker_id           text,
  cancel_requested    boolean NOT NULL DEFAULT false,
  cancel_reason       text,
  progress_current    double precision,
  progress_total      double precision,
  progress_message    text,
  progress_updated_at timestamptz,
  result              json,
  error               json,
  idempotency_key     text,
  -- 1: keep the key forever, 2: release it on failure (so a manual retry can take it back as it was)
  key_flags           smallint NOT NULL DEFAULT 0,
  schedule_name       text,
  fire_time           timestamptz
);
-- The hot path: runnable jobs in claim order. Finished jobs never enter it.
CREATE INDEX jobs_runnable ON ${s}.jobs (queue, priority DESC, run_at, id) WHERE state IN ('waiting','delayed');
-- The rescuer's scan for expired leases.
CREATE INDEX jobs_active_lease ON ${s}.jobs (lease_expires_at) WHERE state = 'active';
-- The pruner's scan by queue, state and age.
CREATE INDEX jobs_finished ON ${s}.jobs (queue, state, finished_at) WHERE state IN ('completed','failed','cancelled');
-- Jobs of a schedule that are still pending (the scheduler's maxRunning check, listing by schedule).
CREATE INDEX jobs_schedule ON ${s}.jobs (schedule_name, state) WHERE schedule_name IS NOT NULL;

-- Keys live apart from jobs so a run-once key can outlive its pruned job.
CREATE TABLE ${s}.idempotency_keys (
  key                 text PRIMARY KEY,
  job_id              bigint NOT NULL,
  keep_forever        boolean NOT NULL,
  release_on_failure  boolean NOT NULL,
  created_at          timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE ${s}.queues (
  name    text PRIMARY KEY,
  paused  boolean NOT NULL DEFAULT false
);

CREATE TABLE ${s}.workers (
  id                 text PRIMARY KEY,
  host               text NOT NULL,
  pid                integer NOT NULL,
  queues             text[] NOT NULL,
  concurrency        integer NOT NULL,
  active_jobs        integer NOT NULL,
  started_at         timestamptz NOT NULL,
  last_heartbeat_at  timestamptz NOT NULL DEFAULT now()
);
`,
  },
  { version: 2, ...SCHEDULES_MIGRATION },
  {
    version: 3,
    name: "state 'reserved' (claimed ahead, not started); lease index over every held job",
    sql: (s) => `
-- A claim now reserves a job (its worker holds it ahead of a free slot); the
-- start makes it active. The new list only adds a state, so no row breaks it.
ALTER TABLE ${s}.jobs DROP CONSTRAINT jobs_state_check;
ALTER TABLE ${s}.jobs ADD CONSTRAINT jobs_state_check CHECK (state IN ('waiting','delayed','reserved','active','completed','failed','cancelled'));
-- The rescuer's scan for expired leases, now over reserved and active jobs.
-- Keyed on the lease itself: lease_expires_at IS NOT NULL <=> state IN
-- ('reserved','active') (the claim sets it; every end, the rescuer and a
-- cancel of a reserved job clear it). Not on state, for two reasons:
--  * the start (reserved -> active) cannot be a HOT update either way (state
--    is a key of jobs_schedule and in the predicates of jobs_runnable and
--    jobs_finished), so it adds a primary-key entry and one entry here
--    whatever the predicate; a state predicate would buy nothing;
--  * the leased writes spell out their state guard (from core's OPERATIONS:
--    state IN ('reserved','active'), or 'reserved'). With a state predicate
--    here that guard would make this index usable for them, and the planner
--    has picked reading every held job's entry (dead ones too) over one
--    primary-key probe per id before. A predicate on lease_expires_at is
--    implied only by a condition on lease_expires_at (the rescuer's
--    lease_expires_at <= now() is one: <= is strict, so it implies NOT NULL).
--  * measured (50,000 jobs, 200 per step, VACUUM before each): claim, start,
--    heartbeat and completion 0 HOT updates (each changes an indexed column:
--    state, or lease_expires_at); progress writes are HOT as far as page space
--    allows. So a start costs one primary-key and one jobs_lease entry.
-- id in the key: the rescuer reads in (lease_expires_at, id) order, LIMIT n,
-- straight from the index, without sorting every expired lease first (after a
-- crash of a busy worker there are many).
DROP INDEX ${s}.jobs_active_lease;
CREATE INDEX jobs_lease ON ${s}.jobs (lease_expires_at, id) WHERE lease_expires_at IS NOT NULL;
`,
  },
  {
    version: 4,
    name: 'queue policy: one JSON document of overrides per queue row',
    sql: (s) => `
-- The overrides a queue's policy sets besides paused (a column: every claim
-- reads it), holding only the keys set (core/queue-policy.ts
-- QueuePolicyOverrides). The row '*' (ALL_QUEUES) holds the overrides every
-- queue starts from. jsonb: compared and rewritten whole, never returned as
-- the user's exact text (unlike job payloads). See ARCHITECTURE.md "Queue policy".
ALTER TABLE ${s}.queues ADD COLUMN policy jsonb NOT NULL DEFAULT '{}'::jsonb;
`,
  },
  {
    version: 5,
    name: 'autovacuum of the jobs table without cost delay, at 2 % of its rows',
    sql: (s) => `
-- Every job's claim and end leave dead row versions and dead index entries,
-- and a claim's dead jobs_runnable entry sits at the head of the index, where
-- the next claim starts reading: until a vacuum removes them, every claim
-- steps over all of them (measured at a 1,000,000-job backlog, 75 % drained:
-- 3,587 index pages, 57 ms, before a 512-job claim found its first live entry;
-- bench/README.md, "Profile"). With the defaults autovacuum starts at 20 % of
-- the rows and sleeps 2 ms per 200 page costs: at that backlog one vacuum
-- took ~30 s (its samples mostly in VacuumDelay). Unthrottled and started at
-- 2 %, it runs sooner and ends sooner (autovacuum_naptime, a server setting,
-- still limits it to one run per minute per database).
ALTER TABLE ${s}.jobs SET (autovacuum_vacuum_cost_delay = 0, autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_insert_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.05);
`,
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** Advisory-lock class id for docket migrations ("dk"); the key is the schema's hash. */
const MIGRATION_LOCK_CLASS = 0x646b;

/**
 * Applies pending migrations (or, with `apply: false`, checks there are none)
 * in one transaction under a per-schema advisory lock. Returns the versions applied.
 */
/**
 * The connection `runMigrations` is given (a pg `PoolClient`), structurally: this
 * file's declarations are reachable from the published `docket/postgres` types,
 * which must not need `@types/pg`.
 */
interface MigrationClient {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

export async function runMigrations(client: MigrationClient, opts: { schema: string; quotedSchema: string; apply: boolean }): Promise<number[]> {
  const s = opts.quotedSchema;
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [MIGRATION_LOCK_CLASS, opts.schema]);
    let current: number[] = [];
    const exists = (await client.query('SELECT to_regclass($1) AS t', [`${s}.migrations`])).rows as Array<{ t: string | null }>;
    if (exists[0]?.t) {
      current = ((await client.query(`SELECT version FROM ${s}.migrations ORDER BY version`)).rows as Array<{ version: number }>).map((r) => r.version);
    } else if (opts.apply) {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
      await client.query(`CREATE TABLE ${s}.migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    }
    const newest = current.length > 0 ? Math.max(...current) : 0;
    if (newest > LATEST_SCHEMA_VERSION) {
      throw new DocketError('STORE_ERROR', `schema ${opts.schema} is at version ${newest}, newer than this docket knows (${LATEST_SCHEMA_VERSION}); upgrade docket`, {
        schema: opts.schema,
        version: newest,
        known: LATEST_SCHEMA_VERSION,
      });
    }
    const pending = MIGRATIONS.filter((m) => !current.includes(m.version));
    if (!opts.apply) {
      await client.query('ROLLBACK');
      if (pending.length > 0) {
        throw new DocketError('STORE_ERROR', `schema ${opts.schema} lacks migrations ${pending.map((m) => m.version).join(', ')}; run \`docket migrate\` (this store was created with migrate: false)`, {
          schema: opts.schema,
          pending: pending.map((m) => m.version),
        });
      }
      return [];
    }
    for (const m of pending) {
      await client.query(m.sql(s));
      await client.query(`INSERT INTO ${s}.migrations (version, name) VALUES ($1, $2)`, [m.version, m.name]);
    }
    await client.query('COMMIT');
    return pending.map((m) => m.version);
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    throw e;
  }
}
