/**
 * The store: PostgreSQL when DATABASE_URL is set, else an SQLite file. Also
 * what the weekly `optimize-db` job does on each, with database-wide commands
 * that need no knowledge of docket's tables.
 */
import Database from 'better-sqlite3';
import type { Clock, Store } from 'docket';
import { SqliteStore } from 'docket/sqlite';

export interface PipelineDatabase {
  kind: 'sqlite' | 'postgres';
  store: Store;
  optimize(): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

export async function openDatabase(options: { databaseUrl?: string; sqlitePath: string; clock?: Clock }): Promise<PipelineDatabase> {
  if (options.databaseUrl) {
    // loaded only here, so an SQLite user needs no `pg` installed
    const { default: pg } = await import('pg');
    const { PostgresStore } = await import('docket/postgres');
    const pool = new pg.Pool({ connectionString: options.databaseUrl, max: 10 });
    const store = new PostgresStore({ pool });
    return {
      kind: 'postgres',
      store,
      async optimize() {
        const t0 = performance.now();
        await pool.query('ANALYZE'); // refresh planner statistics of every table in the database
        return { database: 'postgres', commands: ['ANALYZE'], ms: Math.round(performance.now() - t0) };
      },
      async close() {
        await store.close();
        await pool.end(); // a pool we pass in is ours to end
      },
    };
  }
  const path = options.sqlitePath;
  const store = new SqliteStore({ path, ...(options.clock ? { clock: options.clock } : {}) });
  return {
    kind: 'sqlite',
    store,
    async optimize() {
      const t0 = performance.now();
      // a second connection to the same file (WAL allows it): fold the WAL back and refresh statistics
      const db = new Database(path);
      try {
        const [checkpoint] = db.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number; log: number; checkpointed: number }>;
        db.pragma('optimize');
        return { database: 'sqlite', commands: ['PRAGMA wal_checkpoint(TRUNCATE)', 'PRAGMA optimize'], checkpoint, ms: Math.round(performance.now() - t0) };
      } finally {
        db.close();
      }
    },
    close: () => store.close(),
  };
}
