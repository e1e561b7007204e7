// docket on PostgreSQL for shared/bench/peers.mjs: PostgresStore on the
// harness's PG_URL (the same server the PostgreSQL peers use), a fresh schema
// per reset(), dropped once the store is closed. Store options are
// PostgresStore's defaults (pool of 10, NOTIFY throttle 5 ms, fsync and
// synchronous_commit as the server has them: on).
import pg from 'pg';
import { docketAdapter, loadDocket } from './_docket-factory.mjs';

export default docketAdapter({
  name: 'docket-postgres',
  backend: 'postgres',
  settings: 'PostgresStore on PG_URL, schema per reset, defaults (pool 10)',
  async createStore({ pgUrl }, seq) {
    const { PostgresStore } = await loadDocket('stores/postgres/index');
    const schema = `docket_bench_${process.pid}_${seq}`;
    const store = new PostgresStore({ connectionString: pgUrl, schema });
    return {
      store,
      destroy: async () => {
        const client = new pg.Client({ connectionString: pgUrl });
        await client.connect();
        try {
          await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        } finally {
          await client.end();
        }
      },
    };
  },
});
