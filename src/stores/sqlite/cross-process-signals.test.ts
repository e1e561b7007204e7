import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NewJob } from '../../core/job.js';
import type { StoreNotification } from '../../store/store.js';
import { SqliteStore } from './sqlite-store.js';

/**
 * The cancel half of the cross-process watch, one tick at a time (the timed
 * end to end run is test/multiprocess/sqlite-signals.test.ts): store A's
 * workers hold jobs, store B (another connection, as another process would
 * be) requests cancels; A's tick tells each request for its own workers'
 * leases once.
 */
const job: NewJob = {
  name: 'mp', queue: 'default', dataJson: '{}', priority: 0, delayMs: 0, runAt: null, maxAttempts: 3, timeoutMs: null,
  idempotencyKey: null, keepKeyForever: false, releaseKeyOnFailure: false, scheduleName: null, fireTime: null,
};

let dir: string;
let a: SqliteStore;
let b: SqliteStore;
let told: string[];
/** A's watch, reached for the test: tick() is public for tests and the cost measurement. */
const tick = (): boolean => (a as unknown as { signals: { tick(): boolean } }).signals.tick();

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'docket-xps-'));
  a = new SqliteStore({ path: join(dir, 'x.db') });
  b = new SqliteStore({ path: join(dir, 'x.db') });
  await a.migrate();
  told = [];
  a.subscribe((n: StoreNotification) => {
    if (n.type === 'cancel-requested') told.push(n.jobId);
  });
  await a.enqueue({ jobs: [job, job, job] });
  tick(); // the first look only learns the version
});

afterEach(async () => {
  await a.close();
  await b.close();
  rmSync(dir, { recursive: true, force: true });
});

const claim = (store: SqliteStore, workerId: string, limit: number) =>
  store.claimJobs({ workerId, queues: [{ queue: 'default', limit }], names: ['mp'], leaseMs: 60_000 });

describe('SQLite cross-process cancel (one tick at a time)', () => {
  it("tells a cancel requested elsewhere for this store's worker once per lease, and none for another store's workers", async () => {
    const [mine1, mine2] = await claim(a, 'w-a', 2);
    const [theirs] = await claim(b, 'w-b', 1);
    expect(await b.cancelJob({ jobId: mine1!.id, reason: 'stop' })).toMatchObject({ outcome: 'cancel_requested' });
    expect(await b.cancelJob({ jobId: theirs!.id, reason: 'stop' })).toMatchObject({ outcome: 'cancel_requested' });
    expect(tick()).toBe(true);
    expect(told).toEqual([mine1!.id]);

    // Another commit elsewhere: the request still pending is not told again; a new one is.
    expect(await b.cancelJob({ jobId: mine2!.id, reason: 'stop' })).toMatchObject({ outcome: 'cancel_requested' });
    expect(tick()).toBe(true);
    expect(told).toEqual([mine1!.id, mine2!.id]);

    // No commit elsewhere: nothing read, nothing told.
    expect(tick()).toBe(false);
    expect(told).toHaveLength(2);
  });

  it('a job whose lease ended and came back under a new lease is told again when a cancel is requested again', async () => {
    const [j] = await claim(a, 'w-a', 1);
    await b.cancelJob({ jobId: j!.id, reason: 'stop' });
    tick();
    expect(told).toEqual([j!.id]);
    // The worker gives the job back unstarted (not cancelled: say it did not see the request), then claims it again.
    expect(await a.applyTransitions({ transitions: [{ jobId: j!.id, leaseToken: j!.leaseToken, outcome: { kind: 'release' } }] })).toEqual(['applied']);
    const [again] = await claim(a, 'w-a', 3);
    expect(again!.id).toBe(j!.id);
    expect(again!.leaseToken).not.toBe(j!.leaseToken);
    await b.cancelJob({ jobId: j!.id, reason: 'stop again' });
    tick();
    expect(told).toEqual([j!.id, j!.id]);
  });
});
