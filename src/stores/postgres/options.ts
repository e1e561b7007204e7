import type { Pool } from 'pg';
import { z } from 'zod';
import { parseOrThrow } from '../../core/config.js';
import { ValidationError } from '../../core/errors.js';

/** Schema that holds docket's tables unless told otherwise. */
export const DEFAULT_PG_SCHEMA = 'docket';
/** Pool size when the store creates its own pool. */
export const DEFAULT_PG_MAX_CONNECTIONS = 10;
/**
 * At most one NOTIFY per queue per this many ms from one store; a suppressed
 * wake-up is sent at the end of the interval (trailing edge), so no wake-up is lost.
 */
export const DEFAULT_PG_NOTIFY_INTERVAL_MS = 5;
/** Backoff of the LISTEN connection's reconnects: first delay and cap. */
export const DEFAULT_PG_RECONNECT_MIN_MS = 100;
export const DEFAULT_PG_RECONNECT_MAX_MS = 5_000;
/** How long a new connection may take before the call fails with STORE_ERROR. */
export const DEFAULT_PG_CONNECT_TIMEOUT_MS = 10_000;

/** pino-compatible subset; the store logs outages and recoveries through it. */
export interface StoreLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface PostgresStoreOptions {
  /** `postgres://user:pass@host:port/db`; the store creates and owns a pool. */
  connectionString?: string;
  /** Your own pool (not ended by `close()`); give this or `connectionString`. */
  pool?: Pool;
  /** Schema holding docket's tables (created by `migrate()`). Lowercase SQL identifier. */
  schema?: string;
  /**
   * `true` (default): `migrate()` creates/upgrades the schema. `false`: `migrate()`
   * only checks that the schema is current, for deployments where `docket migrate`
   * runs with DDL rights and the application does not.
   */
  migrate?: boolean;
  /** Pool size when the store creates its pool (default 10). */
  maxConnections?: number;
  /** Wake-up throttle per queue (default 5 ms; 0 sends every NOTIFY). */
  notifyIntervalMs?: number;
  logger?: StoreLogger;
}

export interface ResolvedPostgresStoreOptions {
  connectionString: string | null;
  pool: Pool | null;
  schema: string;
  migrate: boolean;
  maxConnections: number;
  notifyIntervalMs: number;
  logger: StoreLogger;
}

const SCHEMA_PATTERN = /^[a-z_][a-z0-9_]{0,47}$/;

const optionsSchema = z
  .object({
    connectionString: z.string().min(1).optional(),
    pool: z.custom<Pool>((v) => typeof v === 'object' && v !== null && typeof (v as Pool).connect === 'function', 'must be a pg Pool').optional(),
    schema: z.string().regex(SCHEMA_PATTERN, `must match ${SCHEMA_PATTERN} (a lowercase SQL identifier)`).optional(),
    migrate: z.boolean().optional(),
    maxConnections: z.number().int().min(2).max(1_000).optional(),
    notifyIntervalMs: z.number().int().min(0).max(60_000).optional(),
    logger: z
      .custom<StoreLogger>(
        (v) => typeof v === 'object' && v !== null && ['info', 'warn', 'error'].every((k) => typeof (v as Record<string, unknown>)[k] === 'function'),
        'must have info, warn and error methods',
      )
      .optional(),
  })
  .strict();

const silentLogger: StoreLogger = { info() {}, warn() {}, error() {} };

export function resolvePostgresStoreOptions(input: unknown): ResolvedPostgresStoreOptions {
  const o = parseOrThrow(optionsSchema, input ?? {}, 'INVALID_OPTION', '');
  if ((o.connectionString === undefined) === (o.pool === undefined)) {
    throw new ValidationError('INVALID_OPTION', 'connectionString', 'give exactly one of connectionString or pool');
  }
  if (o.pool !== undefined && o.maxConnections !== undefined) {
    throw new ValidationError('INVALID_OPTION', 'maxConnections', 'maxConnections applies only to a pool the store creates; size your own pool yourself');
  }
  return {
    connectionString: o.connectionString ?? null,
    pool: o.pool ?? null,
    schema: o.schema ?? DEFAULT_PG_SCHEMA,
    migrate: o.migrate ?? true,
    maxConnections: o.maxConnections ?? DEFAULT_PG_MAX_CONNECTIONS,
    notifyIntervalMs: o.notifyIntervalMs ?? DEFAULT_PG_NOTIFY_INTERVAL_MS,
    logger: o.logger ?? silentLogger,
  };
}
