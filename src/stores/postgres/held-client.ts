import type { Pool, PoolClient } from 'pg';

const ignore = (): void => {};

/**
 * Call right after `pool.connect()`; call what it returns right before
 * `release()`. pg-pool drops its own 'error' listener while a client is
 * checked out, so a connection that dies between two statements of our
 * transaction (a server restart sends FATAL 57P01 to every backend) emits
 * 'error' with no listener, which Node turns into an uncaught exception:
 * the whole process would die of a database restart. The event needs no
 * handling of its own: the transaction's next query fails, and that failure
 * is reported as a transient STORE_ERROR; pg-pool then discards the client.
 */
export function holdClient(client: PoolClient): () => void {
  client.on('error', ignore);
  return () => {
    client.removeListener('error', ignore);
  };
}

/**
 * Runs `fn` in one transaction on one pooled connection (held as above):
 * COMMIT when it returns, ROLLBACK when it throws (the error is rethrown as
 * is). A connection that cannot even roll back is dropped rather than handed
 * out again.
 */
export async function inTransaction<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  const unhold = holdClient(client);
  let broken = false;
  try {
    await client.query('BEGIN');
    const out = await fn(client);
    await client.query('COMMIT');
    return out;
  } catch (e) {
    broken = await client.query('ROLLBACK').then(
      () => false,
      () => true,
    );
    throw e;
  } finally {
    unhold();
    client.release(broken);
  }
}
