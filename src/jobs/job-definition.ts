import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DEFAULT_PRIORITY, DEFAULT_QUEUE, jobOptionsSchema, parseOrThrow, resolveRetryPolicy, type JobOptionsInput } from '../core/config.js';
import { DocketError, UnknownJobError, ValidationError } from '../core/errors.js';
import { DEFAULT_MAX_ATTEMPTS, type RetryPolicy } from '../core/next-state.js';
import { assertName, checkJsonValue } from '../core/validate.js';
import type { JobContext } from '../worker/job-context.js';
import { importHandler, type HandlerModuleRef } from './handler-module.js';
import { isStandardSchema, type StandardSchemaV1 } from './standard-schema.js';

export type { HandlerModuleRef } from './handler-module.js';

export type JobHandler<TData, TResult> = (data: TData, ctx: JobContext) => Promise<TResult> | TResult;

/** Where a handler runs: this process's event loop, a worker thread, or a child process. */
export type Isolation = 'in-process' | 'thread' | 'process';
export const ISOLATION_MODES: readonly Isolation[] = ['in-process', 'thread', 'process'];

/**
 * A handler loaded from a module, so that a worker thread or a child process
 * can load it too: `module` is a path or file URL (resolve it with
 * `new URL('./resize.js', import.meta.url)`), `export` the name of the
 * exported handler function (default `default`). `options` (JSON) reach the
 * handler as `ctx.handlerOptions`: what it needs to open its own connections.
 */
export interface HandlerModule {
  module: string | URL;
  export?: string;
  options?: unknown;
}

/** What `docket.defineJob(name, …)` takes. */
export interface DefineJobOptions<TData, TResult> extends JobOptionsInput {
  /**
   * Optional Standard Schema (zod 3.24+, valibot, arktype). Enqueued data is validated by it and
   * stored as given (its input type, JSON); the handler gets the schema's output for that data
   * (defaults, transforms), parsed again when the attempt starts.
   */
  schema?: StandardSchemaV1<unknown, TData>;
  /** A function (in-process only), or a module and export name (any isolation). */
  handler: JobHandler<TData, TResult> | HandlerModule;
  /** Default `in-process`. `thread` and `process` need `handler` as a module. */
  isolation?: Isolation;
  /**
   * Isolated handlers only: the V8 heap limit of the thread (`resourceLimits`) or
   * process (`--max-old-space-size`) that runs it; a process is also ended when its
   * RSS passes twice this. Going over ends the attempt with `OUT_OF_MEMORY`.
   */
  memoryLimitMb?: number;
}

/** A job definition with its defaults resolved. */
export interface JobDefinition<TData = unknown, TResult = unknown> {
  readonly name: string;
  readonly queue: string;
  readonly priority: number;
  readonly maxAttempts: number;
  readonly timeoutMs: number | null;
  readonly retry: RetryPolicy;
  readonly schema: StandardSchemaV1<unknown, TData> | null;
  /** For a module handler run in-process, a function that imports it on first use. */
  readonly handler: JobHandler<TData, TResult>;
  readonly isolation: Isolation;
  /** The module the handler comes from (null: a function given in code). */
  readonly handlerModule: HandlerModuleRef | null;
  readonly memoryLimitMb: number | null;
}

/** Validates a definition; errors name the field (`jobs.<name>.retry.jitter`). */
export function resolveJobDefinition<TData, TResult>(name: string, input: DefineJobOptions<TData, TResult>): JobDefinition<TData, TResult> {
  assertName('name', name);
  if (typeof input !== 'object' || input === null) {
    throw new ValidationError('INVALID_OPTION', `jobs.${name}`, `jobs.${name}: the definition must be an object with a handler`);
  }
  const { schema, handler, isolation = 'in-process', memoryLimitMb, ...options } = input;
  if (!ISOLATION_MODES.includes(isolation)) {
    throw new ValidationError('INVALID_OPTION', `jobs.${name}.isolation`, `jobs.${name}.isolation must be one of ${ISOLATION_MODES.join(', ')} (got ${String(isolation)})`);
  }
  const handlerModule = typeof handler === 'function' ? null : resolveHandlerModule(name, handler);
  if (typeof handler !== 'function' && !handlerModule) {
    throw new ValidationError('INVALID_OPTION', `jobs.${name}.handler`, `jobs.${name}.handler must be a function or { module, export? }`);
  }
  if (isolation !== 'in-process' && !handlerModule) {
    throw new ValidationError('INVALID_OPTION', `jobs.${name}.handler`, `jobs.${name}: isolation '${isolation}' needs handler as { module, export? }, so that a ${isolation} can load it`);
  }
  if (memoryLimitMb !== undefined && (!Number.isInteger(memoryLimitMb) || memoryLimitMb < 16)) {
    throw new ValidationError('INVALID_OPTION', `jobs.${name}.memoryLimitMb`, `jobs.${name}.memoryLimitMb must be an integer of at least 16 (got ${String(memoryLimitMb)})`);
  }
  if (memoryLimitMb !== undefined && isolation === 'in-process') {
    throw new ValidationError('INVALID_OPTION', `jobs.${name}.memoryLimitMb`, `jobs.${name}.memoryLimitMb needs isolation 'thread' or 'process' (an in-process handler shares the worker's heap)`);
  }
  if (schema !== undefined && !isStandardSchema(schema)) {
    throw new ValidationError('INVALID_OPTION', `jobs.${name}.schema`, `jobs.${name}.schema must be a Standard Schema (an object with "~standard".validate)`);
  }
  if (options.queue !== undefined) assertName(`jobs.${name}.queue`, options.queue);
  const o = parseOrThrow(jobOptionsSchema, options, 'INVALID_OPTION', `jobs.${name}`);
  return Object.freeze({
    name,
    queue: o.queue ?? DEFAULT_QUEUE,
    priority: o.priority ?? DEFAULT_PRIORITY,
    maxAttempts: o.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    timeoutMs: o.timeoutMs ?? null,
    retry: resolveRetryPolicy(o.retry),
    schema: schema ?? null,
    handler: typeof handler === 'function' ? handler : lazyModuleHandler<TData, TResult>(handlerModule!),
    isolation,
    handlerModule,
    memoryLimitMb: memoryLimitMb ?? null,
  });
}

