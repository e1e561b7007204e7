import { DocketError } from '../../core/errors.js';

/** A failure inside SQLite (I/O, lock timeout, schema too new). Code `STORE_ERROR`. */
export class SqliteStoreError extends DocketError {
  constructor(message: string, details: Record<string, unknown> = {}, options?: ErrorOptions) {
    super('STORE_ERROR', message, details, options);
  }
}

/** Wraps driver errors so callers switch on a stable code; docket's own errors pass through. */
export function wrapSqliteError(e: unknown): unknown {
  if (e instanceof DocketError) return e;
  if (e instanceof Error && e.name === 'SqliteError') {
    const code = (e as { code?: unknown }).code;
    return new SqliteStoreError(`sqlite: ${e.message}`, { sqliteCode: typeof code === 'string' ? code : null }, { cause: e });
  }
  return e;
}
