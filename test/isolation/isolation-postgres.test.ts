import { afterEach, expect, it } from 'vitest';
import type { Docket } from '../../src/docket.js';
import { describePostgres } from '../support/postgres/pg-test.js';
import { createTestDocket } from '../../src/testing/index.js';

// Isolation is worker-side: the same on every store. One smoke test on PostgreSQL.
const HANDLERS = new URL('../../src/worker/isolation/test-support/handlers.ts', import.meta.url);
const dockets: Docket[] = [];
afterEach(async () => {
  for (const d of dockets.splice(0)) await d.close({ graceMs: 0 });
});

describePostgres('isolation on PostgreSQL', (pg) => {
  it('a thread job completes with progress and result; a process job that exits fails that attempt only', async () => {
    const store = await pg.newStore();
    const docket = createTestDocket({ store, worker: { progressFlushMs: 0 } });
    dockets.push(docket);
    const echo = docket.defineJob('echo', { isolation: 'thread', handler: { module: HANDLERS, export: 'echo' } });
    const exit = docket.defineJob('exit', { isolation: 'process', maxAttempts: 1, handler: { module: HANDLERS, export: 'exitOne' } });
    await docket.start();
    const [a, b] = await Promise.all([echo.enqueue({ value: 'pg' }), exit.enqueue(null)]);
    expect(await a.wait({ timeoutMs: 60_000 })).toMatchObject({ value: 'pg' });
    await expect(b.wait({ timeoutMs: 60_000 })).rejects.toThrow(/exited with code 1/);
    expect(await docket.getJob(a.id)).toMatchObject({ state: 'completed', progress: { current: 2, total: 2 } });
    expect(await docket.getJob(b.id)).toMatchObject({ state: 'failed', error: { code: 'HANDLER_CRASHED' } });
  });
});
