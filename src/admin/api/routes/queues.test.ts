import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_RETENTION } from '../../../core/queue-policy.js';
import { READ_KEY, adminFixture, type Fixture } from '../../test-support/admin-fixture.js';

let f: Fixture;
afterEach(async () => {
  await f?.close();
});

describe('queues routes', () => {
  it('lists queues with counts by state, paused flag and configured concurrency', async () => {
    f = adminFixture({ docket: { queues: { emails: { concurrency: 2 } } } });
    f.docket.defineJob('send-email', { queue: 'emails', async handler() {} });
    await f.docket.enqueue('send-email', {});
    await f.docket.enqueue('send-email', {}, { delayMs: 60_000 });
    await f.docket.enqueue('send-email', {}, { queue: 'other' });
    const r = await f.call('GET', '/api/v1/queues', { key: READ_KEY });
    expect(r.status).toBe(200);
    const effectivePolicy = { paused: false, retention: DEFAULT_RETENTION };
    expect(r.body.queues).toEqual([
      { queue: 'emails', paused: false, concurrency: 2, counts: { waiting: 1, delayed: 1, active: 0, completed: 0, failed: 0, cancelled: 0 }, policy: {}, effectivePolicy },
      { queue: 'other', paused: false, concurrency: null, counts: { waiting: 1, delayed: 0, active: 0, completed: 0, failed: 0, cancelled: 0 }, policy: {}, effectivePolicy },
    ]);
  });

  it('pauses and resumes a queue (admin only); a queue with no jobs answers zero counts', async () => {
    f = adminFixture();
    expect((await f.call('POST', '/api/v1/queues/emails/pause', { key: READ_KEY })).status).toBe(403);
    expect((await f.call('POST', '/api/v1/queues/emails/pause', { key: null })).status).toBe(401);
    const paused = await f.call('POST', '/api/v1/queues/emails/pause');
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({ queue: 'emails', paused: true, counts: { waiting: 0 } });
    expect((await f.call('GET', '/api/v1/queues/emails', { key: READ_KEY })).body.paused).toBe(true);
    expect((await f.call('GET', '/api/v1/queues')).body.queues).toEqual([expect.objectContaining({ queue: 'emails', paused: true })]);
    const resumed = await f.call('POST', '/api/v1/queues/emails/resume');
    expect(resumed.body.paused).toBe(false);
    expect((await f.call('GET', '/api/v1/queues/nothing-here')).body).toMatchObject({ queue: 'nothing-here', paused: false, concurrency: null });
  });

  it('PATCH /queues/{queue} changes the policy as a merge patch (admin only); GET shows it and what applies', async () => {
    f = adminFixture();
    const patch = (body: unknown, key?: string | null) => f.call('PATCH', '/api/v1/queues/emails', { body, ...(key === undefined ? {} : { key }) });
    expect((await patch({ retention: { completed: { maxCount: 5 } } }, READ_KEY)).status).toBe(403);
    expect((await patch({ retention: { completed: { maxCount: 5 } } }, null)).status).toBe(401);
    const set = await patch({ retention: { completed: { maxCount: 5 }, failed: { maxAgeMs: 'unlimited' } } });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({
      queue: 'emails',
      paused: false,
      policy: { retention: { completed: { maxCount: 5 }, failed: { maxAgeMs: 'unlimited' } } },
      effectivePolicy: { paused: false, retention: { completed: { maxCount: 5, maxAgeMs: DEFAULT_RETENTION.completed.maxAgeMs }, failed: { maxAgeMs: null } } },
    });
    // only the given keys change; null clears back to the default; paused is a policy key too
    const next = await patch({ paused: true, retention: { completed: { maxCount: null } } });
    expect(next.body.policy).toEqual({ paused: true, retention: { failed: { maxAgeMs: 'unlimited' } } });
    expect(next.body.paused).toBe(true);
    expect((await f.call('GET', '/api/v1/queues/emails', { key: READ_KEY })).body.policy).toEqual(next.body.policy);
    // what GET shows as policy can be sent back as is
    expect((await patch(next.body.policy)).body.policy).toEqual(next.body.policy);
  });

  it('PATCH answers 400 INVALID_OPTION naming the field for a bad policy, and changes nothing', async () => {
    f = adminFixture();
    await f.call('PATCH', '/api/v1/queues/emails', { body: { retention: { completed: { maxCount: 5 } } } });
    for (const [body, field] of [
      [{ retention: { completed: { maxCount: -1 } } }, 'retention.completed.maxCount'],
      [{ retention: { complete: { maxCount: 1 } } }, 'complete'],
      [{ concurrency: 2 }, 'concurrency'],
    ] as const) {
      const r = await f.call('PATCH', '/api/v1/queues/emails', { body });
      expect(r.status).toBe(400);
      expect(r.body.code).toBe('INVALID_OPTION');
      expect(`${String(r.body.field)} ${String(r.body.detail)}`).toContain(field); // an unknown key is named in the detail
    }
    expect((await f.call('GET', '/api/v1/queues/emails')).body.policy).toEqual({ retention: { completed: { maxCount: 5 } } });
  });

  it('answers 400 INVALID_NAME for a bad queue name', async () => {
    f = adminFixture();
    for (const [method, path] of [['GET', '/api/v1/queues/-bad'], ['POST', '/api/v1/queues/a%20b/pause']] as const) {
      const r = await f.call(method, path);
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ code: 'INVALID_NAME', field: 'queue' });
    }
  });
});
