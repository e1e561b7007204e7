import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_POLL_INTERVAL_MS, type DocketEvents } from 'docket';
import { SqliteStore } from 'docket/sqlite';
import { drain, ManualClock } from 'docket/testing';
import { apiScenarios } from './api-scenarios.js';
import { openDatabase, type PipelineDatabase } from './database.js';
import { createLeadPipeline, type LeadPipeline } from './pipeline.js';
import { startExample, until, type RunningExample } from '../test-support/spawn-example.js';

const API_KEY = 'lead-pipeline-test-key-0123456789';

describe('lead-pipeline on SQLite, started with npm run example:lead-pipeline', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lead-pipeline-'));
  let app: RunningExample;
  let store: SqliteStore;
  beforeAll(async () => {
    app = await startExample('lead-pipeline', { PORT: '0', API_KEY, DOCKET_DB: join(dir, 'pipeline.db') });
    store = new SqliteStore({ path: join(dir, 'pipeline.db') });
  });
  afterAll(async () => {
    await store?.close();
    await app?.stop();
    expect(app.output()).toContain('lead-pipeline stopped'); // a graceful shutdown on SIGTERM
    rmSync(dir, { recursive: true, force: true });
  });

  apiScenarios({ url: () => app.url, apiKey: API_KEY, store: () => store });
});

