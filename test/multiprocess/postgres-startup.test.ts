import { afterAll, describe, expect, it } from 'vitest';
import { Docket } from '../../src/index.js';
import { PostgresStore } from '../../src/stores/postgres/index.js';
import { postgresAvailability, startPostgresServer, uniqueSchema, type PostgresServer } from '../support/postgres/postgres-server.js';

/**
 * Issue 11, finding 5, at the library level: `Docket.start()` against a
 * PostgreSQL port where no server listens waits (instead of rejecting with
 * "unreachable during migrate"), and starts when the server comes up; the
 * job enqueued then runs. `failFast: true` rejects at once. Conditions, not
 * wall-clock bounds. (The CLI side is test/cli/startup-outage.test.ts.)
 */
const availability = postgresAvailability();
if (!availability.available) {
  process.stderr.write(`\n*** SKIPPING PostgreSQL start-up test: ${availability.reason}. Set DOCKET_REQUIRE_SERVERS=1 to make this a failure. ***\n\n`);
}

let server: PostgresServer | null = null;
const dockets: Docket[] = [];
afterAll(async () => {
  for (const d of dockets) await d.close({ graceMs: 0 }).catch(() => undefined);
  await server?.stop();
});

describe.skipIf(!availability.available)('Docket.start() while PostgreSQL is down', () => {
  it('failFast rejects at once; by default start() waits and the job runs once the server is up', { timeout: 90_000 }, async () => {
    server = await startPostgresServer();
    await server.stopServer();
    const schema = uniqueSchema('startup');

    const fast = new Docket({ store: new PostgresStore({ connectionString: server.url, schema }), logger: false, failFast: true });
    dockets.push(fast);
    await expect(fast.start()).rejects.toMatchObject({ code: 'STORE_ERROR', details: { transient: true } });

    const docket = new Docket({ store: new PostgresStore({ connectionString: server.url, schema }), logger: false, worker: { pollIntervalMs: 50 } });
    dockets.push(docket);
    const ran: unknown[] = [];
    docket.defineJob('note', { handler: (data) => void ran.push(data) });
    let started = false;
    const start = docket.start().then(() => (started = true));
    while (!docket.waitingForStore) await new Promise((r) => setTimeout(r, 20));
    expect(started).toBe(false);

    await server.startServer();
    await start;
    expect(docket.isRunning).toBe(true);
    const job = await docket.enqueue('note', { n: 1 });
    await job.wait({ timeoutMs: 60_000 });
    expect(ran).toEqual([{ n: 1 }]);
  });
});
