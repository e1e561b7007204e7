import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../core/clock.js';
import { drain } from '../../../testing/index.js';
import { ADMIN_KEY, READ_KEY, adminFixture, type Fixture } from '../../test-support/admin-fixture.js';
import { SseReader } from '../../test-support/sse-reader.js';

let f: Fixture;
let readers: SseReader[] = [];
afterEach(async () => {
  for (const r of readers) await r.cancel().catch(() => undefined);
  readers = [];
  await f?.close();
});

async function connect(query = '', key: string = READ_KEY): Promise<{ res: Response; sse: SseReader }> {
  const res = await f.app.request(`/api/v1/events${query}`, { headers: { 'x-api-key': key } });
  const sse = new SseReader(res.body!);
  readers.push(sse);
  return { res, sse };
}

describe('GET /api/v1/events', () => {
  it('starts with a retry hint and a counts snapshot, then streams job events of this process', async () => {
    f = adminFixture();
    f.docket.defineJob('work', { queue: 'w', async handler(_d, ctx) {
      await ctx.progress(1, 2);
      return 'secret-result';
    } });
    await f.docket.enqueue('work', {});
    const { res, sse } = await connect();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('cache-control')).toContain('no-cache');
    expect((await sse.next())?.retry).toBe('3000');
    const counts = await sse.until('counts');
    expect(JSON.parse(counts!.data!)).toMatchObject({ queues: [{ queue: 'w', counts: { waiting: 1 } }] });

    const enq = await f.call('POST', '/api/v1/jobs', { body: { name: 'work', data: { n: 2 } }, key: ADMIN_KEY });
    const enqueued = JSON.parse((await sse.until('job:enqueued'))!.data!);
    expect(enqueued).toEqual({ jobId: enq.body.id, name: 'work', queue: 'w', created: true });

    await drain(f.docket);
    expect(JSON.parse((await sse.until('job:started'))!.data!)).toMatchObject({ name: 'work', attempt: 1 });
    const completed = await sse.until('job:completed');
    const payload = JSON.parse(completed!.data!);
    expect(payload).toMatchObject({ name: 'work', queue: 'w', attempt: 1 });
    expect(payload).not.toHaveProperty('result');
    expect(completed!.id).toMatch(/^\d+$/);
  });

  it('filters job events by queue, name and job id', async () => {
    f = adminFixture();
    f.docket.defineJob('a', { queue: 'qa', async handler() {} });
    f.docket.defineJob('b', { queue: 'qb', async handler() {} });
    const byQueue = (await connect('?queue=qb')).sse;
    const byId = (await connect('?jobId=2')).sse;
    await f.docket.enqueue('a', {}); // id 1
    await f.docket.enqueue('b', {}); // id 2
    for (const sse of [byQueue, byId]) {
      const e = JSON.parse((await sse.until('job:enqueued'))!.data!);
      expect(e).toMatchObject({ jobId: '2', name: 'b' });
    }
    expect((await f.call('GET', '/api/v1/events?queue=bad%20name')).status).toBe(400);
  });

  it('sends heartbeats and periodic counts on the clock, and ends streams when the app closes', async () => {
    const clock = new ManualClock();
    f = adminFixture({ app: { clock, events: { heartbeatMs: 1_000, snapshotMs: 5_000 } } });
    const { sse } = await connect();
    await sse.until('counts');
    await clock.advance(1_000);
    expect((await sse.until(':'))!.comments).toEqual(['heartbeat']);
    await clock.advance(4_000);
    expect(await sse.until('counts')).not.toBeNull();
    f.app.close();
    expect(await sse.until('never')).toBeNull();
    expect(sse.ended).toBe(true);
  });

  it('drops a client that does not read, after maxQueued unread messages', async () => {
    f = adminFixture({ app: { events: { maxQueued: 5 } } });
    f.docket.defineJob('x', { async handler() {} });
    const { sse } = await connect();
    for (let i = 0; i < 20; i++) await f.docket.enqueue('x', { i });
    const dropped = await sse.until('dropped');
    expect(JSON.parse(dropped!.data!).reason).toContain('5 unread');
    expect(await sse.next()).toBeNull();
  });

  it('needs a key', async () => {
    f = adminFixture();
    expect((await f.call('GET', '/api/v1/events', { key: null })).status).toBe(401);
  });
});
