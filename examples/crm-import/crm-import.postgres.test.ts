// crm-import on PostgreSQL, configured as the seed configures it: POSTGRES_SERVER/PORT/USER/PASSWORD/DB,
// or DATABASE_URL (with the seed's SQLAlchemy scheme, postgresql+psycopg://). A throwaway server per file;
// skipped loudly without its binaries (a failure with DOCKET_REQUIRE_SERVERS=1).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PostgresStore } from 'docket/postgres';
import { describePostgres } from '../../test/support/postgres/pg-test.js';
import { startExample } from '../test-support/spawn-example.js';
import { IMPORT_JOB_NAME } from './app.js';
import { loadConfig } from './config.js';
import { startStandInSite, type StandInSite } from './stand-in-site.js';
import { generateWorkbook } from './workbook.js';

let dir: string;
let site: StandInSite;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'crm-import-pg-'));
  site = await startStandInSite();
});
afterAll(async () => {
  await site?.close();
  rmSync(dir, { recursive: true, force: true });
});

it('reads the seed database settings: DATABASE_URL first (SQLAlchemy scheme dropped), else POSTGRES_*', () => {
  expect(loadConfig({}).database).toBeNull();
  expect(loadConfig({ DATABASE_URL: 'postgresql+psycopg://postgres:password@localhost:5432/crm_db', POSTGRES_SERVER: 'other' }).database).toEqual({
    url: 'postgresql://postgres:password@localhost:5432/crm_db',
    from: 'DATABASE_URL',
  });
  expect(loadConfig({ POSTGRES_SERVER: 'db.internal', POSTGRES_PORT: '6543', POSTGRES_USER: 'crm', POSTGRES_PASSWORD: 'p@ss/word', POSTGRES_DB: 'crm_db' }).database).toEqual({
    url: 'postgresql://crm:p%40ss%2Fword@db.internal:6543/crm_db',
    from: 'POSTGRES_*',
  });
  expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL: must be a postgresql:\/\/ URL/);
});

describePostgres('crm-import on PostgreSQL', (pg) => {
  it('imports once on PostgreSQL set by POSTGRES_*, and a restart set by DATABASE_URL finds it done', { timeout: 180_000 }, async () => {
    const xlsx = join(dir, 'export.xlsx');
    const made = await generateWorkbook(xlsx, { rows: 300, seed: 3 });
    const common = { DATA_DIR: join(dir, 'data'), CRM_XLSX: xlsx, MOFA_URL: site.url, ADMIN_API_KEY: 'dev-admin-key', PORT: '0' };
    const settings: Array<Record<string, string>> = [
      { POSTGRES_SERVER: '127.0.0.1', POSTGRES_PORT: String(pg.server().port), POSTGRES_USER: 'postgres', POSTGRES_PASSWORD: 'unused-trust-auth', POSTGRES_DB: 'postgres' },
      { DATABASE_URL: pg.url().replace(/^postgres(ql)?:/, 'postgresql+psycopg:') },
    ];
    for (const [i, database] of settings.entries()) {
      const app = await startExample('crm-import', { ...common, ...database });
      try {
        expect(app.output()).toContain(`store: postgres (${i === 0 ? 'POSTGRES_*' : 'DATABASE_URL'})`);
        type ImportJob = { state: string; result: { inserted: number } } | null;
        let job: ImportJob = null;
        for (let n = 0; n < 600; n++) {
          job = ((await (await fetch(`${app.url}/jobs/import_crm_data_v1`)).json()) as { job: ImportJob }).job;
          if (job && ['completed', 'failed'].includes(job.state)) break;
          await sleep(50);
        }
        expect(job).toMatchObject({ state: 'completed', result: { inserted: made.rows - made.duplicates - made.invalid } });
        if (i === 1) expect(app.output()).toContain('import_crm_data_v1 already ran; not enqueued again');
      } finally {
        await app.stop();
      }
    }
    // docket's jobs and schedules live in PostgreSQL: one import job ever, and the daily monitor.
    const store = new PostgresStore({ connectionString: pg.url() });
    try {
      await store.migrate();
      expect((await store.listJobs({ name: IMPORT_JOB_NAME, limit: 10 })).jobs.map((j) => j.state)).toEqual(['completed']);
      expect((await store.listSchedules()).map((s) => s.name)).toContain('mofa_monitoring');
    } finally {
      await store.close();
    }
  });
});
