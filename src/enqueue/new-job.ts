import { enqueueOptionsSchema, parseOrThrow, type EnqueueOptions } from '../core/config.js';
import { ValidationError } from '../core/errors.js';
import type { NewJob } from '../core/job.js';
import { assertName, serializeJson } from '../core/validate.js';
import type { JobDefinition } from '../jobs/job-definition.js';
import { validateWithSchema } from '../jobs/standard-schema.js';

export type { EnqueueOptions };

/** Set by the scheduler when a schedule's fire produces the job. */
export interface ScheduleOrigin {
  scheduleName: string;
  fireTime: Date;
}

/**
 * Turns one enqueue call into the NewJob a store inserts: options validated
 * (errors name `options.<field>`), data validated by the definition's schema
 * and serialised (JSON only, size-capped), defaults from the definition.
 * Throws a ValidationError before anything is written.
 */
export async function buildNewJob(
  def: JobDefinition<never, unknown>,
  data: unknown,
  options: EnqueueOptions | undefined,
  maxPayloadBytes: number,
  origin?: ScheduleOrigin,
): Promise<NewJob> {
  // Names get INVALID_NAME (like job names), before zod's generic INVALID_OPTION.
  if (typeof options === 'object' && options !== null && options.queue !== undefined) assertName('options.queue', options.queue);
  const o = options === undefined ? {} : parseOrThrow(enqueueOptionsSchema, options, 'INVALID_OPTION', 'options');
  if ((o.keepKeyForever || o.releaseKeyOnFailure) && o.idempotencyKey === undefined) {
    const field = o.keepKeyForever ? 'options.keepKeyForever' : 'options.releaseKeyOnFailure';
    throw new ValidationError('INVALID_OPTION', field, `${field} needs options.idempotencyKey`);
  }
  // The schema checks the data now (bad data writes nothing), but the job stores what was given:
  // the schema's input type, plain JSON. The worker parses it again and hands the output (defaults
  // applied, transforms run: a string may become a Date) to the handler, so enqueue takes
  // StandardSchemaV1.InferInput and the handler gets InferOutput, as the types say.
  if (def.schema) await validateWithSchema(def.schema, 'data', data);
  const value = data;
  return {
    name: def.name,
    queue: o.queue ?? def.queue,
    dataJson: serializeJson('data', value, maxPayloadBytes),
    priority: o.priority ?? def.priority,
    delayMs: o.delayMs ?? 0,
    runAt: o.runAt ?? null,
    maxAttempts: o.maxAttempts ?? def.maxAttempts,
    timeoutMs: o.timeoutMs !== undefined ? o.timeoutMs : def.timeoutMs,
    idempotencyKey: o.idempotencyKey ?? null,
    keepKeyForever: o.keepKeyForever ?? false,
    releaseKeyOnFailure: o.releaseKeyOnFailure ?? false,
    scheduleName: origin?.scheduleName ?? null,
    fireTime: origin?.fireTime ?? null,
  };
}
