import { systemClock, type Clock } from '../../core/clock.js';
import { ValidationError } from '../../core/errors.js';
import { describe } from '../../core/validate.js';

export const SQLITE_SYNCHRONOUS_MODES = ['FULL', 'NORMAL', 'OFF'] as const;
export type SqliteSynchronous = (typeof SQLITE_SYNCHRONOUS_MODES)[number];

/** Durability by default: every commit is fsynced (WAL + synchronous=FULL). */
export const DEFAULT_SQLITE_SYNCHRONOUS: SqliteSynchronous = 'FULL';
/** How long a write waits for another process's write transaction before failing. */
export const DEFAULT_SQLITE_BUSY_TIMEOUT_MS = 10_000;

export interface SqliteStoreOptions {
  /** Database file, or ':memory:' for a private in-memory database. */
  path: string;
  /** `FULL` (default) survives power loss; `NORMAL` may lose the last commits on power loss, never corrupts. */
  synchronous?: SqliteSynchronous;
  /** busy_timeout: how long to wait for another connection's write lock. */
  busyTimeoutMs?: number;
  /** The store's clock: every timestamp it writes or compares. */
  clock?: Clock;
  /**
   * `true` (default): `migrate()` creates/upgrades the tables. `false`: `migrate()`
   * only checks that they are current and writes nothing (the CLI's commands on
   * an existing store use it, as PostgreSQL's option of the same name).
   */
  migrate?: boolean;
}

export interface ResolvedSqliteOptions {
  path: string;
  synchronous: SqliteSynchronous;
  busyTimeoutMs: number;
  clock: Clock;
  migrate: boolean;
}

const KNOWN = new Set(['path', 'synchronous', 'busyTimeoutMs', 'clock', 'migrate']);

/** Validates the constructor options; errors name the field (`sqlite.<field>`). */
export function resolveSqliteOptions(input: unknown): ResolvedSqliteOptions {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw invalid('sqlite', `SqliteStore options must be an object (got ${describe(input)})`);
  }
  const o = input as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!KNOWN.has(key)) throw invalid(`sqlite.${key}`, `sqlite: unknown option "${key}"`);
  }
  if (typeof o.path !== 'string' || o.path.length === 0) {
    throw invalid('sqlite.path', `sqlite.path must be a file path or ':memory:' (got ${describe(o.path)})`);
  }
  let synchronous: SqliteSynchronous = DEFAULT_SQLITE_SYNCHRONOUS;
  if (o.synchronous !== undefined) {
    const s = typeof o.synchronous === 'string' ? o.synchronous.toUpperCase() : o.synchronous;
    if (!SQLITE_SYNCHRONOUS_MODES.includes(s as SqliteSynchronous)) {
      throw invalid('sqlite.synchronous', `sqlite.synchronous must be one of ${SQLITE_SYNCHRONOUS_MODES.join(', ')} (got ${describe(o.synchronous)})`);
    }
    synchronous = s as SqliteSynchronous;
  }
  let busyTimeoutMs = DEFAULT_SQLITE_BUSY_TIMEOUT_MS;
  if (o.busyTimeoutMs !== undefined) {
    const b = o.busyTimeoutMs;
    if (typeof b !== 'number' || !Number.isInteger(b) || b < 0 || b > 2_147_483_647) {
      throw invalid('sqlite.busyTimeoutMs', `sqlite.busyTimeoutMs must be a non-negative integer (got ${describe(b)})`);
    }
    busyTimeoutMs = b;
  }
  let clock: Clock = systemClock;
  if (o.clock !== undefined) {
    const c = o.clock as Partial<Clock> | null;
    if (typeof c !== 'object' || c === null || typeof c.now !== 'function' || typeof c.setTimeout !== 'function' || typeof c.clearTimeout !== 'function') {
      throw invalid('sqlite.clock', 'sqlite.clock must implement Clock (now, setTimeout, clearTimeout)');
    }
    clock = c as Clock;
  }
  if (o.migrate !== undefined && typeof o.migrate !== 'boolean') {
    throw invalid('sqlite.migrate', `sqlite.migrate must be a boolean (got ${describe(o.migrate)})`);
  }
  return { path: o.path, synchronous, busyTimeoutMs, clock, migrate: o.migrate ?? true };
}

function invalid(field: string, message: string): ValidationError {
  return new ValidationError('INVALID_CONFIG', field, message);
}
