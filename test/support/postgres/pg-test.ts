/**
 * Vitest glue for PostgreSQL tests: one throwaway server per test file,
 * a fresh schema per store (so tests are isolated without a new server),
 * and a loud skip when PostgreSQL is not installed (a failure with
 * DOCKET_REQUIRE_SERVERS=1).
 */
import { afterAll, afterEach, beforeAll, describe } from 'vitest';
import type { NewJob } from '../../../src/core/job.js';
import { PostgresStore } from '../../../src/stores/postgres/postgres-store.js';
import type { PostgresStoreOptions } from '../../../src/stores/postgres/options.js';
import { postgresAvailability, startPostgresServer, uniqueSchema, type PostgresServer } from './postgres-server.js';

export interface PgTestContext {
  server(): PostgresServer;
  url(): string;
  /** A migrated store on a fresh schema; closed after the test. */
  newStore(opts?: Partial<PostgresStoreOptions>): Promise<PostgresStore>;
}

const availability = postgresAvailability();
if (!availability.available) {
  process.stderr.write(`\n*** SKIPPING PostgreSQL tests: ${availability.reason}. Set DOCKET_REQUIRE_SERVERS=1 to make this a failure. ***\n\n`);
}

export function describePostgres(name: string, body: (ctx: PgTestContext) => void): void {
  describe.skipIf(!availability.available)(name, () => {
    let server: PostgresServer | null = null;
    const open: PostgresStore[] = [];
    beforeAll(async () => {
      server = await startPostgresServer();
    });
    afterEach(async () => {
      await Promise.all(open.splice(0).map((s) => s.close()));
    });
    afterAll(async () => {
      await Promise.all(open.splice(0).map((s) => s.close()));
      await server?.stop();
    });
    const ctx: PgTestContext = {
      server: () => server!,
      url: () => server!.url,
      async newStore(opts = {}) {
        const connection = opts.pool ? {} : { connectionString: server!.url };
        const store = new PostgresStore({ ...connection, schema: uniqueSchema(), ...opts } as PostgresStoreOptions);
        open.push(store);
        await store.migrate();
        return store;
      },
    };
    body(ctx);
  });
}

/** A NewJob with defaults, for store-level tests. */
export function newJob(overrides: Partial<NewJob> & { data?: unknown } = {}): NewJob {
  const { data, ...rest } = overrides;
  return {
    name: 'test-job',
    queue: 'default',
    dataJson: JSON.stringify(data ?? {}),
    priority: 0,
    delayMs: 0,
    runAt: null,
    maxAttempts: 3,
    timeoutMs: null,
    idempotencyKey: null,
    keepKeyForever: false,
    releaseKeyOnFailure: false,
    scheduleName: null,
    fireTime: null,
    ...rest,
  };
}
