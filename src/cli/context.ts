/**
 * Per-run state of the CLI: the global flags, the environment, the config
 * file, the store, and the Docket built from them. Commands ask it for what
 * they need; it closes what it opened.
 */
import { existsSync } from 'node:fs';
import type { Logger } from 'pino';
import { isDocketError } from '../core/errors.js';
import { Docket, type DocketOptions } from '../docket.js';
import type { Store } from '../store/store.js';
import { DEFAULT_PG_SCHEMA } from '../stores/postgres/options.js';
import { loadConfig, type LoadedConfig } from './config-file.js';
import type { DocketConfig } from './define-config.js';
import type { CliEnv } from './env.js';
import { CliError, configError, EXIT } from './exit-codes.js';
import { createCliLogger, type LogFormat, type LogLevel } from './logger.js';
import type { Io } from './output.js';
import { DEFAULT_STORE_URL, openStore, parseStoreUrl, sqliteFilePath, type StoreSpec } from './store-url.js';

export interface GlobalOptions {
  store?: string;
  /** A path, or false for --no-config. */
  config?: string | false;
  json?: boolean;
  logLevel?: LogLevel;
  logFormat?: LogFormat;
}

/** Where the store came from, for output and doctor. */
export interface StoreSource {
  /** `flag`, `DOCKET_STORE`, `DATABASE_URL`, `config`, `default`. */
  from: string;
  spec: StoreSpec | null;
  /** The URL with the password masked, or `(Store from config)`. */
  display: string;
}

export type DocketRole = 'admin' | 'worker' | 'serve';

export class CliContext {
  private loaded: Promise<LoadedConfig> | null = null;
  private store: Store | null = null;
  private docket: Docket | null = null;

  constructor(
    readonly opts: GlobalOptions,
    readonly env: CliEnv,
    readonly io: Io,
    readonly cwd: string,
  ) {}

  get json(): boolean {
    return this.opts.json === true;
  }

  /** The config file (memoized). Absent is fine: `path` is null and `config` empty. */
  config(): Promise<LoadedConfig> {
    const explicit = typeof this.opts.config === 'string' ? this.opts.config : this.env.config;
    this.loaded ??= loadConfig({ explicitPath: explicit, cwd: this.cwd, disabled: this.opts.config === false });
    return this.loaded;
  }

  /** --store, then DOCKET_STORE, then DATABASE_URL, then the config's `store`, then sqlite:./docket.db. */
  async storeSource(): Promise<StoreSource> {
    const fromUrl = (from: string, url: string): StoreSource => {
      const spec = parseStoreUrl(url);
      return { from, spec, display: spec.display };
    };
    if (this.opts.store !== undefined) return fromUrl('--store', this.opts.store);
    if (this.env.store !== undefined) return fromUrl('DOCKET_STORE', this.env.store);
    if (this.env.databaseUrl !== undefined) return fromUrl('DATABASE_URL', this.env.databaseUrl);
    const { config } = await this.config();
    if (typeof config.store === 'string') return fromUrl('config', config.store);
    if (config.store !== undefined) return { from: 'config', spec: null, display: '(Store from the config file)' };
    return fromUrl('default', DEFAULT_STORE_URL);
  }

  /**
   * Opens the store once. With `mustExist` (every command on jobs, queues and
   * schedules already there) the store must exist and be current, and nothing
   * is created or migrated: a SQLite file that is not there, or a PostgreSQL
   * schema without docket's tables, is STORE_NOT_FOUND; one lacking recent
   * migrations is STORE_NOT_MIGRATED (both exit 6). A read must not leave an
   * empty database (or DDL on a production server) behind a typo.
   */
  async openStore(options: { mustExist?: boolean } = {}): Promise<{ store: Store; source: StoreSource }> {
    const source = await this.storeSource();
    if (this.store) return { store: this.store, source };
    const spec = source.spec;
    if (spec) {
      const file = sqliteFilePath(spec);
      if (options.mustExist && file !== null && !existsSync(file)) {
        throw new CliError('STORE_NOT_FOUND', `no store at ${file} (docket serve or docket migrate creates it; --store picks another)`, EXIT.STORE, { path: file });
      }
      const store = await openStore(spec, { migrate: !options.mustExist });
      this.store = store;
      // with migrate: false this is the store's read-only check (the Docket repeats it, cheaply)
      if (options.mustExist) await store.migrate().catch((e: unknown) => Promise.reject(notCurrentError(e, spec, file)));
    } else {
      // a Store object from the config: how it migrates is the config's business
      this.store = await storeFromConfig((await this.config()).config);
    }
    return { store: this.store, source };
  }

