import { DocketError } from '../../core/errors.js';

/** SQLSTATE classes/codes that mean "the server or the connection is gone", not "the query is wrong". */
const CONNECTION_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300', '08000', '08001', '08003', '08004', '08006', '08007', '08P01']);
const CONNECTION_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/** True when the error says the database is unreachable (retrying later may succeed). */
export function isConnectionError(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string' && (CONNECTION_SQLSTATES.has(code) || CONNECTION_ERRNOS.has(code))) return true;
  const msg = String((e as { message?: unknown }).message ?? '');
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed|not queryable/i.test(msg);
}

/**
 * Every failure that reaches a caller is a DocketError: ours pass through,
 * driver/server errors become STORE_ERROR with `transient` telling a retry
 * loop whether waiting may help (connection loss) or not (a bad query).
 */
export function toStoreError(e: unknown, operation: string): DocketError {
  if (e instanceof DocketError) return e;
  const transient = isConnectionError(e);
  const err = e as { message?: unknown; code?: unknown };
  const message = typeof err?.message === 'string' ? err.message : String(e);
  const pgCode = typeof err?.code === 'string' ? err.code : null;
  return new DocketError(
    'STORE_ERROR',
    transient ? `postgres unreachable during ${operation}: ${message}` : `postgres ${operation} failed: ${message}`,
    { store: 'postgres', operation, transient, pgCode },
    { cause: e },
  );
}
