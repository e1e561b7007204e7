import { MIGRATIONS } from './migrations.js';
import type { SqliteSynchronous } from './options.js';

/** What `SqliteStore.diagnostics()` reports (for `docket doctor` and tests). */
export interface SqliteDiagnostics {
  path: string;
  sqliteVersion: string;
  journalMode: string;
  synchronous: SqliteSynchronous;
  busyTimeoutMs: number;
  schemaVersion: number;
  latestSchemaVersion: number;
}

/**
 * The part of a better-sqlite3 connection read here, structurally: this file's
 * declarations are reachable from the published `docket/sqlite` types, which
 * must not need `@types/better-sqlite3` (a dev dependency).
 */
interface PragmaConnection {
  prepare(sql: string): { get(): unknown; pluck(): { get(): unknown } };
  pragma(source: string, options: { simple: true }): unknown;
}

/** The connection's settings as SQLite reports them (not as configured), and the schema version. */
export function readDiagnostics(db: PragmaConnection, path: string): SqliteDiagnostics {
  const hasTable = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'docket_migrations'`).get();
  const version = hasTable ? (db.prepare('SELECT max(version) AS v FROM docket_migrations').get() as { v: number | null }).v : null;
  return {
    path,
    sqliteVersion: String(db.prepare('SELECT sqlite_version()').pluck().get()),
    journalMode: String(db.pragma('journal_mode', { simple: true })),
    synchronous: (['OFF', 'NORMAL', 'FULL', 'EXTRA'][Number(db.pragma('synchronous', { simple: true }))] ?? 'FULL') as SqliteSynchronous,
    busyTimeoutMs: Number(db.pragma('busy_timeout', { simple: true })),
    schemaVersion: version ?? 0,
    latestSchemaVersion: MIGRATIONS.at(-1)?.version ?? 0,
  };
}
