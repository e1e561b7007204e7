/**
 * The environment variables the CLI reads. This is the only module in docket
 * that touches `process.env`; everything else gets values passed in.
 */
export interface CliEnv {
  /** DOCKET_STORE: store URL. */
  store: string | undefined;
  /** DATABASE_URL: store URL, after DOCKET_STORE. */
  databaseUrl: string | undefined;
  /** PORT: the admin API's port for `serve`. */
  port: string | undefined;
  /** DOCKET_CONFIG: path of the config file. */
  config: string | undefined;
  /** DOCKET_ADMIN_KEY / DOCKET_READ_KEY: comma-separated API keys; undefined when unset. */
  adminKeys: string[] | undefined;
  readKeys: string[] | undefined;
  /** DOCKET_SESSION_SECRET: comma-separated dashboard session secrets (the first signs); undefined when unset. */
  sessionSecrets: string[] | undefined;
}

/** Names, for help texts and docs. */
export const ENV_VARS = ['DOCKET_STORE', 'DATABASE_URL', 'PORT', 'DOCKET_CONFIG', 'DOCKET_ADMIN_KEY', 'DOCKET_READ_KEY', 'DOCKET_SESSION_SECRET'] as const;

export function readEnv(env: NodeJS.ProcessEnv = process.env): CliEnv {
  return {
    store: nonEmpty(env.DOCKET_STORE),
    databaseUrl: nonEmpty(env.DATABASE_URL),
    port: nonEmpty(env.PORT),
    config: nonEmpty(env.DOCKET_CONFIG),
    adminKeys: keyList(env.DOCKET_ADMIN_KEY),
    readKeys: keyList(env.DOCKET_READ_KEY),
    sessionSecrets: keyList(env.DOCKET_SESSION_SECRET),
  };
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

/** `a,b , c` -> ['a', 'b', 'c']; blank entries dropped; unset or blank -> undefined. */
export function keyList(v: string | undefined): string[] | undefined {
  if (v === undefined) return undefined;
  const keys = v
    .split(',')
    .map((k) => k.trim())
    .filter((k) => k.length > 0);
  return keys.length > 0 ? keys : undefined;
}
