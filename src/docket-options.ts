import pino, { type Logger } from 'pino';
import { systemClock, type Clock } from './core/clock.js';
import { resolveCoreConfig, type CoreConfig, type CoreConfigInput } from './core/config.js';
import { ValidationError } from './core/errors.js';
import { describe } from './core/validate.js';
import type { JobRegistry } from './jobs/job-definition.js';
import { ScheduleDeclarations, type ScheduleConfig } from './scheduler/declarations.js';
import { resolveSchedulerConfig, type SchedulerConfig, type SchedulerOptions } from './scheduler/scheduler-config.js';
import type { Store } from './store/store.js';

/** The core options (validated by resolveCoreConfig), without zod's passthrough index signature. */
type CoreOptions = Pick<CoreConfigInput, 'worker' | 'maintenance' | 'queues' | 'retention' | 'maxPayloadBytes'>;

export interface DocketOptions extends CoreOptions {
  store: Store;
  /** A pino logger, or `false` for silence. Default: pino to stderr at level `info`. */
  logger?: Logger | false;
  /** Time and timers (tests pass a ManualClock; give the store the same one). */
  clock?: Clock;
  /** The scheduler service of this process (on by default). */
  scheduler?: SchedulerOptions;
  /** Schedules declared in config, stored at `start()` like `docket.schedule()` calls. */
  schedules?: ScheduleConfig[];
  /**
   * What `start()` does when the store is unreachable (connection refused or lost):
   * by default it logs one warning and retries with the outage backoff until the
   * store answers (or `stop()`/`close()` is called); `true` rejects at once with
   * the store's `STORE_ERROR`, as before. Other failures always reject at once.
   */
  failFast?: boolean;
}

/** `new Docket(options)` checked and resolved: what the composition root wires. */
export interface ResolvedDocketOptions {
  store: Store;
  clock: Clock;
  logger: Logger;
  config: CoreConfig;
  schedulerConfig: SchedulerConfig;
  /** The config's schedules, checked (their jobs are looked up in `registry` at start). */
  declarations: ScheduleDeclarations;
  failFast: boolean;
}

/** Top-level option names; anything else is a typo and is rejected. */
const KNOWN_OPTIONS = new Set(['store', 'logger', 'clock', 'worker', 'maintenance', 'queues', 'retention', 'maxPayloadBytes', 'scheduler', 'schedules', 'failFast']);

/** Validates every option (naming the field that is wrong) before anything is built. */
export function resolveDocketOptions(options: DocketOptions, registry: JobRegistry): ResolvedDocketOptions {
  if (typeof options !== 'object' || options === null) {
    throw new ValidationError('INVALID_CONFIG', '(root)', `Docket options must be an object (got ${describe(options)})`);
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) throw new ValidationError('INVALID_CONFIG', key, `${key}: unknown option "${key}"`);
  }
  const { store, logger, clock, scheduler, schedules, failFast, ...core } = options;
  if (failFast !== undefined && typeof failFast !== 'boolean') {
    throw new ValidationError('INVALID_CONFIG', 'failFast', `failFast must be a boolean (got ${describe(failFast)})`);
  }
  const config = resolveCoreConfig(core);
  const schedulerConfig = resolveSchedulerConfig(scheduler);
  const declarations = new ScheduleDeclarations(registry, config.maxPayloadBytes);
  declarations.addConfig(schedules);
  return { config, schedulerConfig, declarations, failFast: failFast ?? false, store: checkStore(store), clock: checkClock(clock), logger: resolveLogger(logger) };
}

function checkStore(store: unknown): Store {
  const s = store as Partial<Store> | null | undefined;
  if (typeof s !== 'object' || s === null || typeof s.claimJobs !== 'function' || typeof s.enqueue !== 'function' || typeof s.migrate !== 'function') {
    throw new ValidationError('INVALID_CONFIG', 'store', `store must be a Store (e.g. new SqliteStore({ path })) (got ${describe(store)})`);
  }
  return store as Store;
}

function checkClock(clock: unknown): Clock {
  if (clock === undefined) return systemClock;
  const c = clock as Partial<Clock> | null;
  if (typeof c !== 'object' || c === null || typeof c.now !== 'function' || typeof c.setTimeout !== 'function' || typeof c.clearTimeout !== 'function') {
    throw new ValidationError('INVALID_CONFIG', 'clock', 'clock must implement Clock (now, setTimeout, clearTimeout)');
  }
  return clock as Clock;
}

function resolveLogger(logger: unknown): Logger {
  if (logger === false) return pino({ enabled: false });
  if (logger === undefined) return pino({ name: 'docket', level: 'info' }, pino.destination({ dest: 2, sync: true }));
  const l = logger as Partial<Logger> | null;
  if (typeof l !== 'object' || l === null || typeof l.child !== 'function' || typeof l.info !== 'function') {
    throw new ValidationError('INVALID_CONFIG', 'logger', 'logger must be a pino logger (or false)');
  }
  return logger as Logger;
}
