import type { PoolClient } from 'pg';

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
