/**
 * A job schema that transforms (zod `.transform`, `.default`): enqueue takes the
 * schema's input type and stores it as given; the handler gets the schema's
 * output, parsed when the attempt starts. The types say what happens.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { createMemoryStore, createTestDocket, drain } from '../testing/index.js';
import type { JobContext } from '../worker/job-context.js';

const reminder = z.object({
  at: z.string().transform((s) => new Date(s)),
  channel: z.enum(['email', 'sms']).default('email'),
});

describe('job schemas with transforms', () => {
  it('types enqueue with the input and the handler with the output', () => {
    const docket = createTestDocket();
    const handle = docket.defineJob('remind', {
      schema: reminder,
      handler: async (data, ctx) => {
        expectTypeOf(data).toEqualTypeOf<{ at: Date; channel: 'email' | 'sms' }>();
        expectTypeOf(ctx).toEqualTypeOf<JobContext>();
        return data.at.getTime();
      },
    });
    expectTypeOf(handle.enqueue).parameter(0).toEqualTypeOf<{ at: string; channel?: 'email' | 'sms' | undefined }>();
    // @ts-expect-error a Date is the output type; enqueue takes the input (a string)
    void handle.enqueue({ at: new Date() }).catch(() => undefined);
    void docket.close();
  });

  it('stores the input and hands the handler the output (a Date, defaults applied)', async () => {
    const docket = createTestDocket();
    const seen: unknown[] = [];
    const handle = docket.defineJob('remind', {
      schema: reminder,
      handler: async (data) => {
        seen.push(data);
        return { at: data.at.toISOString(), channel: data.channel };
      },
    });
    const job = await handle.enqueue({ at: '2026-05-01T09:00:00Z' });
    expect((await docket.getJob(job.id))!.data).toEqual({ at: '2026-05-01T09:00:00Z' });
    await drain(docket);
    expect(seen).toHaveLength(1);
    expect((seen[0] as { at: unknown }).at).toBeInstanceOf(Date);
    expect(await job.wait()).toEqual({ at: '2026-05-01T09:00:00.000Z', channel: 'email' });
    await docket.close();
  });

  it('refuses data the schema refuses at enqueue, writing nothing', async () => {
    const docket = createTestDocket();
    const handle = docket.defineJob('remind', { schema: reminder, handler: async () => undefined });
    await expect(handle.enqueue({ at: 42 } as never)).rejects.toMatchObject({ code: 'INVALID_DATA', field: 'data.at' });
    expect((await docket.listJobs({})).jobs).toEqual([]);
    await docket.close();
  });

  it('fails a stored job whose data the schema now refuses with INVALID_DATA, without retrying', async () => {
    const store = createMemoryStore();
    const docket = createTestDocket({ store });
    let ran = false;
    docket.defineJob('remind', { schema: reminder, maxAttempts: 5, handler: async () => void (ran = true) });
    const job = await docket.enqueue('remind', { at: '2026-05-01T09:00:00Z' });
    // Another deploy defined the job without the schema and enqueued data this one refuses.
    const other = createTestDocket({ store });
    other.defineJob('remind', { handler: async () => undefined });
    const bad = await other.enqueue('remind', { at: 7 }, { queue: 'default' });
    await drain(docket);
    expect(ran).toBe(true);
    const failed = await docket.getJob(bad.id);
    expect(failed).toMatchObject({ state: 'failed', attempt: 1 });
    expect(JSON.stringify(failed!.error)).toContain('INVALID_DATA');
    expect((await docket.getJob(job.id))!.state).toBe('completed');
    await docket.close();
  });
});
