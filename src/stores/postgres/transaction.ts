import type { Pool, PoolClient } from 'pg';
import type { NamedQuery } from './hot-queries.js';
import { holdClient } from './held-client.js';
import { toStoreError } from './store-error.js';

export type Run = <R>(query: NamedQuery, values: unknown[], operation: string) => Promise<{ rows: R[] }>;
/** Runs `fn` in one transaction on one connection; `run` inside it uses that connection. */
export type Transaction = <T>(operation: string, fn: (run: Run) => Promise<T>) => Promise<T>;

/**
 * One transaction on one pooled connection, held (held-client.ts: a server
 * restart between two statements must not kill the process). Failures are
 * STORE_ERRORs named after `operation`; a connection whose ROLLBACK failed is
 * not given back to the pool.
 */
export async function inTransaction<T>(pool: Pool, operation: string, fn: (run: Run) => Promise<T>): Promise<T> {
  let client: PoolClient;
  try {
    client = await pool.connect();
  } catch (e) {
    throw toStoreError(e, operation);
  }
  const unhold = holdClient(client);
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await fn(async <R>(query: NamedQuery, values: unknown[]) => (await client.query({ ...query, values })) as unknown as { rows: R[] });
    await client.query('COMMIT');
    return result;
  } catch (e) {
    await client.query('ROLLBACK').catch((err: Error) => {
      broken = err;
    });
    throw toStoreError(e, operation);
  } finally {
    unhold();
    client.release(broken);
  }
}
