import { afterAll, beforeAll, describe, it } from 'vitest';
import { runStoreConformance } from '../../store/conformance/index.js';
import { PostgresStore } from './postgres-store.js';
import { postgresAvailability, startPostgresServer, uniqueSchema, type PostgresServer } from '../../../test/support/postgres/postgres-server.js';

/**
 * The shared store conformance suite on a real PostgreSQL: one throwaway
 * server for this file, a fresh schema for every test's store. No skips:
 * job and schedule cases alike.
 */
const availability = postgresAvailability();

if (!availability.available) {
  process.stderr.write(`\n*** SKIPPING PostgreSQL store conformance: ${availability.reason}. Set DOCKET_REQUIRE_SERVERS=1 to make this a failure. ***\n\n`);
  describe('store conformance: postgres', () => {
    it.skip(`PostgreSQL not installed: ${availability.reason}`, () => {});
  });
} else {
  let server: PostgresServer;
  beforeAll(async () => {
    server = await startPostgresServer();
  });
  afterAll(async () => {
    await server?.stop();
  });
  runStoreConformance({
    name: 'postgres',
    createStore: async () => {
      const store = new PostgresStore({ connectionString: server.url, schema: uniqueSchema('conf'), maxConnections: 4 });
      await store.migrate();
      return store;
    },
  });
}
