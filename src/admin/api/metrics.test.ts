/**
 * Gauges keep their series while idle (issue 12: `docket_active_jobs`
 * vanished between jobs, because every scrape reset it and only set the
 * queues with a running job). A known label set reports 0, never disappears.
 * Scraped over HTTP (GET /metrics) before, during and after a job; every
 * wait is for an event.
 */
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterEach, describe, expect, it } from 'vitest';
import { adminFixture, nextEvent, type Fixture } from '../test-support/admin-fixture.js';

let f: Fixture;
afterEach(async () => {
  await f?.close();
});

async function samples(name: string): Promise<Array<{ labels?: Record<string, string>; value: string }>> {
  const r = await f.call('GET', '/metrics');
  expect(r.status).toBe(200);
  const text = r.text;
  const family = parsePrometheusTextFormat(text).find((m) => m.name === name);
  expect(family, `${name} missing from:\n${text}`).toBeDefined();
  return family!.metrics as Array<{ labels?: Record<string, string>; value: string }>;
}

describe('gauges while idle', () => {
  it('docket_active_jobs reports 0 before, 1 during and 0 after a job, per queue', async () => {
    f = adminFixture();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    f.docket.defineJob('hold', { queue: 'work', async handler() {
      await gate;
    } });
    f.docket.defineJob('other', { queue: 'spare', async handler() {} });
    // a queue the store knows (a job waits there) has a series before anything ran in this process
    await f.docket.enqueue('other', {}, { delayMs: 3_600_000 });
    expect(await samples('docket_active_jobs')).toEqual([{ labels: { queue: 'spare' }, value: '0' }]);

    const started = nextEvent(f.docket, 'job:started');
    await f.docket.start();
    await f.docket.enqueue('hold', {});
    await started;
    expect(await samples('docket_active_jobs')).toEqual(
      expect.arrayContaining([
        { labels: { queue: 'work' }, value: '1' },
        { labels: { queue: 'spare' }, value: '0' },
      ]),
    );

    const completed = nextEvent(f.docket, 'job:completed');
    release();
    await completed;
    const after = await samples('docket_active_jobs');
    expect(after).toEqual(
      expect.arrayContaining([
        { labels: { queue: 'work' }, value: '0' },
        { labels: { queue: 'spare' }, value: '0' },
      ]),
    );
    expect(after).toHaveLength(2);
  });

  it('docket_queue_jobs keeps a queue whose jobs were all deleted, at 0 in every state', async () => {
    f = adminFixture();
    f.docket.defineJob('once', { queue: 'brief', async handler() {} });
    const { id } = await f.docket.enqueue('once', {}, { delayMs: 3_600_000 });
    expect(await samples('docket_queue_jobs')).toContainEqual({ labels: { queue: 'brief', state: 'delayed' }, value: '1' });
    await f.docket.jobs.delete(id);
    const depth = (await samples('docket_queue_jobs')).filter((s) => s.labels?.queue === 'brief');
    expect(depth.length).toBeGreaterThan(0);
    for (const s of depth) expect(s.value).toBe('0');
  });

  it('while the store does not answer, docket_store_up is 0 and queue depth is absent (unknown, not 0)', async () => {
    f = adminFixture();
    f.docket.defineJob('once', { queue: 'brief', async handler() {} });
    await f.docket.enqueue('once', {}, { delayMs: 3_600_000 });
    await samples('docket_queue_jobs');
    await f.docket.store.close();
    expect(await samples('docket_store_up')).toEqual([{ value: '0' }]);
    const text = (await f.call('GET', '/metrics')).text;
    expect(text).not.toMatch(/^docket_queue_jobs\{/m);
    // the process's own gauge needs no store: still there
    expect(text).toMatch(/^docket_active_jobs\{queue="brief"\} 0$/m);
  });
});
