import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Docket } from '../../src/index.js';
import type { Store } from '../../src/store/store.js';
import { PostgresStore } from '../../src/stores/postgres/index.js';
import { postgresAvailability, startPostgresServer, uniqueSchema, type PostgresServer } from '../support/postgres/postgres-server.js';
import { SqliteStore } from '../../src/stores/sqlite/index.js';
import { spawnWorker, until, type WorkerProcess } from '../multiprocess/helpers.js';

/**
 * The reliability suite (issue 11): worker processes are SIGKILLed every
 * ~2 s while N jobs run (on PostgreSQL the server is also restarted once
 * mid-run with `pg_ctl restart`). `npm test` runs 1,000 jobs;
 * `npm run test:reliability` (DOCKET_RELIABILITY=long) 10,000.
 *
 * Asserted: 0 lost (every job completed), 0 left held (active or reserved),
 * and the duplicate bound. A claim only reserves a job; its attempt starts
 * when the handler does, so the jobs a dead worker held in its claim-ahead
 * buffer go back unstarted and never run twice. What may run again after a
 * kill is what had started there: (a) handlers still running, at most the
 * worker's concurrency (asserted per kill), and (b) handlers that had
 * finished whose outcome was not yet committed: a slot is freed when the
 * outcome is decided and the outcome rides with the next store round
 * (ARCHITECTURE.md "Store rounds"), so these are the outcomes decided during
 * one round trip, typically 0-concurrency. (b) depends on how fast rounds
 * commit, so it is measured and printed, not asserted against a number.
 * Printed: lost, duplicates vs bound, recovery time (kill -> the last of the
 * dead worker's jobs completed elsewhere).
 */
const LONG = process.env.DOCKET_RELIABILITY === 'long';
const JOBS = LONG ? 10_000 : 1_000;
const CONCURRENCY = 4;
const LEASE_MS = 1_000;
const KILL_EVERY_MS = 2_000;
/** Handler time: 2 workers x 4 slots at 40 ms ~ 200 jobs/s, so the short run sees a few kills, the long one ~25. */
const SLOW_MS = 40;

