export { PostgresStore } from './postgres-store.js';
export {
  DEFAULT_PG_CONNECT_TIMEOUT_MS,
  DEFAULT_PG_MAX_CONNECTIONS,
  DEFAULT_PG_NOTIFY_INTERVAL_MS,
  DEFAULT_PG_RECONNECT_MAX_MS,
  DEFAULT_PG_RECONNECT_MIN_MS,
  DEFAULT_PG_SCHEMA,
  type PostgresStoreOptions,
  type StoreLogger,
} from './options.js';
export { LATEST_SCHEMA_VERSION, MIGRATIONS, type Migration } from './migrations.js';
