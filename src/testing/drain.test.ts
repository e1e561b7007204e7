import { describe, expect, it } from 'vitest';
import { createTestDocket, drain } from './index.js';

describe('drain', () => {
  it('runs every runnable job and leaves the docket as it found it', async () => {
    const docket = createTestDocket();
    const done: number[] = [];
    docket.defineJob('j', { handler: async (n: number) => void done.push(n) });
    await docket.enqueueMany(Array.from({ length: 20 }, (_, i) => ({ name: 'j', data: i })));
    await drain(docket);
    expect(done.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(docket.isRunning).toBe(false);
    await docket.close();
  });

  it('waits for retries that are due soon with includeDelayed', async () => {
    const docket = createTestDocket();
    let calls = 0;
    docket.defineJob('flaky', {
      retry: { backoff: { type: 'fixed', delayMs: 20 }, jitter: 0 },
      handler: async () => {
        if (++calls < 3) throw new Error('not yet');
        return 'ok';
      },
    });
    const job = await docket.enqueue('flaky', null);
    await drain(docket, { includeDelayed: true });
    expect(await docket.getJob(job.id)).toMatchObject({ state: 'completed', attempt: 3 });
    await docket.close();
  });

  it('gives up with an error when jobs stay pending', async () => {
    const docket = createTestDocket();
    docket.defineJob('stuck', { handler: () => new Promise(() => undefined) });
    await docket.enqueue('stuck', null);
    await expect(drain(docket, { timeoutMs: 100 })).rejects.toThrow(/still pending/);
    await docket.close({ graceMs: 0 });
  });
});
