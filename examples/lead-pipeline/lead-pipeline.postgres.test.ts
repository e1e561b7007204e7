import { afterAll, beforeAll, expect, it } from 'vitest';
import { PostgresStore } from 'docket/postgres';
import { describePostgres } from '../../src/stores/postgres/test-support/pg-test.js';
import { apiScenarios } from './api-scenarios.js';
import { startExample, type RunningExample } from './test-support.js';

const API_KEY = 'lead-pipeline-test-key-0123456789';

// A throwaway PostgreSQL server per file; skipped loudly without its binaries (a failure with DOCKET_REQUIRE_SERVERS=1).
describePostgres('lead-pipeline on PostgreSQL, started with DATABASE_URL=… npm run example:lead-pipeline', (pg) => {
  let app: RunningExample;
  let store: PostgresStore;
  beforeAll(async () => {
    app = await startExample('example:lead-pipeline', { PORT: '0', API_KEY, DATABASE_URL: pg.url() });
    store = new PostgresStore({ connectionString: pg.url() });
    await store.migrate(); // already done by the example: a no-op that checks the schema
  });
  afterAll(async () => {
    await store?.close();
    await app?.stop();
    expect(app.output()).toContain('lead-pipeline stopped');
  });

  it('runs on PostgreSQL, with the maintenance schedules only where the store holds schedules', async () => {
    expect(app.output()).toContain('store: postgres (DATABASE_URL)');
    // the PostgreSQL store does not implement the schedule operations yet: the example says so and runs without them
    const canSchedule = typeof store.claimFire === 'function';
    expect(app.output()).toContain(canSchedule ? 'schedules: on' : 'schedules: off');
  });

  apiScenarios({ url: () => app.url, apiKey: API_KEY, store: () => store });
});
