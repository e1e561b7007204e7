import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Docket } from '../../src/index.js';
import { PostgresStore } from '../../src/stores/postgres/index.js';
import { postgresAvailability, startPostgresServer, uniqueSchema, type PostgresServer } from '../support/postgres/postgres-server.js';
import { measurePickupMs, recoverySlackMs, sleepUntil, spawnScheduler, spawnWorker, until, wins, type SchedulerProcess, type WorkerProcess } from './helpers.js';

/**
 * Real processes on one PostgreSQL (a throwaway server from test-support):
 * the crash case (SIGKILL of a worker holding jobs) and issue 4's
 * multi-process case (2 scheduler processes and 4 worker processes, a
 * per-second schedule and 50,000 pre-enqueued jobs). The fixtures are the
 * SQLite tests' own, given a store URL.
 */

const availability = postgresAvailability();
if (!availability.available) {
  process.stderr.write(`\n*** SKIPPING multi-process PostgreSQL tests: ${availability.reason}. Set DOCKET_REQUIRE_SERVERS=1 to make this a failure. ***\n\n`);
}

const dir = mkdtempSync(join(tmpdir(), 'docket-mp-pg-'));
const children: ChildProcess[] = [];
const trackScheduler = (p: SchedulerProcess): SchedulerProcess => (children.push(p.child), p);
let server: PostgresServer | null = null;

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A store URL on a fresh schema of the test server, and a store on it (migrated). */
async function freshStore(): Promise<{ url: string; store: PostgresStore }> {
  const schema = uniqueSchema('mp');
  const store = new PostgresStore({ connectionString: server!.url, schema });
  await store.migrate();
  return { url: `${server!.url}?schema=${schema}`, store };
}

function worker(env: Record<string, string>): WorkerProcess {
  const w = spawnWorker(env);
  children.push(w.child);
  return w;
}

const lines = (file: string): string[] => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);