describe('lead-pipeline on a fake clock', () => {
  const SUNDAY_2AM = Date.parse('2026-03-08T02:00:00Z');
  let dir: string;
  let clock: ManualClock;
  let db: PipelineDatabase;
  let pipeline: LeadPipeline;
  let site: FlakySite;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lead-pipeline-clock-'));
    clock = new ManualClock(SUNDAY_2AM);
    db = await openDatabase({ sqlitePath: join(dir, 'pipeline.db'), clock });
    pipeline = createLeadPipeline({ store: db.store, clock, logger: false, searchUrl: () => `${site.url}/search`, optimizeDatabase: () => db.optimize() });
    site = await flakySite();
    await pipeline.docket.start();
  });
  afterEach(async () => {
    await pipeline.docket.close({ graceMs: 0 });
    await site.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const post = async (path: string, body: unknown) => {
    const res = await pipeline.app.request(`/api/v1/jobs${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.status).toBe(202);
    return ((await res.json()) as { job_id: string }).job_id;
  };
  const status = async (id: string) => (await (await pipeline.app.request(`/api/v1/jobs/status/${id}`)).json()) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const events = <E extends keyof DocketEvents>(name: E) => {
    const seen: Array<DocketEvents[E]> = [];
    pipeline.docket.on(name, (e) => seen.push(e));
    return seen;
  };

  it('retries a site that answers 503 with exponential backoff and jitter, then succeeds', async () => {
    site.failures = 2;
    const retrying = events('job:retrying');
    const id = await post('/scrape/company', { company_url: `${site.url}/acme` });

    await until(async () => retrying.length === 1, 'the first retry');
    const first = await status(id);
    expect(first).toMatchObject({ status: 'retry', attempts: 1, error: { category: 'network', message: expect.stringContaining('answered 503') } });
    expect(Date.parse(first.next_attempt_at) - clock.now()).toBe(retrying[0]!.delayMs);
    expect(retrying[0]!.delayMs).toBeGreaterThanOrEqual(2_000 * 0.7); // 2 s ± 30 %
    expect(retrying[0]!.delayMs).toBeLessThanOrEqual(2_000 * 1.3);

    // a worker without other work looks for due jobs every poll interval
    await clock.advance(retrying[0]!.delayMs + DEFAULT_POLL_INTERVAL_MS);
    await until(async () => retrying.length === 2, 'the second retry');
    expect(retrying[1]!.delayMs).toBeGreaterThanOrEqual(4_000 * 0.7); // doubled
    expect(retrying[1]!.delayMs).toBeLessThanOrEqual(4_000 * 1.3);

    await clock.advance(retrying[1]!.delayMs + DEFAULT_POLL_INTERVAL_MS);
    await until(async () => (await status(id)).status === 'completed', 'the third attempt');
    expect(await status(id)).toMatchObject({ attempts: 3, result: { name: 'Acme Widgets' } });
    expect(site.requests).toBe(3);
  });

  it('does not retry a page that answers 404 (a data error)', async () => {
    const id = await post('/scrape/company', { company_url: `${site.url}/missing` });
    await until(async () => (await status(id)).status === 'failed', 'the job to fail');
    expect(await status(id)).toMatchObject({ attempts: 1, error: { category: 'data', message: expect.stringContaining('answered 404') } });
  });

  it('cancels a pending job at once', async () => {
    await pipeline.docket.pauseQueue('scraping'); // hold it in the queue
    const id = await post('/scrape/company', { company_url: `${site.url}/acme` });
    expect(await status(id)).toMatchObject({ status: 'pending' });
    const res = await pipeline.app.request(`/api/v1/jobs/cancel/${id}`, { method: 'DELETE' });
    expect([res.status, await res.json()]).toEqual([200, { job_id: id, status: 'cancelled' }]);
    await pipeline.docket.resumeQueue('scraping');
    await drain(pipeline.docket);
    expect(await status(id)).toMatchObject({ status: 'cancelled', attempts: 0 });
    expect(site.requests).toBe(0);
  });

  it('runs the maintenance schedules: health every 30 min, statistics hourly, cleanup daily, optimisation weekly', async () => {
    const nextFires = async () => Object.fromEntries((await pipeline.docket.listSchedules({ nextFires: 1 })).map((s) => [s.name, s.nextFires[0]!.toISOString()]));
    expect(await nextFires()).toEqual({
      'health-check': '2026-03-08T02:30:00.000Z',
      'statistics-update': '2026-03-08T03:00:00.000Z',
      'job-cleanup': '2026-03-08T03:00:00.000Z',
      'database-optimization': '2026-03-08T04:00:00.000Z', // Sundays
    });
    // Sunday 02:00 to 04:00, half an hour at a time, letting each fire's job run
    for (let i = 0; i < 4; i++) {
      await clock.advance(1_800_000);
      await pipeline.docket.scheduler.idle();
      await drain(pipeline.docket);
    }
    const bySchedule: Record<string, number> = {};
    for (const job of (await pipeline.docket.listJobs({ limit: 100 })).jobs) {
      expect(job.state).toBe('completed');
      bySchedule[job.scheduleName!] = (bySchedule[job.scheduleName!] ?? 0) + 1;
    }
    expect(bySchedule).toEqual({ 'health-check': 4, 'statistics-update': 2, 'job-cleanup': 1, 'database-optimization': 1 });
    expect(await nextFires()).toEqual({
      'health-check': '2026-03-08T04:30:00.000Z',
      'statistics-update': '2026-03-08T05:00:00.000Z',
      'job-cleanup': '2026-03-09T03:00:00.000Z',
      'database-optimization': '2026-03-15T04:00:00.000Z',
    });
    // /statistics shows the latest hourly snapshot
    const stats = (await (await pipeline.app.request('/api/v1/jobs/statistics')).json()) as { hourly_snapshot: { at: string; statistics: { by_status: object } } };
    expect(stats.hourly_snapshot).toMatchObject({ at: '2026-03-08T04:00:00.000Z', statistics: { by_status: expect.any(Object) } });
  });
});

interface FlakySite {
  url: string;
  /** How many more requests answer 503. */
  failures: number;
  requests: number;
  close(): Promise<void>;
}

/** /acme answers 503 `failures` times, then a company page; anything else is 404. */
async function flakySite(): Promise<FlakySite> {
  const site = { url: '', failures: 0, requests: 0, close: async () => {} };
  const server: Server = createServer((req, res) => {
    site.requests++;
    if (req.url !== '/acme') return void res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>Not found</h1>');
    if (site.failures > 0) {
      site.failures--;
      return void res.writeHead(503, { 'content-type': 'text/html' }).end('<h1>Service Unavailable</h1>');
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<html><head><title>Acme Widgets | Home</title></head><body><a href="mailto:sales@acme.example">Mail</a></body></html>');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  site.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  site.close = () => new Promise((r) => server.close(() => r()));
  return site;
}
