import parsePrometheus from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminFixtureOn, type Fixture } from '../../src/admin/test-support/admin-fixture.js';
import type { Store } from '../../src/store/store.js';
import { PostgresStore } from '../../src/stores/postgres/postgres-store.js';
import { postgresAvailability, startPostgresServer, uniqueSchema, type PostgresServer } from '../support/postgres/postgres-server.js';
import { createMemoryStore, createTestDocket } from '../../src/testing/index.js';

/**
 * Issue 10: `active` means its handler is running, everywhere a user looks.
 * A worker with 2 slots and a claim-ahead buffer runs 20 slow jobs; while
 * they run, the API's counts, its active list, the library's list,
 * /metrics and the statistics are sampled again and again: never more than
 * 2 active, and every job any of them calls active has a handler that
 * started. The buffered jobs show as waiting, reserved.
 */

const CONCURRENCY = 2;
const JOBS = 20;

const pg = postgresAvailability();
let server: PostgresServer | null = null;
beforeAll(async () => {
  if (pg.available) server = await startPostgresServer();
}, 60_000);
afterAll(async () => {
  await server?.stop();
});
if (!pg.available) process.stderr.write(`\n*** SKIPPING the PostgreSQL half of active-means-running.test.ts: ${pg.reason} ***\n\n`);

const stores: Array<[string, () => Store]> = [
  ['sqlite', () => createMemoryStore()],
  ...(pg.available ? [['postgres', () => new PostgresStore({ connectionString: server!.url, schema: uniqueSchema('act'), maxConnections: 6 })] as [string, () => Store]] : []),
];

describe.each(stores)('active means running (%s)', (_name, makeStore) => {
  it('with 2 slots and 20 slow jobs, no view ever shows more than 2 active, nor an active job whose handler has not started', async () => {
    const store = makeStore();
    await store.migrate();
    const docket = createTestDocket({ store, worker: { concurrency: CONCURRENCY, pollIntervalMs: 50 } });
    const f: Fixture = adminFixtureOn(docket);
    const started = new Set<string>();
    const gates = new Map<string, () => void>();
    const warm = docket.defineJob('warm', { queue: 'slow', handler: async () => 'warm' });
    const slow = docket.defineJob('slow', {
      queue: 'slow',
      handler: async (_: null, ctx) => {
        started.add(ctx.jobId);
        await new Promise<void>((resolve) => gates.set(ctx.jobId, resolve));
        return 'done';
      },
    });
    try {
      await docket.start();
      // A quick job first: the worker has seen a short run time, so it claims ahead (the buffer this is about).
      await (await warm.enqueue(null)).wait();
      const jobs = await docket.enqueueMany(Array.from({ length: JOBS }, () => ({ name: slow.name, data: null })));
      let samples = 0;
      let sawReserved = false;

      const sample = async (): Promise<void> => {
        const seenActive: string[][] = [];
        const counts: number[] = [];

        const queues = await f.call('GET', '/api/v1/queues');
        expect(queues.status).toBe(200);
        counts.push(queues.body.queues.find((q: { queue: string }) => q.queue === 'slow')?.counts.active ?? 0);

        const listed = await f.call('GET', '/api/v1/jobs?state=active&limit=100');
        expect(listed.status).toBe(200);
        seenActive.push(listed.body.jobs.map((j: { id: string }) => j.id));

        const lib = await docket.listJobs({ state: 'active', limit: 100 });
        seenActive.push(lib.jobs.map((j) => j.id));

        const waiting = await docket.listJobs({ state: 'waiting', queue: 'slow', limit: 100 });
        if (waiting.jobs.some((j) => j.reserved)) sawReserved = true;
        for (const j of waiting.jobs) if (j.reserved) expect(j.workerId).toBe(docket.worker.id);

        const stats = await f.call('GET', '/api/v1/stats');
        expect(stats.status).toBe(200);
        counts.push(stats.body.totals.active);

        const metrics = await f.call('GET', '/metrics');
        expect(metrics.status).toBe(200);
        const families = parsePrometheus(metrics.text) as Array<{ name: string; metrics: Array<{ value: string; labels?: Record<string, string> }> }>;
        const depth = families.find((m) => m.name === 'docket_queue_jobs')!;
        counts.push(Number(depth.metrics.find((m) => m.labels?.queue === 'slow' && m.labels?.state === 'active')?.value ?? 0));
        const running = families.find((m) => m.name === 'docket_active_jobs');
        counts.push(Number(running?.metrics.find((m) => m.labels?.queue === 'slow')?.value ?? 0));

        for (const n of counts) expect(n).toBeLessThanOrEqual(CONCURRENCY);
        for (const ids of seenActive) {
          expect(ids.length).toBeLessThanOrEqual(CONCURRENCY);
          for (const id of ids) expect(started.has(id), `job ${id} is shown active but its handler never started`).toBe(true);
        }
        samples++;
      };

      // Release the jobs one at a time, sampling before and right after each release (while the freed
      // slot is taken by a buffered job and its start is on its way to the store).
      const done = new Set<string>();
      while (done.size < JOBS) {
        await sample();
        const open = [...gates.keys()].find((id) => !done.has(id));
        if (open === undefined) {
          await new Promise((r) => setTimeout(r, 5));
          continue;
        }
        gates.get(open)!();
        done.add(open);
        await sample();
      }
      await Promise.all(jobs.map((j) => j.wait()));
      await sample();
      expect(samples).toBeGreaterThan(2 * JOBS);
      expect(sawReserved, 'the worker held reserved jobs in its buffer at some point').toBe(true);
      expect(started.size).toBe(JOBS);
      for (const j of await docket.store.getJobs({ jobIds: jobs.map((x) => x.id) })) expect(j).toMatchObject({ state: 'completed', attempt: 1 });
    } finally {
      for (const g of gates.values()) g();
      await f.close();
    }
  });
});
