export { SqliteStore, type SqliteDiagnostics } from './sqlite-store.js';
export {
  DEFAULT_SQLITE_BUSY_TIMEOUT_MS,
  DEFAULT_SQLITE_SYNCHRONOUS,
  SQLITE_SYNCHRONOUS_MODES,
  type SqliteStoreOptions,
  type SqliteSynchronous,
} from './options.js';
export { SqliteStoreError } from './errors.js';
