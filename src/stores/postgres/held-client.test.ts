import pg from 'pg';
import { expect, it } from 'vitest';
import { holdClient } from './held-client.js';
import { describePostgres } from '../../../test/support/postgres/pg-test.js';

describePostgres('holdClient', (pgt) => {
  it('a checked-out connection killed between two statements does not crash the process; its next query fails and the pool drops it', async () => {
    const pool = new pg.Pool({ connectionString: pgt.url(), max: 2 });
    pool.on('error', () => {});
    try {
      const client = await pool.connect();
      const unhold = holdClient(client);
      const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      // Watch the 'error' event without listening to it (a listener of our own would hide the crash this is about).
      const died = new Promise<unknown>((resolve) => {
        const emit = client.emit.bind(client);
        client.emit = ((event: string, ...args: unknown[]) => {
          if (event === 'error') setImmediate(() => resolve(args[0]));
          return emit(event, ...args);
        }) as typeof client.emit;
      });
      // What a server restart does to every backend: FATAL 57P01 while the client sits between statements.
      await pool.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
      expect(await died).toMatchObject({ code: '57P01' });
      await expect(client.query('SELECT 1')).rejects.toThrow();
      unhold();
      expect(client.listenerCount('error')).toBe(0);
      client.release();
      expect(pool.totalCount).toBe(1); // only the connection that ran pg_terminate_backend is left
      expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await pool.end();
    }
  });
});
