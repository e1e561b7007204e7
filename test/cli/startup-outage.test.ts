/**
 * Issue 11, finding 5: `docket worker` and `docket serve` begun while
 * PostgreSQL is down wait for it (one warning, retries with the outage
 * backoff) and start when it answers; meanwhile `serve`'s API answers 503
 * NOT_STARTED ("starting: store unreachable"). `--fail-fast` exits 6 at once,
 * as before; `docket doctor` still exits non-zero at once. A real throwaway
 * PostgreSQL is started, stopped (its port refuses connections), and started
 * again while the processes wait. No wall-clock bound: every step waits for a
 * condition.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresAvailability, startPostgresServer, uniqueSchema, type PostgresServer } from '../support/postgres/postgres-server.js';
import { BIN, ensureBuilt, FIXTURE_CONFIG, runDocket, runJson, signalGroup, spawnLong, tempDir, until, type LongRunning } from './helpers.js';

const availability = postgresAvailability();
if (!availability.available) {
  process.stderr.write(`\n*** SKIPPING CLI start-up outage tests: ${availability.reason}. Set DOCKET_REQUIRE_SERVERS=1 to make this a failure. ***\n\n`);
}

let server: PostgresServer | null = null;
let tmp: ReturnType<typeof tempDir>;
const running: LongRunning[] = [];

beforeAll(async () => {
  if (!availability.available) return;
  tmp = tempDir();
  await ensureBuilt();
  server = await startPostgresServer();
  await server.stopServer();
}, 180_000);

afterAll(async () => {
  for (const p of running.splice(0)) {
    signalGroup(p, 'SIGKILL');
    await p.exited;
  }
  await server?.stop();
  tmp?.cleanup();
});

interface LogLine {
  level: number;
  msg: string;
  url?: string;
}

const logLines = (p: LongRunning): LogLine[] =>
  p
    .stderr()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine);

describe.skipIf(!availability.available)('processes started while PostgreSQL is down', () => {
  it('docket doctor and docket worker --fail-fast exit non-zero at once', async () => {
    const store = `${server!.url}?schema=${uniqueSchema('ff')}`;
    const doctor = await runDocket(['--store', store, '--no-config', 'doctor'], { cwd: tmp.dir });
    expect(doctor.code).not.toBe(0);
    const worker = await runDocket(['--store', store, '--config', FIXTURE_CONFIG, '--log-format', 'json', 'worker', '--fail-fast'], { cwd: tmp.dir });
    expect(worker.code).toBe(6);
    expect(worker.stderr).toMatch(/unreachable/);
  });

  it('docket worker and docket serve wait, log once, answer 503 "starting" meanwhile, and run jobs once it is up', { timeout: 120_000 }, async () => {
    const store = `${server!.url}?schema=${uniqueSchema('wait')}`;
    const args = (command: string[]) => [BIN, '--store', store, '--config', FIXTURE_CONFIG, '--json', '--log-format', 'json', ...command];
    const worker = spawnLong(process.execPath, args(['worker']), { cwd: tmp.dir });
    const serve = spawnLong(process.execPath, args(['serve', '--port', '0', '--no-worker']), { cwd: tmp.dir });
    running.push(worker, serve);

    const warned = (p: LongRunning) => logLines(p).some((l) => l.level === 40 && /store unreachable/.test(l.msg));
    await until(async () => warned(worker) && warned(serve), 'both processes to warn that the store is unreachable', 60_000);

    // serve listens before its Docket has started: the API says "starting"
    let url = '';
    await until(async () => (url = logLines(serve).find((l) => l.msg === 'admin API listening')?.url ?? '') !== '', 'serve to listen', 60_000);
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(503);
    expect(health.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(health.headers.get('retry-after')).toBe('5');
    expect(await health.json()).toMatchObject({ code: 'NOT_STARTED', detail: expect.stringMatching(/^starting: store unreachable/) });
    const list = await fetch(`${url}/api/v1/jobs`);
    expect(list.status).toBe(503);
    expect(worker.stdout()).not.toMatch(/"event":"ready"/);

    await server!.startServer();
    await worker.waitFor(/"event":"ready"/, 60_000);
    await serve.waitFor(/"event":"ready"/, 60_000);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);

    // one warning per process for the whole outage, one line when it ended
    for (const p of [worker, serve]) {
      const lines = logLines(p).filter((l) => /store unreachable|store reachable again/.test(l.msg));
      expect(lines.filter((l) => l.level === 40)).toHaveLength(1);
      expect(lines.filter((l) => l.level === 30 && /docket: store reachable again/.test(l.msg))).toHaveLength(1);
    }

    // a job enqueued through the API runs on the worker that waited
    const enqueued = await fetch(`${url}/api/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'echo', data: { hello: 'pg' } }) });
    expect(enqueued.status).toBe(201);
    const { id } = (await enqueued.json()) as { id: string };
    await until(async () => ((await (await fetch(`${url}/api/v1/jobs/${id}`)).json()) as { state: string }).state === 'completed', 'the job to complete', 60_000);
    const shown = await runJson<{ state: string; result: unknown }>(['--store', store, '--config', FIXTURE_CONFIG, 'jobs', 'show', id], { cwd: tmp.dir });
    expect(shown.json).toMatchObject({ state: 'completed', result: { hello: 'pg' } });

    signalGroup(worker, 'SIGTERM');
    signalGroup(serve, 'SIGTERM');
    expect(await worker.exited).toBe(0);
    expect(await serve.exited).toBe(0);
  });

  it('SIGTERM while waiting for the store stops at once with exit 0', { timeout: 60_000 }, async () => {
    await server!.stopServer();
    try {
      const store = `${server!.url}?schema=${uniqueSchema('sig')}`;
      const worker = spawnLong(process.execPath, [BIN, '--store', store, '--config', FIXTURE_CONFIG, '--json', '--log-format', 'json', 'worker'], { cwd: tmp.dir });
      running.push(worker);
      await until(async () => logLines(worker).some((l) => l.level === 40 && /store unreachable/.test(l.msg)), 'the warning', 60_000);
      signalGroup(worker, 'SIGTERM');
      expect(await worker.exited).toBe(0);
      expect(worker.stdout()).toMatch(/"event":"stopped".*"started":false/);
    } finally {
      await server!.startServer();
    }
  });
});
