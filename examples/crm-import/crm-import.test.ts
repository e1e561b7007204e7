import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from 'docket/sqlite';
import { drain, ManualClock } from 'docket/testing';
import { startExample } from '../test-support/spawn-example.js';
import { createCrmApp, IMPORT_JOB_NAME } from './app.js';
import { loadConfig } from './config.js';
import { DEFAULT_EMBASSIES, startStandInSite, type StandInSite } from './stand-in-site.js';
import { generateWorkbook, type GeneratedWorkbook } from './workbook.js';

const KEY = 'dev-admin-key';
let dir: string;
let site: StandInSite;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'crm-import-'));
  site = await startStandInSite();
});
afterAll(async () => {
  await site.close();
  rmSync(dir, { recursive: true, force: true });
});

interface ImportStatus {
  job: { id: string; state: string; result: { rows: number; inserted: number; duplicates: number; invalid: number; batches: number } } | null;
  taskRun: { status: string; last_error: string | null; updated_at: string } | null;
  contacts: number;
}

async function importStatus(url: string): Promise<ImportStatus> {
  for (let i = 0; i < 600; i++) {
    const status = (await (await fetch(`${url}/jobs/import_crm_data_v1`)).json()) as ImportStatus;
    if (status.job && ['completed', 'failed'].includes(status.job.state)) return status;
    await sleep(50);
  }
  throw new Error('the import did not finish');
}

describe('crm-import, started with npm run', { timeout: 180_000 }, () => {
  it('imports the workbook exactly once across three restarts, in batches, without duplicates; monitors the page; 4xx on bad input', async () => {
    const dataDir = join(dir, 'npm');
    const xlsx = join(dir, 'export.xlsx');
    const made: GeneratedWorkbook = await generateWorkbook(xlsx, { rows: 1_500, seed: 7 });
    expect(made.duplicates).toBeGreaterThan(20);
    expect(made.invalid).toBeGreaterThan(3);
    const env = { DATA_DIR: dataDir, CRM_XLSX: xlsx, CRM_BATCH_SIZE: '200', MOFA_URL: site.url, ADMIN_API_KEY: KEY, PORT: '0' };
    const unique = made.rows - made.duplicates - made.invalid;
    let firstRun: ImportStatus | null = null;

    for (let start = 1; start <= 3; start++) {
      const app = await startExample('crm-import', env);
      try {
        const status = await importStatus(app.url);
        expect(status.job!.state).toBe('completed');
        expect(status.job!.result).toEqual({ file: xlsx, rows: 1_500, inserted: unique, duplicates: made.duplicates, invalid: made.invalid, batches: Math.ceil((made.rows - made.invalid) / 200) });
        expect(status.contacts).toBe(unique);
        expect(status.taskRun).toMatchObject({ status: 'completed', last_error: null });
        if (start === 1) firstRun = status;
        else {
          expect(app.output()).toContain('import_crm_data_v1 already ran; not enqueued again');
          expect(status.job!.id).toBe(firstRun!.job!.id);
          expect(status.taskRun!.updated_at).toBe(firstRun!.taskRun!.updated_at); // untouched: the handler never ran again
        }
        const runs = (await (await fetch(`${app.url}/jobs/task-runs`)).json()) as unknown[];
        expect(runs).toHaveLength(1);

        if (start === 3) {
          // The monitored page: a baseline, then a change (one embassy added, one moved).
          const run = () => fetch(`${app.url}/jobs/mofa_monitoring/run`, { method: 'POST', headers: { 'x-api-key': KEY } });
          const waitMonitor = async (jobId: string) => {
            for (let i = 0; i < 600; i++) {
              const m = (await (await fetch(`${app.url}/jobs/mofa_monitoring`)).json()) as { lastJob: { id: string; state: string; result: Record<string, unknown> }; changes: { added: string[]; modified: string[] }[] };
              if (m.lastJob?.id === jobId && m.lastJob.state === 'completed') return m;
              await sleep(50);
            }
            throw new Error('monitoring did not finish');
          };
          const first = await run();
          expect(first.status).toBe(202);
          expect((await waitMonitor(((await first.json()) as { jobId: string }).jobId)).lastJob.result).toMatchObject({ baseline: true, changed: false, entries: 5 });
          site.setEmbassies([
            ...DEFAULT_EMBASSIES.map((e) => (e.country === 'Japan' ? { ...e, address: '2-1-1 Nagatacho, Chiyoda-ku' } : e)),
            { country: 'Kenya', city: 'Nairobi', address: 'Limuru Road, Gigiri', phone: '+254 20 712 0000' },
          ]);
          const second = await waitMonitor(((await (await run()).json()) as { jobId: string }).jobId);
          expect(second.lastJob.result).toMatchObject({ baseline: false, changed: true, added: ['Kenya / Nairobi'], removed: [], modified: ['Japan / Tokyo'] });
          expect(second.changes).toHaveLength(1);

          const post = (path: string, headers: Record<string, string> = { 'x-api-key': KEY }) => fetch(`${app.url}${path}`, { method: 'POST', headers });
          const bad: [string, Promise<Response>, number][] = [
            ['run the one-off again', post('/jobs/import_crm_data_v1/run'), 409],
            ['no key', post('/jobs/mofa_monitoring/run', {}), 401],
            ['wrong key', post('/jobs/mofa_monitoring/run', { 'x-api-key': 'not-the-key' }), 401],
            ['unknown job', post('/jobs/import_crm_data_v2/run'), 404],
            ['unknown job (GET)', fetch(`${app.url}/jobs/nope`), 404],
            ['unknown route', fetch(`${app.url}/api/nope`), 404],
          ];
          for (const [what, response, status] of bad) {
            const r = await response;
            expect(r.status, what).toBe(status);
            expect(typeof ((await r.json()) as { detail: unknown }).detail, what).toBe('string');
          }
        }
      } finally {
        await app.stop();
      }
    }

    // In docket's store: one import job ever, completed.
    const store = new SqliteStore({ path: join(dataDir, 'docket.db') });
    try {
      expect((await store.listJobs({ name: IMPORT_JOB_NAME, limit: 10 })).jobs.map((j) => j.state)).toEqual(['completed']);
    } finally {
      await store.close();
    }
  });
});

