import { afterAll, beforeAll, expect, it } from 'vitest';
import { PostgresStore } from 'docket/postgres';
import { describePostgres } from '../../test/support/postgres/pg-test.js';
import { apiScenarios } from './api-scenarios.js';
import { startExample, type RunningExample } from '../test-support/spawn-example.js';

const API_KEY = 'lead-pipeline-test-key-0123456789';

// A throwaway PostgreSQL server per file; skipped loudly without its binaries (a failure with DOCKET_REQUIRE_SERVERS=1).
describePostgres('lead-pipeline on PostgreSQL, started with DATABASE_URL=… npm run example:lead-pipeline', (pg) => {
  let app: RunningExample;
  let store: PostgresStore;
  beforeAll(async () => {
    app = await startExample('lead-pipeline', { PORT: '0', API_KEY, DATABASE_URL: pg.url() });
    store = new PostgresStore({ connectionString: pg.url() });
    await store.migrate(); // already done by the example: a no-op that checks the schema
  });
  afterAll(async () => {
    await store?.close();
    await app?.stop();
    expect(app.output()).toContain('lead-pipeline stopped');
  });

  it('runs on PostgreSQL and stores the maintenance schedules there', async () => {
    expect(app.output()).toContain('store: postgres (DATABASE_URL)');
    const schedules = await store.listSchedules();
    expect(schedules.map((s) => [s.name, s.removedAt, s.paused]).sort()).toEqual([
      ['database-optimization', null, false],
      ['health-check', null, false],
      ['job-cleanup', null, false],
      ['statistics-update', null, false],
    ]);
    const now = Date.now();
    const next = Object.fromEntries(schedules.map((s) => [s.name, s.nextFireAt!.getTime()]));
    expect(next['health-check']! - now).toBeLessThanOrEqual(30 * 60_000); // every 30 minutes
    expect(next['statistics-update']! - now).toBeLessThanOrEqual(60 * 60_000); // hourly
    expect(new Date(next['database-optimization']!).getUTCDay()).toBe(0); // Sundays
  });

  apiScenarios({ url: () => app.url, apiKey: API_KEY, store: () => store });
});
