import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from 'docket/sqlite';
import { drain, ManualClock } from 'docket/testing';
import { startExample, type RunningExample } from '../test-support/spawn-example.js';
import { createEtlApp } from './app.js';
import { loadConfig } from './config.js';

const KEY = 'dev-admin-key';
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'etl-heatmap-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('etl-heatmap, started with npm run', { timeout: 120_000 }, () => {
  let app: RunningExample;
  afterEach(async () => {
    await app?.stop();
  });

  it('POST /admin/run-jobs runs ETL then heatmap and answers in the seed shape; bad input gets a 4xx', async () => {
    const dataDir = join(dir, 'npm');
    app = await startExample('etl-heatmap', { DATA_DIR: dataDir, PORT: '0', ADMIN_API_KEY: KEY, HEATMAP_LEVELS: '1,2' });
    const run = async (body: string, headers: Record<string, string> = { 'x-api-key': KEY, 'content-type': 'application/json' }) => {
      const r = await fetch(`${app.url}/admin/run-jobs`, { method: 'POST', headers, body });
      return { status: r.status, body: (await r.json()) as Record<string, unknown> };
    };
    const today = new Date().toISOString().slice(0, 10);

    // First run: the sample file the example drops (three readings of 10 today), both tasks, configured levels.
    expect(await run('{}')).toEqual({
      status: 200,
      body: {
        status: 'ok',
        results: [
          { status: 'ok', job: 'etl' },
          { status: 'ok', job: 'heatmap', results: [{ level: '1', date: today, sum: 30 }, { level: '2', date: today, sum: 30 }] },
        ],
      },
    });

    // New data for another day (one bad row is rejected); ETL alone, then that day's heatmap for one level.
    writeFileSync(join(dataDir, 'incoming', 'export-2025-11-16.csv'), 'ts,lat,lon,value\n2025-11-16T08:00:00Z,19.07,72.88,12.5\n2025-11-16T09:00:00Z,19.20,72.97,7.5\nnot-a-time,1,2,3\n');
    expect((await run('{"tasks":["etl"]}')).body).toEqual({ status: 'ok', results: [{ status: 'ok', job: 'etl' }] });
    expect((await run('{"tasks":["heatmap"],"levels":["1"],"date":"2025-11-16"}')).body).toEqual({
      status: 'ok',
      results: [{ status: 'ok', job: 'heatmap', results: [{ level: '1', date: '2025-11-16', sum: 20 }] }],
    });
    expect(existsSync(join(dataDir, 'processed', 'export-2025-11-16.csv'))).toBe(true);

    // The outcome in the stores: docket's jobs and the warehouse's tables.
    const jobs = new SqliteStore({ path: join(dataDir, 'docket.db') });
    const wh = new Database(join(dataDir, 'warehouse.db'), { readonly: true });
    try {
      const etlJobs = (await jobs.listJobs({ name: 'etl', order: 'asc', limit: 10 })).jobs;
      expect(etlJobs.map((j) => [j.state, j.result])).toEqual([
        ['completed', { files: 1, rowsLoaded: 3, rowsRejected: 0 }],
        ['completed', { files: 1, rowsLoaded: 2, rowsRejected: 1 }],
      ]);
      expect(wh.prepare("SELECT count(*) AS n, sum(value) AS total FROM readings WHERE date = '2025-11-16'").get()).toEqual({ n: 2, total: 20 });
      // Level 1 cells are 0.1°: the two Mumbai readings fall into two cells.
      expect(wh.prepare("SELECT cell_lat, cell_lon, sum FROM heatmap_cells WHERE level = 1 AND date = '2025-11-16' ORDER BY cell_lat").all()).toEqual([
        { cell_lat: 19, cell_lon: expect.closeTo(72.8, 6), sum: 12.5 },
        { cell_lat: expect.closeTo(19.2, 6), cell_lon: expect.closeTo(72.9, 6), sum: 7.5 },
      ]);
    } finally {
      await jobs.close();
      wh.close();
    }

    const json = { 'x-api-key': KEY, 'content-type': 'application/json' };
    const bad: [string, string, Record<string, string>, number][] = [
      ['no key', '{}', { 'content-type': 'application/json' }, 401],
      ['wrong key', '{}', { ...json, 'x-api-key': 'not-the-key' }, 401],
      ['malformed JSON', '{"tasks":', json, 400],
      ['unknown task', '{"tasks":["etl","reindex"]}', json, 422],
      ['empty task list', '{"tasks":[]}', json, 422],
      ['bad level', '{"levels":["x"]}', json, 422],
      ['level too deep', '{"levels":["99"]}', json, 422],
      ['bad date', '{"date":"2025-02-30"}', json, 422],
      ['date format', '{"date":"16/11/2025"}', json, 422],
      ['unknown field', '{"task":"etl"}', json, 422],
      ['array body', '["etl"]', json, 422],
      ['not JSON', 'tasks=etl', { 'x-api-key': KEY, 'content-type': 'text/plain' }, 415],
    ];
    for (const [what, body, headers, status] of bad) {
      const r = await run(body, headers);
      expect(r.status, what).toBe(status);
      expect(typeof r.body.detail, what).toBe('string');
    }
    expect((await fetch(`${app.url}/admin/run-jobs`)).status).toBe(404);
    expect(app.output()).not.toContain('request failed');
  });
});

