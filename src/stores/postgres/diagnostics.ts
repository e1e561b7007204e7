/**
 * Server settings and schema version, for `docket doctor`. Read-only: it
 * opens one short-lived connection and creates nothing (no migration).
 */
import pg from 'pg';
import { ValidationError } from '../../core/errors.js';
import { LATEST_SCHEMA_VERSION } from './migrations.js';
import { DEFAULT_PG_CONNECT_TIMEOUT_MS, DEFAULT_PG_SCHEMA } from './options.js';
import { toStoreError } from './errors.js';

export interface PostgresDiagnostics {
  /** e.g. `15.8` */
  serverVersion: string;
  /** e.g. 150008 */
  serverVersionNum: number;
  /** `on`, `remote_apply`, `remote_write`, `local` or `off`. */
  synchronousCommit: string;
  maxConnections: number;
  schema: string;
  /** 0 when the schema has no migrations table yet. */
  schemaVersion: number;
  latestSchemaVersion: number;
}

const SCHEMA_PATTERN = /^[a-z_][a-z0-9_]{0,47}$/;

export async function postgresDiagnostics(options: { connectionString: string; schema?: string }): Promise<PostgresDiagnostics> {
  const schema = options.schema ?? DEFAULT_PG_SCHEMA;
  if (!SCHEMA_PATTERN.test(schema)) throw new ValidationError('INVALID_OPTION', 'schema', `schema must match ${SCHEMA_PATTERN} (got ${schema})`);
  const client = new pg.Client({ connectionString: options.connectionString, connectionTimeoutMillis: DEFAULT_PG_CONNECT_TIMEOUT_MS, application_name: 'docket-doctor' });
  client.on('error', () => {});
  try {
    await client.connect();
    const settings = await client.query<{ version: string; num: number; sync: string; max: number; has_migrations: boolean }>(
      `SELECT current_setting('server_version') AS version,
              current_setting('server_version_num')::int AS num,
              current_setting('synchronous_commit') AS sync,
              current_setting('max_connections')::int AS max,
              to_regclass($1) IS NOT NULL AS has_migrations`,
      [`"${schema}".migrations`],
    );
    const s = settings.rows[0]!;
    let schemaVersion = 0;
    if (s.has_migrations) {
      const v = await client.query<{ v: number | null }>(`SELECT max(version) AS v FROM "${schema}".migrations`);
      schemaVersion = v.rows[0]?.v ?? 0;
    }
    return {
      serverVersion: s.version,
      serverVersionNum: s.num,
      synchronousCommit: s.sync,
      maxConnections: s.max,
      schema,
      schemaVersion,
      latestSchemaVersion: LATEST_SCHEMA_VERSION,
    };
  } catch (e) {
    throw toStoreError(e, 'diagnostics');
  } finally {
    await client.end().catch(() => undefined);
  }
}
