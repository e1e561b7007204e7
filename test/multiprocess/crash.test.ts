import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Docket } from '../../src/index.js';
import { SqliteStore } from '../../src/stores/sqlite/index.js';
import { measurePickupMs, recoverySlackMs, spawnWorker, until, type WorkerProcess } from './helpers.js';

const LEASE_MS = 1_000;
/** The worker fixture's maintenance.rescueIntervalMs. */
const RESCUE_MS = 100;
const JOBS = 5;
const dir = mkdtempSync(join(tmpdir(), 'docket-crash-'));
const children: WorkerProcess[] = [];

afterAll(() => {
  for (const w of children) if (w.child.exitCode === null) w.child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('SIGKILL of a worker process holding jobs', () => {
  it('another worker completes each job once its lease expires, within the rescue interval plus a measured pickup; the dead attempt cannot complete it late', { timeout: 60_000 }, async () => {
    const db = join(dir, 'crash.db');
    const store = new SqliteStore({ path: db });
    const producer = new Docket({ store, logger: false, worker: { enabled: false }, maintenance: { enabled: false } });
    producer.defineJob('mp', { handler: async () => null });
    const jobs = await producer.enqueueMany(Array.from({ length: JOBS }, (_, n) => ({ name: 'mp', data: { n } })));
    const ids = jobs.map((j) => j.id);

    const victim = spawnWorker({ DOCKET_DB: db, WORKER_ID: 'victim', MODE: 'hold', OUT_FILE: join(dir, 'victim.log'), LEASE_MS: String(LEASE_MS), CONCURRENCY: String(JOBS) });
    children.push(victim);
    await until(async () => (await store.getJobs({ jobIds: ids })).every((j) => j.state === 'active' && j.workerId === 'victim'), 'the victim to hold every job', 30_000);
    const held = await store.getJobs({ jobIds: ids });
    const deadTokens = new Map(held.map((j) => [j.id, j.leaseToken!]));

    const survivor = spawnWorker({ DOCKET_DB: db, WORKER_ID: 'survivor', MODE: 'record', OUT_FILE: join(dir, 'survivor.log'), LEASE_MS: String(LEASE_MS) });
    children.push(survivor);
    await survivor.ready;
    // The survivor's pickup time at the current load: the recovery deadline is derived from it.
    const probe = await measurePickupMs(producer, store);
    // The victim kept its leases alive by heartbeat while the survivor started.
    expect((await store.getJobs({ jobIds: ids })).every((j) => j.workerId === 'victim')).toBe(true);

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
    console.log(`crash: jobs completed by the survivor ${Math.min(...lateness)}-${Math.max(...lateness)} ms after SIGKILL (lease ${LEASE_MS} ms; probe pickup ${probe.ms} ms, slack allowed ${recoverySlackMs(RESCUE_MS, probe.ms)} ms after expiry)`);
    expect(readFileSync(join(dir, 'victim.log'), 'utf8').split('\n').filter(Boolean)).toHaveLength(JOBS);
    expect(readFileSync(join(dir, 'survivor.log'), 'utf8').split('\n').filter(Boolean).sort()).toEqual([...ids, probe.id].sort());

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
});