describe('etl-heatmap schedules (ManualClock)', { timeout: 60_000 }, () => {
  it('fire every ETL_INTERVAL_MINUTES / HEATMAP_INTERVAL_MINUTES, skip a fire while one is pending, coalesce missed fires', async () => {
    const clock = new ManualClock(Date.parse('2026-01-01T00:05:00Z'));
    const config = loadConfig({ DATA_DIR: join(dir, 'clock'), ETL_INTERVAL_MINUTES: '15', HEATMAP_INTERVAL_MINUTES: '30', HEATMAP_LEVELS: '2' });
    let app = createEtlApp(config, { clock, logger: false });
    const advanceTo = async (iso: string) => {
      await clock.set(Date.parse(iso));
      for (let i = 0; i < 5; i++) await app.docket.scheduler.idle();
    };
    const fireTimes = async (schedule: string) => (await app.docket.listJobs({ scheduleName: schedule, order: 'asc', limit: 100 })).jobs.map((j) => j.fireTime!.toISOString().slice(11, 16));
    await app.start();

    await advanceTo('2026-01-01T00:15:00Z');
    await drain(app.docket);
    await advanceTo('2026-01-01T00:30:00Z');
    await drain(app.docket);
    expect(await fireTimes('run_etl_job')).toEqual(['00:15', '00:30']);
    expect(await fireTimes('run_heatmap_job')).toEqual(['00:30']);
    const [heatmapJob] = (await app.docket.listJobs({ name: 'heatmap' })).jobs;
    expect(heatmapJob).toMatchObject({ state: 'completed', result: [{ level: '2', date: '2026-01-01', sum: 0 }] });

    // max_instances=1: while an ETL job is still pending (its queue paused here), the next fire is skipped.
    await app.docket.pauseQueue('etl');
    await advanceTo('2026-01-01T00:45:00Z');
    await advanceTo('2026-01-01T01:00:00Z');
    expect(await fireTimes('run_etl_job')).toEqual(['00:15', '00:30', '00:45']);
    const etlSchedule = await app.docket.getSchedule('run_etl_job');
    expect(etlSchedule!.lastMissed).toMatchObject({ kind: 'max-running', fireAt: new Date('2026-01-01T01:00:00Z') });
    await app.docket.resumeQueue('etl');
    await drain(app.docket);

    // coalesce=True: down from 01:05 to 03:10, eight ETL fires were missed; one job runs for them.
    await app.close();
    await clock.set(Date.parse('2026-01-01T03:10:00Z'));
    app = createEtlApp(config, { clock, logger: false });
    await app.start();
    await advanceTo('2026-01-01T03:10:00Z'); // the scheduler's first pass (a zero-delay timer on the ManualClock)
    await drain(app.docket);
    expect(await fireTimes('run_etl_job')).toEqual(['00:15', '00:30', '00:45', '03:00']);
    expect(await fireTimes('run_heatmap_job')).toEqual(['00:30', '01:00', '03:00']);
    const after = await app.docket.getSchedule('run_etl_job', { recentFires: 5 });
    expect(after!.recentFires.find((f) => f.kind === 'coalesced')).toMatchObject({ count: 7, fireAt: new Date('2026-01-01T01:15:00Z'), lastFireAt: new Date('2026-01-01T02:45:00Z') });
    await app.close();
  });

  it('rejects a bad environment with the variable named', () => {
    expect(() => loadConfig({ HEATMAP_LEVELS: '1,two' })).toThrow(/HEATMAP_LEVELS/);
    expect(() => loadConfig({ ETL_INTERVAL_MINUTES: '0' })).toThrow(/ETL_INTERVAL_MINUTES/);
  });
});