function resolveHandlerModule(name: string, spec: HandlerModule): HandlerModuleRef | null {
  if (typeof spec !== 'object' || spec === null) return null;
  const { module, export: exportName = 'default', options } = spec;
  let url: string;
  if (module instanceof URL) url = module.href;
  else if (typeof module === 'string' && module.startsWith('file:')) url = new URL(module).href;
  else if (typeof module === 'string' && isAbsolute(module)) url = pathToFileURL(module).href;
  else {
    throw new ValidationError('INVALID_OPTION', `jobs.${name}.handler.module`, `jobs.${name}.handler.module must be an absolute path or a file URL (e.g. new URL('./handler.js', import.meta.url))`);
  }
  if (!url.startsWith('file:')) {
    throw new ValidationError('INVALID_OPTION', `jobs.${name}.handler.module`, `jobs.${name}.handler.module must be a file`);
  }
  if (typeof exportName !== 'string' || exportName === '') {
    throw new ValidationError('INVALID_OPTION', `jobs.${name}.handler.export`, `jobs.${name}.handler.export must be a non-empty string`);
  }
  if (options !== undefined) {
    try {
      checkJsonValue(`jobs.${name}.handler.options`, options);
    } catch (error) {
      throw new ValidationError('INVALID_OPTION', `jobs.${name}.handler.options`, `jobs.${name}.handler.options must be plain JSON (they cross to a thread or process): ${(error as Error).message}`);
    }
  }
  const optionsJson = options === undefined ? undefined : JSON.stringify(options);
  return Object.freeze({ url, exportName, options: optionsJson === undefined ? undefined : (JSON.parse(optionsJson) as unknown) });
}

/** In-process with a module handler: imported on first use, then called directly. */
function lazyModuleHandler<TData, TResult>(ref: HandlerModuleRef): JobHandler<TData, TResult> {
  let loaded: Promise<JobHandler<TData, TResult>> | null = null;
  return async (data, ctx) => {
    loaded ??= importHandler(ref).catch((error: unknown) => {
      loaded = null;
      throw error;
    }) as Promise<JobHandler<TData, TResult>>;
    return (await loaded)(data, ctx);
  };
}

/** The job definitions of one Docket, by name. */
export class JobRegistry {
  private readonly byName = new Map<string, JobDefinition<never, unknown>>();
  private version = 0;

  add(def: JobDefinition<never, unknown>): void {
    if (this.byName.has(def.name)) {
      throw new DocketError('DUPLICATE_JOB_DEFINITION', `a job named "${def.name}" is already defined`, { jobName: def.name });
    }
    this.byName.set(def.name, def);
    this.version++;
  }

  get(name: string): JobDefinition<never, unknown> | undefined {
    return this.byName.get(name);
  }

  /** The definition, or UnknownJobError. */
  require(name: string): JobDefinition<never, unknown> {
    const def = this.byName.get(name);
    if (!def) throw new UnknownJobError(name);
    return def;
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  /** Default queues of the defined jobs, without duplicates. */
  queues(): string[] {
    return [...new Set([...this.byName.values()].map((d) => d.queue))];
  }

  get size(): number {
    return this.byName.size;
  }

  /** Bumps on every definition, so callers can cache derived lists. */
  get revision(): number {
    return this.version;
  }
}
