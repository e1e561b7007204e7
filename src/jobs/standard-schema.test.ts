import { describe, expect, it } from 'vitest';
import { ValidationError } from '../core/errors.js';
import { isStandardSchema, validateWithSchema, type StandardSchemaV1 } from './standard-schema.js';

/** A minimal Standard Schema: `{ to: string }`, trimming `to`. */
function emailSchema(async = false): StandardSchemaV1<{ to: string }, { to: string }> {
  const validate = (v: unknown): StandardSchemaV1.Result<{ to: string }> => {
    const to = (v as { to?: unknown } | null)?.to;
    if (typeof to !== 'string') return { issues: [{ message: 'Expected string', path: [{ key: 'to' }] }, { message: 'second' }] };
    return { value: { to: to.trim() } };
  };
  return { '~standard': { version: 1, vendor: 'test', validate: async ? async (v) => validate(v) : validate } };
}

describe('validateWithSchema', () => {
  it.each([false, true])('returns the output of a valid value (async=%s)', async (async) => {
    await expect(validateWithSchema(emailSchema(async), 'data', { to: ' a@b ' })).resolves.toEqual({ to: 'a@b' });
  });

  it('turns the first issue into INVALID_DATA naming the path', async () => {
    const error = await validateWithSchema(emailSchema(), 'data', { to: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ code: 'INVALID_DATA', field: 'data.to' });
    expect((error as Error).message).toContain('Expected string');
    expect((error as Error).message).toContain('1 more issue');
  });

  it('recognises Standard Schemas', () => {
    expect(isStandardSchema(emailSchema())).toBe(true);
    expect(isStandardSchema({})).toBe(false);
    expect(isStandardSchema(null)).toBe(false);
  });
});