describe.skipIf(!availability.available).sequential('worker and scheduler processes on one PostgreSQL', () => {
  beforeAll(async () => {
    server = await startPostgresServer();
  });

  it('SIGKILL of a worker holding jobs: another worker completes each once its lease expires, within the rescue interval plus a measured pickup; the dead attempt cannot complete it late', { timeout: 90_000 }, async () => {
    const LEASE_MS = 1_000;
    const RESCUE_MS = 100; // the worker fixture's maintenance.rescueIntervalMs
    const JOBS = 5;
    const { url, store } = await freshStore();
    const producer = new Docket({ store, logger: false, worker: { enabled: false }, maintenance: { enabled: false }, scheduler: { enabled: false } });
    producer.defineJob('mp', { handler: async () => null });
    const ids = (await producer.enqueueMany(Array.from({ length: JOBS }, (_, n) => ({ name: 'mp', data: { n } })))).map((j) => j.id);

    const victim = worker({ DOCKET_STORE: url, WORKER_ID: 'victim', MODE: 'hold', OUT_FILE: join(dir, 'victim.log'), LEASE_MS: String(LEASE_MS), CONCURRENCY: String(JOBS) });
    await until(async () => (await store.getJobs({ jobIds: ids })).every((j) => j.state === 'active' && j.workerId === 'victim'), 'the victim to hold every job', 30_000);
    const deadTokens = new Map((await store.getJobs({ jobIds: ids })).map((j) => [j.id, j.leaseToken!]));

    const survivor = worker({ DOCKET_STORE: url, WORKER_ID: 'survivor', MODE: 'record', OUT_FILE: join(dir, 'survivor.log'), LEASE_MS: String(LEASE_MS) });
    await survivor.ready;
    // The survivor's pickup time at the current load: the recovery deadline is derived from it.
    const probe = await measurePickupMs(producer, store);
    // The victim kept its leases alive by heartbeat while the survivor started.
    expect((await store.getJobs({ jobIds: ids })).every((j) => j.state === 'active' && j.workerId === 'victim')).toBe(true);

    const killedAt = Date.now();
    victim.child.kill('SIGKILL');
    await victim.exited;
    const exitedAt = Date.now();
    // The dead attempt's leases as it left them (no heartbeat can move them now).
    const expiry = new Map((await store.getJobs({ jobIds: ids })).map((j) => [j.id, j.leaseExpiresAt!.getTime()]));
    await until(async () => (await store.getJobs({ jobIds: ids })).every((j) => j.state === 'completed'), 'the survivor to complete every job', 30_000, 20);

    const done = await store.getJobs({ jobIds: ids });
    for (const job of done) {
      expect(job).toMatchObject({ state: 'completed', result: { by: 'survivor' }, attempt: 2, stalls: 1 });
      // Store clock on both sides (PostgreSQL: the server's now(); SQLite: this machine's clock, shared by
      // every process). Rescued only once its lease had expired, and completed within the rescue interval
      // plus a pickup as measured (about 1 s on a quiet machine, more under load: derived, not fixed).
      const expiredAt = expiry.get(job.id)!;
      expect(expiredAt).toBeLessThanOrEqual(exitedAt + LEASE_MS);
      expect(job.finishedAt!.getTime()).toBeGreaterThanOrEqual(expiredAt);
      expect(job.finishedAt!.getTime() - expiredAt).toBeLessThanOrEqual(recoverySlackMs(RESCUE_MS, probe.ms));
    }
    const lateness = done.map((j) => j.finishedAt!.getTime() - killedAt);
    console.log(`postgres crash: jobs completed by the survivor ${Math.min(...lateness)}-${Math.max(...lateness)} ms after SIGKILL (lease ${LEASE_MS} ms; probe pickup ${probe.ms} ms, slack allowed ${recoverySlackMs(RESCUE_MS, probe.ms)} ms after expiry)`);
    expect(lines(join(dir, 'victim.log'))).toHaveLength(JOBS);
    expect(lines(join(dir, 'survivor.log')).sort()).toEqual([...ids, probe.id].sort());

    // The dead attempt's late completion, carrying its token, is rejected and changes nothing.
    const late = await store.applyTransitions({
      transitions: ids.map((jobId) => ({ jobId, leaseToken: deadTokens.get(jobId)!, outcome: { kind: 'complete' as const, resultJson: '"late"' } })),
    });
    expect(late).toEqual(ids.map(() => 'lease_lost'));
    expect((await store.getJobs({ jobIds: ids })).every((j) => (j.result as { by: string }).by === 'survivor')).toBe(true);

    survivor.child.kill('SIGTERM');
    expect(await survivor.exited).toBe(0);
    await store.close();
  });

  it('2 scheduler and 4 worker processes, a per-second schedule for 10 s and 50,000 jobs: every job completed exactly once, one job per fire time, none missing', { timeout: 300_000 }, async () => {
    const JOBS = 50_000;
    const FIRES = 10;
    const WORKERS = 4;
    const { url, store } = await freshStore();
    const producer = new Docket({ store, logger: false, worker: { enabled: false }, maintenance: { enabled: false }, scheduler: { enabled: false } });
    producer.defineJob('mp', { handler: async () => null });
    const ids: string[] = [];
    for (let i = 0; i < JOBS; i += 5_000) {
      ids.push(...(await producer.enqueueMany(Array.from({ length: 5_000 }, (_, k) => ({ name: 'mp', data: { n: i + k } })))).map((j) => j.id));
    }

    // Every whole second; the schedule fires from the first scheduler's start, while the workers drain the jobs.
    const anchor = Math.floor(Date.now() / 1_000) * 1_000;
    const schedulers = [trackScheduler(spawnScheduler('s0', url, anchor, dir)), trackScheduler(spawnScheduler('s1', url, anchor, dir))];
    const workers = Array.from({ length: WORKERS }, (_, w) => worker({ DOCKET_STORE: url, WORKER_ID: `w${w}`, MODE: 'record', OUT_FILE: join(dir, `w${w}.log`), CONCURRENCY: '50' }));
    await Promise.all([...schedulers.map((s) => s.ready), ...workers.map((w) => w.ready)]);
    // The window where all six processes run: FIRES fire times from the next whole second but one.
    const windowStart = Math.ceil(Date.now() / 1_000) * 1_000 + 1_000;
    const last = windowStart + (FIRES - 1) * 1_000;
    // Wait for the condition (the window's last fire enqueued), not a fixed time after it: under load it may come later.
    await sleepUntil(last);
    await until(async () => (await store.listJobs({ scheduleName: 'every-second', limit: 1_000 })).jobs.some((j) => j.fireTime!.getTime() >= last), 'the last fire of the window', 60_000, 50);
    for (const s of schedulers) s.child.kill('SIGTERM');
    expect(await Promise.all(schedulers.map((s) => s.exited))).toEqual([0, 0]);

    const ticks = (await store.listJobs({ scheduleName: 'every-second', order: 'asc', limit: 1_000 })).jobs;
    const total = JOBS + ticks.length;
    const counts = async () => (await store.countJobs({ queue: 'default' }))[0]!.counts;
    await until(async () => (await counts()).completed === total, `${total} completed jobs`, 240_000, 100);
    for (const w of workers) w.child.kill('SIGTERM');
    expect(await Promise.all(workers.map((w) => w.exited))).toEqual(workers.map(() => 0));

    // Every job, pre-enqueued or fired, ran exactly once, and nothing is left.
    const perWorker = workers.map((_, w) => lines(join(dir, `w${w}.log`)));
    const executions = perWorker.flat();
    const seen = new Map<string, number>();
    for (const id of executions) seen.set(id, (seen.get(id) ?? 0) + 1);
    expect(executions).toHaveLength(total);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    expect(new Set(seen.keys())).toEqual(new Set([...ids, ...ticks.map((j) => j.id)]));
    expect(await counts()).toMatchObject({ waiting: 0, delayed: 0, active: 0, completed: total, failed: 0, cancelled: 0 });
    expect(perWorker.every((w) => w.length > 0)).toBe(true);

    // One job per fire time: none doubled, none missing from the first fire to the last, the window covered.
    const fireTimes = ticks.map((j) => j.fireTime!.getTime()).sort((a, b) => a - b);
    expect(new Set(fireTimes).size).toBe(fireTimes.length);
    expect(fireTimes).toEqual(Array.from({ length: fireTimes.length }, (_, k) => fireTimes[0]! + k * 1_000));
    expect(fireTimes[0]).toBeLessThanOrEqual(windowStart);
    expect(fireTimes.at(-1)).toBeGreaterThanOrEqual(last);
    // The processes' own records agree: no fire won twice, each won fire is the stored job, every fire was won.
    const won = schedulers.map(wins);
    const logged = won.flat();
    expect(new Set(logged.map(([t]) => t)).size).toBe(logged.length);
    const jobOf = new Map(ticks.map((j) => [j.fireTime!.getTime(), j.id]));
    for (const [t, id] of logged) expect(jobOf.get(t)).toBe(id);
    expect(logged.length).toBe(ticks.length);

    // When the workers ran: completions per 100 ms over the last two minutes (store clock), until the 50,000th.
    const timeline = await store.jobTimeline({ bucketMs: 100, buckets: 1_200, queue: 'default' });
    let done = 0;
    const first = timeline.buckets.find((b) => b.completed > 0)!.start.getTime();
    const end = timeline.buckets.find((b) => (done += b.completed) >= JOBS)!.start.getTime() + 100;
    const lateness = ticks.map((j) => j.createdAt.getTime() - j.fireTime!.getTime());
    const sorted = [...lateness].sort((a, b) => a - b);
    console.log(
      `postgres multiprocess: ${JOBS} jobs drained by ${WORKERS} workers in ${end - first} ms (~${Math.round(JOBS / ((end - first) / 1000))} jobs/s, ` +
        `per worker ${perWorker.map((w) => w.length).join('/')}), from ${first - fireTimes[0]!} to ${end - fireTimes[0]!} ms after the first fire; ` +
        `${ticks.length} fires, won per scheduler ${won.map((w) => w.length).join('/')}, enqueue lateness median ${sorted[Math.floor(sorted.length / 2)]} ms, max ${sorted.at(-1)} ms`,
    );
    // On time: every fire was enqueued within the default misfire grace (no catch-up).
    expect(Math.max(...lateness)).toBeLessThan(60_000);
    await store.close();
  });
});
