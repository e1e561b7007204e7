import { afterEach, describe, expect, it } from 'vitest';
import { PermanentError } from '../../../core/errors.js';
import { drain } from '../../../testing/index.js';
import { READ_KEY, adminFixture, type Fixture } from '../../test-support/admin-fixture.js';

let f: Fixture;
afterEach(async () => {
  await f?.close();
});

describe('GET /api/v1/stats', () => {
  it('gives totals, throughput and failure rate per window, and run time per job name', async () => {
    f = adminFixture();
    f.docket.defineJob('ok', { queue: 'a', async handler() {} });
    f.docket.defineJob('bad', { queue: 'b', async handler() {
      throw new PermanentError('no');
    } });
    for (let i = 0; i < 3; i++) await f.docket.enqueue('ok', { i });
    await f.docket.enqueue('bad', {});
    await f.docket.enqueue('ok', {}, { delayMs: 3_600_000 });
    await drain(f.docket);

    const r = await f.call('GET', '/api/v1/stats', { key: READ_KEY });
    expect(r.status).toBe(200);
    expect(r.body.totals).toEqual({ waiting: 0, delayed: 1, active: 0, completed: 3, failed: 1, cancelled: 0 });
    expect(r.body.windows.map((w: { windowMs: number }) => w.windowMs)).toEqual([60_000, 900_000, 3_600_000]);
    for (const w of r.body.windows) {
      expect(w).toMatchObject({ completed: 3, failed: 1, cancelled: 0, failureRate: 0.25 });
      expect(w.throughputPerMinute).toBeCloseTo(4 / (w.windowMs / 60_000), 10);
    }
    expect(r.body.byName).toEqual([
      { name: 'bad', completed: 0, failed: 1, meanRunMs: expect.any(Number), p95RunMs: expect.any(Number) },
      { name: 'ok', completed: 3, failed: 0, meanRunMs: expect.any(Number), p95RunMs: expect.any(Number) },
    ]);

    const onlyA = await f.call('GET', '/api/v1/stats?queue=a');
    expect(onlyA.body.totals).toMatchObject({ completed: 3, failed: 0, delayed: 1 });
    expect(onlyA.body.windows[0]).toMatchObject({ completed: 3, failed: 0, failureRate: 0 });
    expect(onlyA.body.byName.map((n: { name: string }) => n.name)).toEqual(['ok']);
  });

  it('answers a null failure rate when nothing finished, 400 for a bad queue and 401 without a key', async () => {
    f = adminFixture();
    const r = await f.call('GET', '/api/v1/stats');
    expect(r.body.windows[0]).toEqual({ windowMs: 60_000, completed: 0, failed: 0, cancelled: 0, throughputPerMinute: 0, failureRate: null });
    expect(r.body.byName).toEqual([]);
    expect((await f.call('GET', '/api/v1/stats?queue=a%20b')).body.code).toBe('INVALID_NAME');
    expect((await f.call('GET', '/api/v1/stats', { key: null })).status).toBe(401);
  });
});