const dir = mkdtempSync(join(tmpdir(), 'docket-reliability-'));
const children: WorkerProcess[] = [];
let server: PostgresServer | null = null;
afterAll(async () => {
  for (const w of children) if (w.child.exitCode === null) w.child.kill('SIGKILL');
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const read = (file: string): string[] => {
  try {
    return readFileSync(file, 'utf8').split('\n');
  } catch {
    return [];
  }
};
/** Ids whose handler started in that worker (one line per execution). */
const lines = (file: string): string[] => read(file).filter((l) => /^\d+$/.test(l));
/** Ids whose handler finished there. */
const finished = (file: string): Set<string> => new Set(read(file).filter((l) => l.startsWith('done ')).map((l) => l.slice(5)));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Incarnation {
  id: string;
  out: string;
  proc: WorkerProcess;
  killedAt: number | null;
}

interface RunFigures {
  lost: number;
  kills: number;
  duplicates: number;
  bound: number;
  worstKill: number;
  /** Summed over kills: re-run jobs whose handler was mid-run at the kill, and those finished but not yet written. */
  midRun: number;
  unwritten: number;
  recoveryMs: number[];
  restartRecoveryMs: number | null;
}

async function killLoop(label: string, store: Store, env: Record<string, string>, restart?: () => Promise<void>): Promise<RunFigures> {
  const producer = new Docket({ store, logger: false, worker: { enabled: false }, maintenance: { enabled: false }, scheduler: { enabled: false } });
  producer.defineJob('mp', { handler: async () => null });
  const ids: string[] = [];
  for (let i = 0; i < JOBS; i += 1_000) ids.push(...(await producer.enqueueMany(Array.from({ length: Math.min(1_000, JOBS - i) }, (_, n) => ({ name: 'mp', data: { n: i + n } })))).map((j) => j.id));
  let seq = 0;
  const live: Incarnation[] = [];
  const all: Incarnation[] = [];
  const start = async (): Promise<Incarnation> => {
    const id = `${label}-w${seq++}`;
    const out = join(dir, `${id}.log`);
    const proc = spawnWorker({ ...env, WORKER_ID: id, MODE: 'slow', SLOW_MS: String(SLOW_MS), OUT_FILE: out, LEASE_MS: String(LEASE_MS), CONCURRENCY: String(CONCURRENCY) });
    children.push(proc);
    await proc.ready;
    const inc = { id, out, proc, killedAt: null };
    live.push(inc);
    all.push(inc);
    return inc;
  };
  await Promise.all([start(), start()]);
  const completed = async () => (await store.countJobs()).reduce((n, q) => n + q.counts.completed, 0);
  let restartRecoveryMs: number | null = null;
  let kills = 0;
  while ((await completed()) < JOBS) {
    await sleep(KILL_EVERY_MS);
    if ((await completed()) >= JOBS) break;
    const victim = live.shift()!;
    victim.proc.child.kill('SIGKILL');
    victim.killedAt = Date.now();
    await victim.proc.exited;
    kills++;
    await start();
    if (restart && kills === 1) {
      const before = await completed();
      const at = Date.now();
      await restart();
      await until(async () => (await completed().catch(() => before)) > before, 'progress after the PostgreSQL restart', 60_000, 20);
      restartRecoveryMs = Date.now() - at;
    }
  }
  await until(async () => (await completed()) >= JOBS, `${label}: every job completed`, 120_000, 50);
  const counts = (await store.countJobs()).reduce(
    (sum, q) => ({ active: sum.active + q.counts.active, waiting: sum.waiting + q.counts.waiting, failed: sum.failed + q.counts.failed }),
    { active: 0, waiting: 0, failed: 0 },
  );
  expect(counts).toEqual({ active: 0, waiting: 0, failed: 0 });

  const jobs = new Map<string, { by: string; finishedAt: number; state: string }>();
  for (let i = 0; i < ids.length; i += 1_000) {
    for (const j of await store.getJobs({ jobIds: ids.slice(i, i + 1_000) })) jobs.set(j.id, { by: (j.result as { by: string } | null)?.by ?? '', finishedAt: j.finishedAt?.getTime() ?? 0, state: j.state });
  }
  const lost = ids.filter((id) => jobs.get(id)?.state !== 'completed').length;
  const runs = new Map<string, number>();
  for (const inc of all) for (const id of lines(inc.out)) runs.set(id, (runs.get(id) ?? 0) + 1);
  const duplicates = [...runs.values()].filter((n) => n > 1).length;
  const extraRuns = [...runs.values()].reduce((s, n) => s + Math.max(0, n - 1), 0);
  // Per kill: the jobs whose handler started in the dead worker but were completed by another (they ran again).
  const recoveryMs: number[] = [];
  let worstKill = 0;
  let midRun = 0;
  let unwritten = 0;
  for (const inc of all.filter((i) => i.killedAt !== null)) {
    const reran = [...new Set(lines(inc.out))].filter((id) => jobs.get(id)?.by !== inc.id);
    const done = finished(inc.out);
    const running = reran.filter((id) => !done.has(id)).length;
    worstKill = Math.max(worstKill, reran.length);
    midRun += running;
    unwritten += reran.length - running;
    expect(running, `${inc.id}: handlers mid-run at its kill that ran again`).toBeLessThanOrEqual(CONCURRENCY);
    if (reran.length > 0) recoveryMs.push(Math.max(...reran.map((id) => jobs.get(id)!.finishedAt)) - inc.killedAt!);
  }
  const bound = kills * CONCURRENCY;
  expect(lost).toBe(0);
  // Every extra run is one of a killed worker's started jobs (a job never runs twice otherwise).
  expect(extraRuns).toBe(midRun + unwritten);
  for (const inc of live) {
    inc.proc.child.kill('SIGTERM');
    await inc.proc.exited;
  }
  await producer.close({ graceMs: 0 });
  const figures = { lost, kills, duplicates, bound, worstKill, midRun, unwritten, recoveryMs, restartRecoveryMs };
  const r = recoveryMs.length > 0 ? `${Math.min(...recoveryMs)}-${Math.max(...recoveryMs)} ms (lease ${LEASE_MS} ms)` : 'n/a';
  console.log(
    `reliability ${label}: ${JOBS} jobs, ${kills} SIGKILLs, lost ${lost}, left held 0, duplicates ${duplicates}: ${midRun} mid-run (bound ${bound} = ${kills} kills x concurrency ${CONCURRENCY}) + ${unwritten} finished but unwritten (write-behind); worst kill ${worstKill}; recovery ${r}` +
      (restartRecoveryMs === null ? '' : `, progress ${restartRecoveryMs} ms after pg_ctl restart`),
  );
  return figures;
}

describe(`reliability: SIGKILL a worker every ~2 s while ${JOBS} jobs run`, () => {
  it('SQLite: 0 lost, 0 left held, re-runs only of started jobs (at most concurrency per kill)', { timeout: LONG ? 600_000 : 180_000 }, async () => {
    const db = join(dir, 'kill.db');
    const store = new SqliteStore({ path: db, busyTimeoutMs: 30_000 });
    await store.migrate();
    const f = await killLoop('sqlite', store, { DOCKET_DB: db });
    expect(f.kills).toBeGreaterThan(0);
    await store.close();
  });

  const pg = postgresAvailability();
  if (!pg.available) process.stderr.write(`\n*** SKIPPING the PostgreSQL reliability run: ${pg.reason}. Set DOCKET_REQUIRE_SERVERS=1 to make this a failure. ***\n\n`);
  it.skipIf(!pg.available)('PostgreSQL, with a pg_ctl restart after the first kill: 0 lost, 0 left held, re-runs within the bound', { timeout: LONG ? 600_000 : 240_000 }, async () => {
    server = await startPostgresServer();
    const schema = uniqueSchema('rel');
    const store = new PostgresStore({ connectionString: server.url, schema });
    await store.migrate();
    const f = await killLoop('postgres', store, { DOCKET_STORE: `${server.url}?schema=${schema}` }, () => server!.restart());
    expect(f.kills).toBeGreaterThan(0);
    await store.close();
  });
});
