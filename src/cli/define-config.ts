/**
 * The shape of `docket.config.ts`, read by the `docket` CLI. Types only plus an
 * identity function, so importing it from the package costs nothing and does
 * nothing at import time.
 */
import type { Docket, DocketOptions } from '../docket.js';
import type { AdminAppOptions } from '../admin/api/app.js';
import type { DefineJobOptions } from '../jobs/job-definition.js';
import type { Store } from '../store/store.js';

/** What `setup` may return: run at shutdown, before the Docket stops. */
export type ConfigTeardown = () => void | Promise<void>;

export interface DocketApiConfig extends Omit<AdminAppOptions, 'docket' | 'logger' | 'clock' | 'keys'> {
  /** API keys by scope (overridden per scope by DOCKET_ADMIN_KEY / DOCKET_READ_KEY). */
  keys?: { admin?: string[]; read?: string[] };
  /** Dashboard session secrets, the first signs (overridden by DOCKET_SESSION_SECRET, comma-separated). */
  sessionSecrets?: string | string[];
  /** Default port (overridden by --port and PORT). Default 7070. */
  port?: number;
  /** Default interface (overridden by --host). Default 127.0.0.1. */
  host?: string;
}

/**
 * `docket.config.ts`: everything a `new Docket(...)` takes except the store
 * object, logger and clock (the CLI builds those), plus the job definitions,
 * the admin API settings and an optional `setup` hook.
 */
export interface DocketConfig extends Omit<DocketOptions, 'store' | 'logger' | 'clock'> {
  /**
   * A store URL (`sqlite:./docket.db`, `sqlite::memory:`, `postgres://…`), a
   * Store, or a function returning one (called only when no --store,
   * DOCKET_STORE or DATABASE_URL overrides it).
   */
  store?: string | Store | (() => Store | Promise<Store>);
  /**
   * Job definitions by name, exactly what `docket.defineJob(name, …)` takes.
   * Every command that enqueues needs them: a name not defined here is refused.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each job has its own data type; `any` lets handlers annotate theirs
  jobs?: Record<string, DefineJobOptions<any, any>>;
  /** The admin HTTP API of `docket serve`. */
  api?: DocketApiConfig;
  /**
   * Called by `docket serve` and `docket worker` once the Docket has started
   * (after the jobs are defined): attach listeners, start feeders. May return
   * a teardown that runs on shutdown before the Docket stops.
   */
  setup?: (docket: Docket) => void | ConfigTeardown | Promise<void | ConfigTeardown>;
}

/** Typed identity: `export default defineConfig({ ... })` in docket.config.ts. */
export function defineConfig(config: DocketConfig): DocketConfig {
  return config;
}
