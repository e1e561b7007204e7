import { DEFAULT_PRIORITY, DEFAULT_QUEUE, jobOptionsSchema, parseOrThrow, resolveRetryPolicy, type JobOptionsInput } from '../core/config.js';
import { DocketError, UnknownJobError, ValidationError } from '../core/errors.js';
import { DEFAULT_MAX_ATTEMPTS, type RetryPolicy } from '../core/next-state.js';
import { assertName } from '../core/validate.js';
import type { JobContext } from '../worker/job-context.js';
import { isStandardSchema, type StandardSchemaV1 } from './standard-schema.js';

export type JobHandler<TData, TResult> = (data: TData, ctx: JobContext) => Promise<TResult> | TResult;

/** What `docket.defineJob(name, …)` takes. */
export interface DefineJobOptions<TData, TResult> extends JobOptionsInput {
  /**
   * Optional Standard Schema (zod 3.24+, valibot, arktype). Enqueued data is validated by it and
   * stored as given (its input type, JSON); the handler gets the schema's output for that data
   * (defaults, transforms), parsed again when the attempt starts.
   */
  schema?: StandardSchemaV1<unknown, TData>;
  handler: JobHandler<TData, TResult>;
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
  readonly handler: JobHandler<TData, TResult>;
}

/** Validates a definition; errors name the field (`jobs.<name>.retry.jitter`). */
export function resolveJobDefinition<TData, TResult>(name: string, input: DefineJobOptions<TData, TResult>): JobDefinition<TData, TResult> {
  assertName('name', name);
  if (typeof input !== 'object' || input === null) {
    throw new ValidationError('INVALID_OPTION', `jobs.${name}`, `jobs.${name}: the definition must be an object with a handler`);
  }
  const { schema, handler, ...options } = input;
  if (typeof handler !== 'function') {
    throw new ValidationError('INVALID_OPTION', `jobs.${name}.handler`, `jobs.${name}.handler must be a function`);
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
    handler,
  });
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
