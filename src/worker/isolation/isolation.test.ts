import { afterEach, describe, expect, it } from 'vitest';
import type { Docket } from '../../docket.js';
import type { DocketEventName, DocketEvents } from '../../runtime/events.js';
import { createTestDocket } from '../../testing/index.js';

const HANDLERS = new URL('./test-support/handlers.ts', import.meta.url);
const dockets: Docket[] = [];
afterEach(async () => {
  for (const d of dockets.splice(0)) await d.close({ graceMs: 0 });
});

function setup(options: Parameters<typeof createTestDocket>[0] = {}) {
  const docket = createTestDocket(options);
  dockets.push(docket);
  return docket;
}

function collect<E extends DocketEventName>(docket: Docket, event: E): Array<DocketEvents[E]> {
  const seen: Array<DocketEvents[E]> = [];
  docket.on(event, (e) => seen.push(e));
  return seen;
}

describe.each(['thread', 'process'] as const)('isolation %s', (isolation) => {
  it('progress, logs and results cross the boundary intact; usage is reported', async () => {
    const docket = setup({ worker: { progressFlushMs: 0 } });
    const completed = collect(docket, 'job:completed');
    const progress = collect(docket, 'job:progress');
    const echo = docket.defineJob('echo', { isolation, handler: { module: HANDLERS, export: 'echo', options: { region: 'eu' } } });
    await docket.start();
    const job = await echo.enqueue({ value: { n: 1, s: 'ü', list: [1, null] } });
    const result = await job.wait({ timeoutMs: 20_000 });
    expect(result).toMatchObject({ value: { n: 1, s: 'ü', list: [1, null] }, attempt: 1, jobId: job.id, options: { region: 'eu' }, at: '1970-01-01T00:00:00.000Z' });
    if (isolation === 'process') expect((result as { threadOrProcess: number }).threadOrProcess).not.toBe(process.pid);
    expect((await docket.getJob(job.id))?.progress).toMatchObject({ current: 2, total: 2, message: 'done' });
    expect(progress.at(-1)?.progress).toMatchObject({ current: 2, total: 2 });
    expect(completed[0]!.usage).toMatchObject({ isolation });
    expect(completed[0]!.usage!.cpuMs).toBeGreaterThanOrEqual(0);
    expect(completed[0]!.usage!.peakHeapBytes).toBeGreaterThan(0);
  });
});
