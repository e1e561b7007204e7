import { describe, expect, it } from 'vitest';
import { resolveJobDefinition } from '../jobs/job-definition.js';
import type { StandardSchemaV1 } from '../jobs/standard-schema.js';
import { buildNewJob } from './new-job.js';

const def = resolveJobDefinition('send', { handler: () => null, queue: 'emails', priority: 3, maxAttempts: 4, timeoutMs: 500 }) as never;
const MiB = 1024 * 1024;

describe('buildNewJob', () => {
  it('takes the definition defaults', async () => {
    await expect(buildNewJob(def, { to: 'a' }, undefined, MiB)).resolves.toEqual({
      name: 'send', queue: 'emails', dataJson: '{"to":"a"}', priority: 3, delayMs: 0, runAt: null, maxAttempts: 4, timeoutMs: 500,
      idempotencyKey: null, keepKeyForever: false, releaseKeyOnFailure: false, scheduleName: null, fireTime: null,
    });
  });

  it('lets enqueue options override them', async () => {
    const runAt = new Date('2030-01-01T00:00:00Z');
    const job = await buildNewJob(def, null, { queue: 'other', priority: -1, runAt, maxAttempts: 1, timeoutMs: null, idempotencyKey: 'k', keepKeyForever: true }, MiB, {
      scheduleName: 's', fireTime: runAt,
    });
    expect(job).toMatchObject({ queue: 'other', priority: -1, runAt, maxAttempts: 1, timeoutMs: null, idempotencyKey: 'k', keepKeyForever: true, scheduleName: 's', fireTime: runAt });
  });

  it.each([
    [{ queue: 'bad queue' }, 'INVALID_NAME', 'options.queue'],
    [{ priority: 1.5 }, 'INVALID_OPTION', 'options.priority'],
    [{ delayMs: -1 }, 'INVALID_OPTION', 'options.delayMs'],
    [{ delayMs: 1, runAt: new Date() }, 'INVALID_OPTION', 'options.runAt'],
    [{ runAt: new Date(NaN) }, 'INVALID_OPTION', 'options.runAt'],
    [{ keepKeyForever: true }, 'INVALID_OPTION', 'options.keepKeyForever'],
    [{ priorty: 1 }, 'INVALID_OPTION', 'options.priorty'],
  ])('rejects options %j with %s at %s', async (options, code, field) => {
    await expect(buildNewJob(def, {}, options as never, MiB)).rejects.toMatchObject({ code, field });
  });

  it.each([
    [{ at: new Date() }, 'INVALID_DATA'],
    [{ n: NaN }, 'INVALID_DATA'],
    [{ f: () => 1 }, 'INVALID_DATA'],
    [10n, 'INVALID_DATA'],
    [undefined, 'INVALID_DATA'],
    ['x'.repeat(MiB), 'PAYLOAD_TOO_LARGE'],
  ])('rejects data that JSON would change or that is too large (%#)', async (data, code) => {
    await expect(buildNewJob(def, data, undefined, MiB)).rejects.toMatchObject({ code, field: 'data' });
  });

  it('validates with the schema but stores the input (the handler gets the output, parsed at run)', async () => {
    const schema: StandardSchemaV1<unknown, { n: number }> = {
      '~standard': { version: 1, vendor: 't', validate: (v) => (typeof v === 'string' ? { value: { n: v.length } } : { issues: [{ message: 'want a string' }] }) },
    };
    const withSchema = resolveJobDefinition('s', { handler: () => null, schema }) as never;
    await expect(buildNewJob(withSchema, 'abc', undefined, MiB)).resolves.toMatchObject({ dataJson: '"abc"' });
    await expect(buildNewJob(withSchema, 3, undefined, MiB)).rejects.toMatchObject({ code: 'INVALID_DATA', field: 'data' });
  });
});
