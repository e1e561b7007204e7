import { ValidationError } from '../core/errors.js';

/**
 * The Standard Schema v1 interface (https://standardschema.dev), written out
 * here so docket depends on no validation library: zod 3.24+, valibot and
 * arktype schemas all carry this `~standard` property.
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': StandardSchemaV1.Props<Input, Output>;
}

// eslint-disable-next-line @typescript-eslint/no-namespace
export declare namespace StandardSchemaV1 {
  interface Props<Input = unknown, Output = Input> {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => Result<Output> | Promise<Result<Output>>;
    readonly types?: Types<Input, Output> | undefined;
  }
  type Result<Output> = SuccessResult<Output> | FailureResult;
  interface SuccessResult<Output> {
    readonly value: Output;
    readonly issues?: undefined;
  }
  interface FailureResult {
    readonly issues: ReadonlyArray<Issue>;
  }
  interface Issue {
    readonly message: string;
    readonly path?: ReadonlyArray<PropertyKey | PathSegment> | undefined;
  }
  interface PathSegment {
    readonly key: PropertyKey;
  }
  interface Types<Input = unknown, Output = Input> {
    readonly input: Input;
    readonly output: Output;
  }
  type InferInput<S extends StandardSchemaV1> = NonNullable<S['~standard']['types']>['input'];
  type InferOutput<S extends StandardSchemaV1> = NonNullable<S['~standard']['types']>['output'];
}

export function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  const props = (value as { '~standard'?: { validate?: unknown } } | null | undefined)?.['~standard'];
  return typeof props === 'object' && props !== null && typeof props.validate === 'function';
}

/**
 * Validates `value`; the first issue becomes an INVALID_DATA ValidationError
 * whose field is the issue's path under `field` (e.g. `data.to`).
 * Returns the schema's output (which may differ from the input: defaults, transforms).
 */
export async function validateWithSchema<Output>(schema: StandardSchemaV1<unknown, Output>, field: string, value: unknown): Promise<Output> {
  let result = schema['~standard'].validate(value);
  if (result instanceof Promise) result = await result;
  if (!result.issues) return result.value;
  const issue = result.issues[0];
  const path = (issue?.path ?? []).map((p) => String(typeof p === 'object' && p !== null ? p.key : p));
  const at = [field, ...path].join('.');
  const more = result.issues.length > 1 ? ` (and ${result.issues.length - 1} more issue${result.issues.length > 2 ? 's' : ''})` : '';
  throw new ValidationError('INVALID_DATA', at, `${at}: ${issue?.message ?? 'is invalid'}${more}`, {
    issues: result.issues.map((i) => ({ message: i.message, path: (i.path ?? []).map((p) => String(typeof p === 'object' && p !== null ? p.key : p)) })),
  });
}
