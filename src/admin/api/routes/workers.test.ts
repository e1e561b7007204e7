import { afterEach, describe, expect, it } from 'vitest';
import { hostname } from 'node:os';
import { READ_KEY, adminFixture, type Fixture } from '../../test-support/admin-fixture.js';

let f: Fixture;
afterEach(async () => {
  await f?.close();
});

describe('GET /api/v1/workers', () => {
  it('lists alive workers with host, pid, queues, concurrency, active jobs and last heartbeat', async () => {
    f = adminFixture({ docket: { worker: { concurrency: 3, pollIntervalMs: 20 } } });
    f.docket.defineJob('noop', { queue: 'q1', async handler() {} });
    expect((await f.call('GET', '/api/v1/workers', { key: READ_KEY })).body.workers).toEqual([]);
    await f.docket.start();
    const r = await f.call('GET', '/api/v1/workers', { key: READ_KEY });
    expect(r.status).toBe(200);
    expect(r.body.workers).toHaveLength(1);
    expect(r.body.workers[0]).toMatchObject({ host: hostname(), pid: process.pid, queues: ['q1'], concurrency: 3, activeJobs: 0 });
    expect(Date.parse(r.body.workers[0].lastHeartbeatAt)).not.toBeNaN();
    await f.docket.stop();
    expect((await f.call('GET', '/api/v1/workers')).body.workers).toEqual([]);
  });

  it('validates aliveWithinMs and needs a key', async () => {
    f = adminFixture();
    expect((await f.call('GET', '/api/v1/workers?aliveWithinMs=-1')).body.code).toBe('INVALID_OPTION');
    expect((await f.call('GET', '/api/v1/workers', { key: null })).status).toBe(401);
  });
});