  /**
   * A Docket on the store with the config's options and job definitions.
   * `admin`: worker and maintenance off (commands that read and change jobs);
   * `worker` / `serve`: as configured, with `overrides` (CLI flags) on top.
   */
  async openDocket(
    role: DocketRole,
    overrides: { worker?: DocketOptions['worker']; scheduler?: boolean; logger?: Logger | false; mustExist?: boolean; failFast?: boolean } = {},
  ): Promise<{ docket: Docket; loaded: LoadedConfig }> {
    const loaded = await this.config();
    const { store } = await this.openStore({ mustExist: overrides.mustExist ?? false });
    const { store: _store, jobs, api: _api, setup: _setup, ...options } = loaded.config;
    const admin = role === 'admin';
    const worker = admin ? { ...options.worker, enabled: false } : { ...options.worker, ...overrides.worker };
    const maintenance = admin ? { ...options.maintenance, enabled: false } : options.maintenance;
    // only `serve` runs the scheduler (unless --no-scheduler); `worker` and the admin commands never do
    const scheduler = { ...options.scheduler, enabled: role === 'serve' && overrides.scheduler !== false && options.scheduler?.enabled !== false };
    const logger = overrides.logger ?? (admin ? false : this.logger());
    try {
      // --fail-fast over the config's failFast (admin commands never start(), so it does not matter to them)
      const failFast = overrides.failFast ?? options.failFast;
      this.docket = new Docket({
        ...options,
        worker,
        scheduler,
        ...(maintenance === undefined ? {} : { maintenance }),
        ...(failFast === undefined ? {} : { failFast }),
        store,
        logger,
      });
      for (const [name, definition] of Object.entries(jobs ?? {})) this.docket.defineJob(name, definition);
    } catch (e) {
      throw asConfigError(e, loaded.path);
    }
    return { docket: this.docket, loaded };
  }

  /** The pino logger of long-running commands (stderr; pretty on a terminal unless --log-format json). */
  logger(): Logger {
    return createCliLogger({ level: this.opts.logLevel ?? 'info', format: this.opts.logFormat ?? (this.io.stderr.isTTY ? 'pretty' : 'json'), stream: this.io.stderr });
  }

  /** The names the config defines (for messages). */
  async jobNames(): Promise<string[]> {
    return Object.keys((await this.config()).config.jobs ?? {});
  }

  /** Closes the Docket (or the bare store) this run opened. Idempotent. */
  async close(): Promise<void> {
    const docket = this.docket;
    const store = this.store;
    this.docket = null;
    this.store = null;
    if (docket) await docket.close({ graceMs: 0 }).catch(() => undefined);
    else if (store) await store.close().catch(() => undefined);
  }
}

/**
 * The read-only schema check failed: say which store is missing or behind in
 * the words of the SQLite file check. `details.pending` (both stores) lists the
 * missing migrations; when the first is among them there are no docket tables.
 */
function notCurrentError(e: unknown, spec: StoreSpec, file: string | null): unknown {
  const pending = isDocketError(e) && Array.isArray(e.details.pending) ? (e.details.pending as number[]) : null;
  if (pending === null || pending.length === 0) return e;
  const schema = spec.kind === 'postgres' ? (spec.schema ?? DEFAULT_PG_SCHEMA) : null;
  const where = schema === null ? (file ?? spec.display) : `"${schema}" at ${spec.display}`;
  const details = schema === null ? { path: where, pending } : { schema, pending };
  if (pending.includes(1)) {
    const what = schema === null ? `no docket tables in ${where}` : `no docket schema ${where}`;
    return new CliError('STORE_NOT_FOUND', `${what} (docket migrate creates it; --store picks another)`, EXIT.STORE, details);
  }
  const store = schema === null ? where : `schema ${where}`;
  return new CliError('STORE_NOT_MIGRATED', `${store} lacks migrations ${pending.join(', ')} of this docket: run docket migrate (commands on an existing store never migrate it)`, EXIT.STORE, details);
}

async function storeFromConfig(config: DocketConfig): Promise<Store> {
  const s = config.store;
  const store = typeof s === 'function' ? await s() : s;
  if (typeof store !== 'object' || store === null || typeof (store as Store).enqueue !== 'function') {
    throw configError('config: store must be a store URL, a Store, or a function returning a Store');
  }
  return store as Store;
}

/** Bad definitions and options in the config exit with the config code, naming the file. */
function asConfigError(e: unknown, path: string | null): unknown {
  if (!isDocketError(e)) return e;
  const where = path ? `config file ${path}` : 'config';
  return new CliError(e.code, `${where}: ${e.message}`, EXIT.CONFIG, { ...e.details });
}
