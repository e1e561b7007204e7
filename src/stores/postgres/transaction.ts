import type { Pool } from 'pg';
import type { NamedQuery } from './hot-queries.js';
import { inTransaction as inHeldTransaction } from './held-client.js';
import { toStoreError } from './errors.js';

export type Run = <R>(query: NamedQuery, values: unknown[], operation: string) => Promise<{ rows: R[] }>;
/** Runs `fn` in one transaction on one connection; `run` inside it uses that connection. */
export type Transaction = <T>(operation: string, fn: (run: Run) => Promise<T>) => Promise<T>;

/**
 * One transaction of named statements on one pooled connection (held-client.ts
 * holds it: a server restart between two statements must not kill the
 * process, and a connection whose ROLLBACK failed is not given back).
 * Failures are STORE_ERRORs named after `operation`.
 */
export async function inTransaction<T>(pool: Pool, operation: string, fn: (run: Run) => Promise<T>): Promise<T> {
  try {
    return await inHeldTransaction(pool, (client) =>
      fn(async <R>(query: NamedQuery, values: unknown[]) => (await client.query({ ...query, values })) as unknown as { rows: R[] }),
    );
  } catch (e) {
    throw toStoreError(e, operation);
  }
}
