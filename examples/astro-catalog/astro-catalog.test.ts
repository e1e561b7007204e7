import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getRequestListener } from '@hono/node-server';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_POLL_INTERVAL_MS, type DocketEvents } from 'docket';
import { SqliteStore } from 'docket/sqlite';
import { drain, ManualClock } from 'docket/testing';
import { createAstroCatalog, type AstroCatalog } from './app.js';
import { CometCatalog } from './catalog.js';
import { cobsStandIn, STAND_IN_COMETS } from './cobs-stand-in.js';
import { QUEUE } from './jobs.js';
import { startExample, until, type RunningExample } from '../test-support/spawn-example.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const KEY = 'astro-catalog-test-key-0123456789';
/** Active comets of the stand-in at magnitude 15 or brighter. */
const BRIGHTER_THAN_15 = STAND_IN_COMETS.filter((c) => c.is_active && Number(c.current_mag) <= 15).length;

describe('astro-catalog, started with npm run example:astro-catalog', () => {
  const dir = mkdtempSync(join(tmpdir(), 'astro-catalog-'));
  let app: RunningExample;
  let store: SqliteStore;
  beforeAll(async () => {
    app = await startExample('astro-catalog', { PORT: '0', ADMIN_API_KEY: KEY, DOCKET_DB: join(dir, 'jobs.db'), CATALOG_DB: join(dir, 'catalog.db') });
    store = new SqliteStore({ path: join(dir, 'jobs.db') }); // a second connection, to check the API against
  });
  afterAll(async () => {
    await store?.close();
    await app?.stop();
    expect(app.output()).toContain('astro-catalog stopped'); // a graceful shutdown on SIGTERM
    rmSync(dir, { recursive: true, force: true });
  });

  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${app.url}${path}`, {
      method,
      headers: { 'x-api-key': KEY, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as Json };
  };
  const trigger = async (body: Json) => {
    const res = await call('POST', '/api/admin/jobs/trigger', body);
    expect(res).toMatchObject({ status: 202, body: { success: true, jobId: expect.any(String), jobType: body.jobType } });
    return res.body.jobId as string;
  };
  const finished = (id: string) => until(async () => {
    const { body } = await call('GET', `/api/admin/jobs/status?jobId=${id}`);
    return ['completed', 'failed'].includes(body.job?.state) ? (body.job as Json) : null;
  }, `job ${id} to finish`);

  it('answers bad input with a clear 4xx, never a 500', async () => {
    const T = '/api/admin/jobs/trigger';
    const S = '/api/admin/jobs/status';
    const cases: Array<[string, string, unknown, Record<string, string>, number]> = [
      ['POST', T, { jobType: 'update-comets' }, { 'x-api-key': '' }, 401],
      ['POST', T, { jobType: 'update-comets' }, { 'x-api-key': 'wrong-key' }, 401],
      ['GET', S, undefined, { 'x-api-key': '', authorization: 'Bearer wrong-key' }, 401],
      ['POST', T, '{"jobType": "update-', {}, 400],
      ['POST', T, '["update-comets"]', {}, 400],
      ['POST', T, 'jobType=update-comets', { 'content-type': 'text/plain' }, 415],
      ['POST', T, {}, {}, 400],
      ['POST', T, { jobType: 'update-planets' }, {}, 400],
      ['POST', T, { jobType: 7 }, {}, 400],
      ['POST', T, { jobType: 'update-comets', maxMagnitude: 'bright' }, {}, 400],
      ['POST', T, { jobType: 'update-comets', daysOld: 3 }, {}, 400],
      ['POST', T, { jobType: 'cleanup-old-data', daysOld: 0 }, {}, 400],
      ['POST', T, { jobType: 'cleanup-old-data', daysOld: 1.5 }, {}, 400],
      ['POST', T, { jobType: 'cleanup-old-data', padding: 'x'.repeat(70_000) }, {}, 413],
      ['GET', `${S}?jobId=`, undefined, {}, 400],
      ['GET', `${S}?jobId=..%2Fetc`, undefined, {}, 400],
      ['GET', `${S}?job=1`, undefined, {}, 400],
      ['GET', `${S}?jobId=999999`, undefined, {}, 404],
      ['GET', T, undefined, {}, 404],
      ['DELETE', S, undefined, {}, 404],
    ];
    for (const [method, path, body, headers, expected] of cases) {
      const res = await call(method, path, body, headers);
      expect({ method, path, status: res.status }).toEqual({ method, path, status: expected });
      expect(res.body.error, `${method} ${path}`).toEqual(expect.any(String));
    }
    const unknown = await call('POST', T, { jobType: 'update-planets' });
    expect(unknown.body.error).toBe('Unknown jobType "update-planets": use one of update-comets, schedule-recurring-comets, cleanup-old-data');
  });

  it('update-comets fetches every page of the COBS stand-in into the catalog', async () => {
    const job = await finished(await trigger({ jobType: 'update-comets', maxMagnitude: 15 }));
    expect(job).toMatchObject({
      name: 'update-comets', state: 'completed', progress: 100, attemptsMade: 1, maxAttempts: 3, data: { maxMagnitude: 15 },
      returnvalue: { success: true, fetched: BRIGHTER_THAN_15, added: BRIGHTER_THAN_15, updated: 0, brightest: { name: 'C/2024 E1 (Wierzchos)', magnitude: 9.2 } },
    });
    const catalog = new CometCatalog(join(dir, 'catalog.db'));
    try {
      expect(catalog.list().map((c) => c.name)).toEqual(['C/2024 E1', 'C/2025 A6', '24P', 'C/2025 R2', '3I', 'C/2025 K1', '210P', '29P']);
    } finally {
      catalog.close();
    }
  });

  it('schedule-recurring-comets stores update-comets for every Sunday at midnight', async () => {
    const job = await finished(await trigger({ jobType: 'schedule-recurring-comets' }));
    expect(job.returnvalue).toMatchObject({ success: true, schedule: 'update-comets-weekly', pattern: '0 0 * * 0', tz: 'UTC' });
    const runs = (job.returnvalue.nextRuns as string[]).map((r) => new Date(r));
    expect(runs).toHaveLength(3);
    for (const [i, run] of runs.entries()) {
      expect([run.getUTCDay(), run.getUTCHours(), run.getUTCMinutes()]).toEqual([0, 0, 0]);
      if (i > 0) expect(run.getTime() - runs[i - 1]!.getTime()).toBe(7 * 24 * 3_600_000);
    }
    expect(runs[0]!.getTime()).toBeGreaterThan(Date.now());
    expect(await store.getSchedule!({ name: 'update-comets-weekly' })).toMatchObject({ nextFireAt: runs[0], removedAt: null, paused: false });
  });

  it('cleanup-old-data keeps comets seen within daysOld', async () => {
    const job = await finished(await trigger({ jobType: 'cleanup-old-data', daysOld: 30 }));
    expect(job.returnvalue).toMatchObject({ success: true, daysOld: 30, deleted: 0, remaining: BRIGHTER_THAN_15 });
  });

  it('reports queue status whose counts match the store, with the recent jobs newest first', async () => {
    const { status, body } = await call('GET', '/api/admin/jobs/status');
    expect(status).toBe(200);
    const [counts] = await store.countJobs({ queue: QUEUE });
    const { waiting, active, completed, failed, delayed } = counts!.counts;
    expect(body.queueStats).toEqual({ waiting, active, completed, failed, delayed });
    expect(body.queueStats).toEqual({ waiting: 0, active: 0, completed: 3, failed: 0, delayed: 0 });
    expect(body.recentJobs.map((j: Json) => j.name)).toEqual(['cleanup-old-data', 'schedule-recurring-comets', 'update-comets']);
  });
});

describe('astro-catalog on a fake clock', () => {
  const WEDNESDAY_NOON = Date.parse('2026-03-04T12:00:00Z');
  const DAY = 24 * 3_600_000;
  let dir: string;
  let clock: ManualClock;
  let cobs: { url: string; down: boolean; close(): Promise<void> };
  let astro: AstroCatalog;

  /** The app on files in `dir` (again: a restart), on the fake clock. */
  const open = async () => {
    astro = createAstroCatalog({
      store: new SqliteStore({ path: join(dir, 'jobs.db'), clock }),
      catalogPath: join(dir, 'catalog.db'),
      cobsApiUrl: () => cobs.url,
      clock,
      logger: false,
    });
    await astro.docket.start();
    return astro;
  };
  /** Stops the app and moves the clock (nothing runs meanwhile): time passing while it is down. */
  const restartAt = async (t: string) => {
    await astro.close(0);
    expect(clock.pendingTimers()).toBe(0);
    await clock.set(Date.parse(t));
    return open();
  };
  const trigger = async (body: Json) => {
    const res = await astro.app.request('/api/admin/jobs/trigger', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.status).toBe(202);
    return ((await res.json()) as Json).jobId as string;
  };
  const status = async (query = '') => (await (await astro.app.request(`/api/admin/jobs/status${query}`)).json()) as Json;
  const events = <E extends keyof DocketEvents>(name: E) => {
    const seen: Array<DocketEvents[E]> = [];
    astro.docket.on(name, (e) => seen.push(e));
    return seen;
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'astro-catalog-clock-'));
    clock = new ManualClock(WEDNESDAY_NOON);
    cobs = await cobsServer();
    await open();
  });
  afterEach(async () => {
    await astro.close(0);
    await cobs.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('retries a failing update 3 times in all: after 5 s, then 25 s, then fails', async () => {
    cobs.down = true;
    const retrying = events('job:retrying');
    const failed = events('job:failed');
    const id = await trigger({ jobType: 'update-comets' });
    await until(async () => retrying.length === 1, 'the first failure');
    expect(retrying[0]).toMatchObject({ attempt: 1, delayMs: 5_000 });
    expect((await status(`?jobId=${id}`)).job).toMatchObject({ state: 'delayed', attemptsMade: 1, nextAttemptAt: WEDNESDAY_NOON + 5_000, failedReason: expect.stringContaining('COBS answered 503') });

    await clock.advance(5_000 + DEFAULT_POLL_INTERVAL_MS); // a worker without other work looks for due jobs every poll interval
    await until(async () => retrying.length === 2, 'the second failure');
    expect(retrying[1]).toMatchObject({ attempt: 2, delayMs: 25_000 });

    await clock.advance(25_000 + DEFAULT_POLL_INTERVAL_MS);
    await until(async () => failed.length === 1, 'the third failure');
    expect((await status(`?jobId=${id}`)).job).toMatchObject({ state: 'failed', attemptsMade: 3, maxAttempts: 3 });
  });

  it('keeps exactly the last 100 completed and 50 failed jobs, and the status counts match the store', async () => {
    const triggerMany = async (n: number, body: Json) => Promise.all(Array.from({ length: n }, () => trigger(body)));
    const failAll = async (ids: string[]) => {
      await drain(astro.docket); // first attempts
      for (const wait of [5_000, 25_000]) {
        await clock.advance(wait + DEFAULT_POLL_INTERVAL_MS);
        await drain(astro.docket);
      }
      for (const id of ids) expect((await astro.docket.getJob(id))?.state).toBe('failed');
    };
    // older jobs first, a second apart from the newer ones, so "the last N" is unambiguous
    const oldCompleted = await triggerMany(30, { jobType: 'cleanup-old-data' });
    await drain(astro.docket);
    cobs.down = true;
    const oldFailed = await triggerMany(10, { jobType: 'update-comets' });
    await failAll(oldFailed);
    await clock.advance(1_000);
    const newFailed = await triggerMany(50, { jobType: 'update-comets' });
    await failAll(newFailed);
    cobs.down = false;
    const newCompleted = await triggerMany(100, { jobType: 'cleanup-old-data' });
    await drain(astro.docket);

    await clock.advance(60_000); // the pruner's interval
    await until(async () => (await status()).queueStats.completed === 100, 'the pruner');
    const { queueStats, recentJobs } = await status();
    const [counts] = await astro.docket.store.countJobs({ queue: QUEUE });
    const { waiting, active, completed, failed, delayed } = counts!.counts;
    expect(queueStats).toEqual({ waiting, active, completed, failed, delayed });
    expect(queueStats).toEqual({ waiting: 0, active: 0, completed: 100, failed: 50, delayed: 0 });
    const kept = new Set((await astro.docket.listJobs({ queue: QUEUE, limit: 1_000 })).jobs.map((j) => j.id));
    expect([...newCompleted, ...newFailed].every((id) => kept.has(id))).toBe(true);
    expect([...oldCompleted, ...oldFailed].some((id) => kept.has(id))).toBe(false);
    expect(recentJobs).toHaveLength(20);
    expect(recentJobs[0].id).toBe(newCompleted.at(-1));
  });

  it('schedule-recurring-comets: update-comets then runs every Sunday at midnight, across restarts', async () => {
    const id = await trigger({ jobType: 'schedule-recurring-comets', maxMagnitude: 10 });
    await drain(astro.docket);
    expect((await status(`?jobId=${id}`)).job.returnvalue.nextRuns).toEqual(['2026-03-08T00:00:00.000Z', '2026-03-15T00:00:00.000Z', '2026-03-22T00:00:00.000Z']);

    // Saturday night: the process restarts (it declares no schedules, so the stored one stays) and midnight comes
    await restartAt('2026-03-07T23:59:00Z');
    await clock.advance(60_000);
    await astro.docket.scheduler.idle();
    await drain(astro.docket);
    const [sunday] = (await astro.docket.listJobs({ scheduleName: 'update-comets-weekly' })).jobs;
    expect(sunday).toMatchObject({ name: 'update-comets', state: 'completed', fireTime: new Date('2026-03-08T00:00:00Z'), data: { maxMagnitude: 10 } });
    expect((sunday!.result as Json).fetched).toBe(2); // two active comets brighter than 10
    expect(astro.catalog.count()).toBe(2);

    // a week later, again
    await restartAt('2026-03-14T23:59:00Z');
    await clock.advance(60_000);
    await astro.docket.scheduler.idle();
    await drain(astro.docket);
    const fires = (await astro.docket.listJobs({ scheduleName: 'update-comets-weekly', order: 'asc' })).jobs.map((j) => j.fireTime?.toISOString());
    expect(fires).toEqual(['2026-03-08T00:00:00.000Z', '2026-03-15T00:00:00.000Z']);
    expect(await astro.docket.getSchedule('update-comets-weekly')).toMatchObject({ removedAt: null });
  });

  it('cleanup-old-data removes the comets no update has seen for daysOld days', async () => {
    await trigger({ jobType: 'update-comets', maxMagnitude: 15 });
    await drain(astro.docket);
    expect(astro.catalog.count()).toBe(BRIGHTER_THAN_15);
    // 40 days later only the two brightest are still fetched
    await restartAt(new Date(WEDNESDAY_NOON + 40 * DAY).toISOString());
    await trigger({ jobType: 'update-comets', maxMagnitude: 10 });
    await drain(astro.docket);
    const id = await trigger({ jobType: 'cleanup-old-data', daysOld: 30 });
    await drain(astro.docket);
    expect((await status(`?jobId=${id}`)).job.returnvalue).toMatchObject({ daysOld: 30, deleted: BRIGHTER_THAN_15 - 2, remaining: 2 });
    expect(astro.catalog.list().map((c) => c.name)).toEqual(['C/2024 E1', 'C/2025 A6']);
  });
});

/** The COBS stand-in on its own port, with a switch that makes it answer 503. */
async function cobsServer(): Promise<{ url: string; down: boolean; close(): Promise<void> }> {
  const listener = getRequestListener(cobsStandIn().fetch);
  const state = { url: '', down: false, close: async () => {} };
  const server: Server = createServer((req, res) => (state.down ? void res.writeHead(503).end('Service Unavailable') : void listener(req, res)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () => new Promise((r) => server.close(() => r()));
  return state;
}

describe('astro-catalog split as the seed runs it: web (RUN_WORKER=false) and npm run example:astro-catalog:worker', () => {
  const dir = mkdtempSync(join(tmpdir(), 'astro-split-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the web process only enqueues; the worker-only process runs the job and stops gracefully on SIGTERM', { timeout: 120_000 }, async () => {
    const files = { DOCKET_DB: join(dir, 'jobs.db'), CATALOG_DB: join(dir, 'catalog.db') };
    const web = await startExample('astro-catalog', { PORT: '0', ADMIN_API_KEY: KEY, RUN_WORKER: 'false', ...files });
    let worker: RunningExample | null = null;
    try {
      expect(web.output()).toContain('worker: off (RUN_WORKER=false)');
      const headers = { 'x-api-key': KEY, 'content-type': 'application/json' };
      const res = await fetch(`${web.url}/api/admin/jobs/trigger`, { method: 'POST', headers, body: JSON.stringify({ jobType: 'update-comets', maxMagnitude: 15 }) });
      expect(res.status).toBe(202);
      const { jobId } = (await res.json()) as { jobId: string };
      const state = async () => ((await (await fetch(`${web.url}/api/admin/jobs/status?jobId=${jobId}`, { headers })).json()) as { job: { state: string } }).job.state;
      await new Promise((r) => setTimeout(r, 1_000));
      expect(await state()).toBe('waiting'); // nobody runs it in the web process

      worker = await startExample('astro-catalog:worker', { ...files, COBS_API_URL: `${web.url}/stand-in/cobs/api` }, { ready: /astro-catalog worker started/ });
      await until(async () => (await state()) === 'completed' || null, 'the worker process to complete the job');
      await worker.stop(); // SIGTERM to the process group, as systemd and PM2 send it
      expect(worker.output()).toContain('astro-catalog worker stopped');
    } finally {
      await worker?.stop();
      await web.stop();
    }
  });
});