describe('crm-import with a ManualClock', { timeout: 60_000 }, () => {
  it('a failed import is recorded with its last error and runs again at the next start (releaseKeyOnFailure)', async () => {
    const clock = new ManualClock(Date.parse('2026-03-01T10:00:00Z'));
    const config = { ...loadConfig({ DATA_DIR: join(dir, 'failing'), CRM_XLSX: join(dir, 'failing', 'missing.xlsx') }), mofaUrl: site.url };
    let app = createCrmApp(config, { clock, logger: false });
    const failed = new Promise((resolve) => app.docket.once('job:failed', resolve));
    await app.start();
    await drain(app.docket);
    for (let i = 0; i < 2; i++) {
      await clock.advance(60_000); // past the retry backoff
      await drain(app.docket);
    }
    await failed;
    expect(app.db.taskRuns()).toEqual([expect.objectContaining({ name: 'import_crm_data', idempotency_key: 'import_crm_data_v1', status: 'failed', last_error: expect.stringMatching(/missing\.xlsx/) })]);
    await app.close();

    await generateWorkbook(config.crmXlsx, { rows: 100 });
    app = createCrmApp(config, { clock, logger: false });
    expect((await app.start()).created).toBe(true);
    await drain(app.docket);
    expect(app.db.taskRuns()).toEqual([expect.objectContaining({ status: 'completed', last_error: null })]);
    expect(app.db.contactCount()).toBeGreaterThan(80);
    await app.close();
    app = createCrmApp(config, { clock, logger: false });
    expect((await app.start()).created).toBe(false);
    await app.close();
  });

  it('mofa_monitoring runs daily at 03:00 in TASK_TIMEZONE, late within TASK_MISFIRE_GRACE, and is skipped beyond it', async () => {
    const clock = new ManualClock(Date.parse('2026-03-01T22:58:00Z')); // 02:58 in Dubai (UTC+4)
    const dataDir = join(dir, 'schedule');
    const config = { ...loadConfig({ DATA_DIR: dataDir, CRM_XLSX: join(dataDir, 'export.xlsx'), TASK_TIMEZONE: 'Asia/Dubai', TASK_MISFIRE_GRACE: '300', TASK_MAX_INSTANCES: '1' }), mofaUrl: site.url };
    mkdirSync(dataDir, { recursive: true });
    await generateWorkbook(config.crmXlsx, { rows: 50 });
    let app = createCrmApp(config, { clock, logger: false });
    const settle = async () => {
      await clock.advance(0);
      for (let i = 0; i < 5; i++) await app.docket.scheduler.idle();
      await drain(app.docket);
    };
    const fires = async () => (await app.docket.listJobs({ name: 'mofa_monitoring', order: 'asc' })).jobs.map((j) => [j.fireTime!.toISOString(), j.state]);
    await app.start();
    await settle();
    const schedule = await app.docket.getSchedule('mofa_monitoring');
    expect(schedule).toMatchObject({ description: 'cron 0 3 * * * (Asia/Dubai)', policy: { maxRunning: 1, misfireGraceMs: 300_000, catchUp: 'skip' } });

    await clock.advance(2 * 60_000); // 03:00 Dubai
    await settle();
    expect(await fires()).toEqual([['2026-03-01T23:00:00.000Z', 'completed']]);
    await app.close();

    // Down over the next 03:00, back 4 minutes later: within the 300 s grace, it runs (late).
    await clock.set(Date.parse('2026-03-02T23:04:00Z'));
    app = createCrmApp(config, { clock, logger: false });
    await app.start();
    await settle();
    expect(await fires()).toEqual([
      ['2026-03-01T23:00:00.000Z', 'completed'],
      ['2026-03-02T23:00:00.000Z', 'completed'],
    ]);
    await app.close();

    // Back 10 minutes late: beyond the grace, skipped and recorded as a misfire.
    await clock.set(Date.parse('2026-03-03T23:10:00Z'));
    app = createCrmApp(config, { clock, logger: false });
    await app.start();
    await settle();
    expect(await fires()).toHaveLength(2);
    expect((await app.docket.getSchedule('mofa_monitoring'))!.lastMissed).toMatchObject({ kind: 'misfire', fireAt: new Date('2026-03-03T23:00:00Z') });
    await app.close();
  });
});
