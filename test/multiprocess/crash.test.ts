import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Docket } from '../../src/index.js';
import { SqliteStore } from '../../src/stores/sqlite/index.js';
import { spawnWorker, until, type WorkerProcess } from './helpers.js';

const LEASE_MS = 1_000;
const JOBS = 5;
const dir = mkdtempSync(join(tmpdir(), 'docket-crash-'));
const children: WorkerProcess[] = [];

afterAll(() => {
  for (const w of children) if (w.child.exitCode === null) w.child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('SIGKILL of a worker process holding jobs', () => {
  it('another worker completes each job within lease + 1 s; the dead attempt cannot complete it late', { timeout: 60_000 }, async () => {
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
    // The victim kept its leases alive by heartbeat while the survivor started.
    expect((await store.getJobs({ jobIds: ids })).every((j) => j.workerId === 'victim')).toBe(true);

    const killedAt = Date.now();
    victim.child.kill('SIGKILL');
    await victim.exited;
    await until(async () => (await store.getJobs({ jobIds: ids })).every((j) => j.state === 'completed'), 'the survivor to complete every job', 30_000, 20);

    const done = await store.getJobs({ jobIds: ids });
    for (const job of done) {
      expect(job).toMatchObject({ state: 'completed', result: { by: 'survivor' }, attempt: 2, stalls: 1 });
      expect(job.finishedAt!.getTime() - killedAt).toBeLessThanOrEqual(LEASE_MS + 1_000);
    }
    const lateness = done.map((j) => j.finishedAt!.getTime() - killedAt);
    console.log(`crash: jobs completed by the survivor ${Math.min(...lateness)}-${Math.max(...lateness)} ms after SIGKILL (lease ${LEASE_MS} ms)`);
    expect(readFileSync(join(dir, 'victim.log'), 'utf8').split('\n').filter(Boolean)).toHaveLength(JOBS);
    expect(readFileSync(join(dir, 'survivor.log'), 'utf8').split('\n').filter(Boolean).sort()).toEqual([...ids].sort());

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
