import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { DocketError, ValidationError } from '../../core/errors.js';
import type { JobFailure } from '../../core/job.js';
import type { LeasedTransition } from '../../core/outcome.js';
import { describePostgres, newJob } from '../../../test/support/postgres/pg-test.js';
import { MIGRATIONS } from './migrations.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const failure = (attempt: number): JobFailure => ({ message: 'boom', name: 'Error', code: 'E_BOOM', stack: 'Error: boom\n at x', attempt, at: new Date() });
const claimAll = { workerId: 'w1', queues: [{ queue: 'default', limit: 100 }], names: ['test-job'], leaseMs: 30_000 };
/** The worker's start of reserved jobs (reserved -> active). */
const starts = (jobs: Array<{ id: string; leaseToken: string }>, startedAgoMs = 0): LeasedTransition[] =>
  jobs.map((j) => ({ jobId: j.id, leaseToken: j.leaseToken, startedAgoMs, outcome: null }));

describePostgres('PostgresStore jobs', (pgt) => {
  const pg_url = () => pgt.url();
  describe('enqueue', () => {
    it('inserts in order with increasing ids and returns the exact data and server times', async () => {
      const store = await pgt.newStore();
      const before = await store.now();
      const res = await store.enqueue({ jobs: [newJob({ data: { z: 1, a: [1, 2], s: 'ü' } }), newJob({ data: null }), newJob({ delayMs: 60_000 })] });
      expect(res.map((r) => r.created)).toEqual([true, true, true]);
      const ids = res.map((r) => BigInt(r.id));
      expect(ids[0]! < ids[1]! && ids[1]! < ids[2]!).toBe(true);
      expect(JSON.stringify(res[0]!.job!.data)).toBe('{"z":1,"a":[1,2],"s":"ü"}');
      expect(res[0]!.job!.state).toBe('waiting');
      expect(res[2]!.job!.state).toBe('delayed');
      expect(res[2]!.job!.runAt.getTime() - res[2]!.job!.createdAt.getTime()).toBeGreaterThanOrEqual(59_999);
      expect(res[0]!.job!.createdAt.getTime()).toBeGreaterThanOrEqual(before.getTime() - 1);
      const stored = await store.getJob({ jobId: res[0]!.id });
      expect(stored).toEqual(res[0]!.job);
      expect(JSON.stringify(stored!.data)).toBe('{"z":1,"a":[1,2],"s":"ü"}');
    });

    it('treats an absolute runAt in the past as runnable now, and honours runAt over delayMs', async () => {
      const store = await pgt.newStore();
      const past = new Date(Date.now() - 60_000);
      const future = new Date(Date.now() + 3_600_000);
      const [a, b] = await store.enqueue({ jobs: [newJob({ runAt: past, delayMs: 999_999 }), newJob({ runAt: future })] });
      expect(a!.job!.state).toBe('waiting');
      expect(a!.job!.runAt.getTime()).toBe(past.getTime());
      expect(b!.job!.state).toBe('delayed');
      expect(b!.job!.runAt.getTime()).toBe(future.getTime());
    });

    it('inserts a large batch (more than one statement chunk) atomically and in order', async () => {
      const store = await pgt.newStore();
      const jobs = Array.from({ length: 5_200 }, (_, i) => newJob({ data: { i } }));
      const res = await store.enqueue({ jobs });
      expect(res).toHaveLength(5_200);
      expect(res.every((r, i) => (r.job!.data as { i: number }).i === i)).toBe(true);
      for (let i = 1; i < res.length; i++) expect(BigInt(res[i]!.id) > BigInt(res[i - 1]!.id)).toBe(true);
      expect((await store.countJobs({ queue: 'default' }))[0]!.counts.waiting).toBe(5_200);
      // What the server holds, not only what the call returned: ids follow input order.
      const listed = (await store.listJobs({ limit: 10_000, order: 'asc' })).jobs;
      expect(listed.map((j) => j.id)).toEqual(res.map((r) => r.id));
      expect(listed.every((j, i) => (j.data as { i: number }).i === i)).toBe(true);
    });

    it('rejects bad input with a typed error and writes nothing', async () => {
      const store = await pgt.newStore();
      await expect(store.enqueue({ jobs: [newJob(), newJob({ queue: 'bad queue!' })] })).rejects.toBeInstanceOf(ValidationError);
      await expect(store.enqueue({ jobs: [newJob({ idempotencyKey: 'a\u0000b' })] })).rejects.toMatchObject({ code: 'INVALID_OPTION' });
      // A payload that is not one JSON value could smuggle fields into the statement's JSON input.
      await expect(store.enqueue({ jobs: [newJob(), { ...newJob(), dataJson: '1,"q":"other"' }] })).rejects.toMatchObject({ code: 'INVALID_DATA' });
      expect(await store.countJobs()).toEqual([]);
    });
  });

  describe('idempotency keys', () => {
    it('returns the holder for a held key, within one call and across calls', async () => {
      const store = await pgt.newStore();
      const res = await store.enqueue({ jobs: [newJob({ idempotencyKey: 'k1', data: 1 }), newJob({ data: 2 }), newJob({ idempotencyKey: 'k1', data: 3 })] });
      expect(res.map((r) => r.created)).toEqual([true, true, false]);
      expect(res[2]!.id).toBe(res[0]!.id);
      const again = await store.enqueue({ jobs: [newJob({ data: 4 }), newJob({ idempotencyKey: 'k1', data: 5 })] });
      expect(again[0]!.created).toBe(true);
      expect(again[1]).toMatchObject({ id: res[0]!.id, created: false });
      expect(again[1]!.job!.data).toBe(1);
      expect(again[1]!.job!.idempotencyKey).toBe('k1');
    });

    it('creates exactly one job when many stores race on one key', async () => {
      const schema = `race_${process.pid}_${Date.now()}`;
      const stores = await Promise.all([1, 2, 3, 4].map(() => pgt.newStore({ schema })));
      const results = await Promise.all(
        stores.flatMap((s, i) => Array.from({ length: 5 }, (_, j) => s.enqueue({ jobs: [newJob({ idempotencyKey: 'only-once', data: { i, j } })] }))),
      );
      const flat = results.map((r) => r[0]!);
      expect(flat.filter((r) => r.created)).toHaveLength(1);
      expect(new Set(flat.map((r) => r.id)).size).toBe(1);
      expect(flat.every((r) => r.job !== null)).toBe(true);
    });

    it('keeps a keepKeyForever key after prune (job: null) and releases an ordinary key', async () => {
      const store = await pgt.newStore();
      const [kept, plain] = await store.enqueue({
        jobs: [newJob({ idempotencyKey: 'forever', keepKeyForever: true }), newJob({ idempotencyKey: 'plain' })],
      });
      const claimed = await store.claimJobs(claimAll);
      await store.applyTransitions({ transitions: claimed.map((j) => ({ jobId: j.id, leaseToken: j.leaseToken, outcome: { kind: 'complete', resultJson: null } })) });
      expect(await store.pruneJobs({ queue: 'default', state: 'completed', maxAgeMs: null, maxCount: 0, limit: 100 })).toBe(2);
      const [k2, p2] = await store.enqueue({ jobs: [newJob({ idempotencyKey: 'forever' }), newJob({ idempotencyKey: 'plain' })] });
      expect(k2).toEqual({ id: kept!.id, created: false, job: null });
      expect(p2!.created).toBe(true);
      expect(p2!.id).not.toBe(plain!.id);
    });

    it('releases the key of a failed job only when asked, and a manual retry takes it back', async () => {
      const store = await pgt.newStore();
      const [rel, keep] = await store.enqueue({
        jobs: [newJob({ idempotencyKey: 'release-me', releaseKeyOnFailure: true, maxAttempts: 1 }), newJob({ idempotencyKey: 'keep-me', maxAttempts: 1 })],
      });
      const claimed = await store.claimJobs(claimAll);
      await store.applyTransitions({ transitions: claimed.map((j) => ({ jobId: j.id, leaseToken: j.leaseToken, outcome: { kind: 'fail', failure: failure(1) } })) });
      const [a, b] = await store.enqueue({ jobs: [newJob({ idempotencyKey: 'release-me' }), newJob({ idempotencyKey: 'keep-me' })] });
      expect(a!.created).toBe(true);
      expect(b).toMatchObject({ id: keep!.id, created: false });
      expect(b!.job!.state).toBe('failed');
      // The failed job released its key and someone took it: a manual retry runs the job but cannot take the key back.
      await store.deleteJob({ jobId: a!.id });
      expect((await store.retryJob({ jobId: rel!.id }))!.state).toBe('waiting');
      const [c] = await store.enqueue({ jobs: [newJob({ idempotencyKey: 'release-me' })] });
      expect(c).toMatchObject({ id: rel!.id, created: false });
    });
  });

  describe('claims', () => {
    it('claims in priority desc, runAt, id order, per-queue limits, only handled names, not paused queues', async () => {
      const store = await pgt.newStore();
      const old = new Date(Date.now() - 10_000);
      const res = await store.enqueue({
        jobs: [
          newJob({ data: 'low' }),
          newJob({ data: 'high', priority: 5 }),
          newJob({ data: 'old', runAt: old }),
          newJob({ data: 'other-name', name: 'other' }),
          newJob({ data: 'q2', queue: 'q2' }),
          newJob({ data: 'paused', queue: 'paused' }),
          newJob({ data: 'later', delayMs: 60_000 }),
        ],
      });
      await store.setQueuePaused({ queue: 'paused', paused: true });
      const claimed = await store.claimJobs({
        workerId: 'w1',
        queues: [{ queue: 'default', limit: 10 }, { queue: 'q2', limit: 1 }, { queue: 'paused', limit: 10 }],
        names: ['test-job'],
        leaseMs: 10_000,
      });
      expect(claimed.map((j) => j.data)).toEqual(['high', 'old', 'low', 'q2']);
      const now = await store.now();
      for (const j of claimed) {
        // Reserved for the worker, not started: waiting to users, attempt not counted yet.
        expect(j).toMatchObject({ state: 'waiting', reserved: true, attempt: 0, startedAt: null });
        expect(await store.getJob({ jobId: j.id })).toEqual(j);
        expect(j.workerId).toBe('w1');
        // A random prefix per claim call plus the job id.
        expect(j.leaseToken).toMatch(new RegExp(`^[A-Za-z0-9_-]{16}\\.${j.id}$`));
        // Lease judged on the server's clock.
        expect(Math.abs(j.leaseExpiresAt.getTime() - (now.getTime() + 10_000))).toBeLessThan(2_000);
      }
      expect(new Set(claimed.map((j) => j.leaseToken)).size).toBe(4);
      expect(await store.claimJobs({ ...claimAll, queues: [{ queue: 'default', limit: 10 }] })).toEqual([]);
      await store.setQueuePaused({ queue: 'paused', paused: false });
      const p = await store.claimJobs({ ...claimAll, queues: [{ queue: 'paused', limit: 10 }] });
      expect(p.map((j) => j.id)).toEqual([res[5]!.id]);
    });

    it('a delayed job becomes claimable (and reads as waiting) once its time has come', async () => {
      const store = await pgt.newStore();
      // Long enough that the first claim comes before the run time even on a loaded machine; then wait
      // for the run time as the server's clock says, not for a fixed guess.
      const [j] = await store.enqueue({ jobs: [newJob({ delayMs: 3_000 })] });
      expect(await store.claimJobs(claimAll)).toEqual([]);
      await sleep(j!.job!.runAt.getTime() - (await store.now()).getTime() + 20);
      expect((await store.getJob({ jobId: j!.id }))!.state).toBe('waiting');
      expect((await store.countJobs())[0]!.counts).toMatchObject({ waiting: 1, delayed: 0 });
      expect((await store.listJobs({ limit: 10, states: ['waiting'] })).jobs.map((x) => x.id)).toEqual([j!.id]);
      expect((await store.claimJobs(claimAll)).map((x) => x.id)).toEqual([j!.id]);
    });

    it('never hands one job to two concurrent claimers', async () => {
      const schema = `claimrace_${process.pid}_${Date.now()}`;
      const stores = await Promise.all([1, 2, 3, 4].map(() => pgt.newStore({ schema })));
      await stores[0]!.enqueue({ jobs: Array.from({ length: 2_000 }, (_, i) => newJob({ data: i })) });
      const seen: string[] = [];
      await Promise.all(
        stores.map(async (s, w) => {
          for (;;) {
            const got = await s.claimJobs({ ...claimAll, workerId: `w${w}`, queues: [{ queue: 'default', limit: 37 }] });
            if (got.length === 0) return;
            seen.push(...got.map((j) => j.id));
          }
        }),
      );
      expect(seen).toHaveLength(2_000);
      expect(new Set(seen).size).toBe(2_000);
    });
  });

  describe('transitions', () => {
    it('applies each outcome under its lease token and rejects stale tokens', async () => {
      const store = await pgt.newStore();
      await store.enqueue({ jobs: Array.from({ length: 6 }, (_, i) => newJob({ data: i })) });
      const [c, r, s, rel, f, x] = await store.claimJobs(claimAll);
      const ts: LeasedTransition[] = [
        { jobId: c!.id, leaseToken: c!.leaseToken, outcome: { kind: 'complete', resultJson: '{"b":2,"a":1}' } },
        { jobId: r!.id, leaseToken: r!.leaseToken, outcome: { kind: 'retry', delayMs: 60_000, failure: failure(1) } },
        { jobId: s!.id, leaseToken: s!.leaseToken, outcome: { kind: 'snooze', delayMs: 0 } },
        { jobId: rel!.id, leaseToken: rel!.leaseToken, outcome: { kind: 'release' } },
        { jobId: f!.id, leaseToken: f!.leaseToken, outcome: { kind: 'fail', failure: failure(1) } },
        { jobId: x!.id, leaseToken: x!.leaseToken, outcome: { kind: 'cancel', reason: 'operator' } },
        { jobId: c!.id, leaseToken: c!.leaseToken, outcome: { kind: 'fail', failure: failure(1) } }, // same job again: loses
        { jobId: x!.id, leaseToken: 'not-the-token', outcome: { kind: 'complete', resultJson: null } },
        { jobId: 'nope', leaseToken: 't', outcome: { kind: 'complete', resultJson: null } },
      ];
      expect(await store.applyTransitions({ transitions: ts })).toEqual(['applied', 'applied', 'applied', 'applied', 'applied', 'applied', 'lease_lost', 'lease_lost', 'lease_lost']);
      const get = async (id: string) => (await store.getJob({ jobId: id }))!;
      const done = await get(c!.id);
      // Found reserved: the start came with the end (attempt counted, startedAt set).
      expect(done).toMatchObject({ state: 'completed', reserved: false, leaseToken: null, leaseExpiresAt: null, attempt: 1, workerId: 'w1' });
      expect(done.startedAt).not.toBeNull();
      expect(JSON.stringify(done.result)).toBe('{"b":2,"a":1}');
      expect(done.finishedAt).not.toBeNull();
      const retried = await get(r!.id);
      expect(retried).toMatchObject({ state: 'delayed', attempt: 1 });
      expect(retried.error).toEqual({ ...failure(1), at: retried.error!.at });
      expect(retried.runAt.getTime()).toBeGreaterThan(Date.now() + 50_000);
      expect(await get(s!.id)).toMatchObject({ state: 'waiting', attempt: 0 });
      const released = await get(rel!.id);
      // Released without a start: never started, nothing counted.
      expect(released).toMatchObject({ state: 'waiting', attempt: 0, startedAt: null, leaseToken: null, leaseExpiresAt: null });
      expect(released.runAt.getTime()).toBe(rel!.runAt.getTime());
      expect(await get(f!.id)).toMatchObject({ state: 'failed', error: { message: 'boom', code: 'E_BOOM', attempt: 1 } });
      expect(await get(x!.id)).toMatchObject({ state: 'cancelled' });
      // A late write from the first attempt of a job that runs again is rejected.
      const again = await store.claimJobs(claimAll);
      expect(again.map((j) => j.id).sort()).toEqual([s!.id, rel!.id].sort());
      expect(await store.applyTransitions({ transitions: [{ jobId: s!.id, leaseToken: s!.leaseToken, outcome: { kind: 'complete', resultJson: null } }] })).toEqual(['lease_lost']);
    });

    it('one lean statement takes starts and completions, of reserved and active jobs alike', async () => {
      const store = await pgt.newStore();
      await store.enqueue({ jobs: Array.from({ length: 4 }, (_, i) => newJob({ data: i })) });
      const [a, b, c, d] = await store.claimJobs(claimAll);
      expect(await store.applyTransitions({ transitions: starts([a!], 60_000) })).toEqual(['applied']);
      const before = (await store.now()).getTime();
      const results = await store.applyTransitions({
        transitions: [
          // active: its start was written before
          { jobId: a!.id, leaseToken: a!.leaseToken, startedAgoMs: 5, outcome: { kind: 'complete', resultJson: '"a"' } },
          // reserved: start and end in one write
          { jobId: b!.id, leaseToken: b!.leaseToken, startedAgoMs: 2_000, outcome: { kind: 'complete', resultJson: '"b"' } },
          ...starts([c!], 1_000),
          { jobId: d!.id, leaseToken: 'stale', startedAgoMs: 0, outcome: null },
        ],
      });
      expect(results).toEqual(['applied', 'applied', 'applied', 'lease_lost']);
      const [ja, jb, jc, jd] = await store.getJobs({ jobIds: [a!.id, b!.id, c!.id, d!.id] });
      expect(ja).toMatchObject({ state: 'completed', attempt: 1, result: 'a' });
      // The earlier start's time is kept (60 s ago), not replaced by the end's startedAgoMs.
      expect(ja!.startedAt!.getTime()).toBeLessThan(before - 50_000);
      expect(jb).toMatchObject({ state: 'completed', attempt: 1, result: 'b', leaseToken: null });
      expect(Math.abs(jb!.startedAt!.getTime() - (before - 2_000))).toBeLessThan(1_000);
      expect(jc).toMatchObject({ state: 'active', reserved: false, attempt: 1, leaseToken: c!.leaseToken, finishedAt: null, result: null });
      expect(jc!.leaseExpiresAt!.getTime()).toBe(c!.leaseExpiresAt.getTime());
      expect(Math.abs(jc!.startedAt!.getTime() - (before - 1_000))).toBeLessThan(1_000);
      expect(jd).toMatchObject({ state: 'waiting', reserved: true, attempt: 0 });
    });

    it('a start and the end of the same job in one batch apply in order (one transaction)', async () => {
      const store = await pgt.newStore();
      const enqueued = await store.enqueue({ jobs: [newJob(), newJob(), newJob(), newJob()] });
      const [a, b] = await store.claimJobs({ ...claimAll, queues: [{ queue: 'default', limit: 2 }] });
      const results = await store.applyTransitions({
        transitions: [
          ...starts([a!], 100),
          ...starts([b!], 100),
          { jobId: a!.id, leaseToken: a!.leaseToken, outcome: { kind: 'complete', resultJson: null } },
          { jobId: b!.id, leaseToken: b!.leaseToken, outcome: { kind: 'release' } },
          // Started already: a second start is refused.
          ...starts([a!]),
        ],
      });
      expect(results).toEqual(['applied', 'applied', 'applied', 'applied', 'lease_lost']);
      expect(await store.getJob({ jobId: a!.id })).toMatchObject({ state: 'completed', attempt: 1 });
      // Started, then released: the attempt given back, its start kept.
      const rb = (await store.getJob({ jobId: b!.id }))!;
      expect(rb).toMatchObject({ state: 'waiting', attempt: 0, leaseToken: null });
      expect(rb.startedAt).not.toBeNull();
      // The same through applyAndClaim: the writes in order, then the claim, in one transaction.
      // b is first in line again (a release keeps its place).
      const [c, d] = await store.claimJobs({ ...claimAll, queues: [{ queue: 'default', limit: 2 }] });
      expect(c!.id).toBe(b!.id);
      const res = await store.applyAndClaim({
        transitions: [...starts([c!]), { jobId: c!.id, leaseToken: c!.leaseToken, outcome: { kind: 'fail', failure: failure(1) } }, ...starts([d!])],
        claim: { ...claimAll, queues: [{ queue: 'default', limit: 5 }] },
      });
      expect(res.results).toEqual(['applied', 'applied', 'applied']);
      expect(res.jobs.map((j) => j.id)).toEqual([enqueued[3]!.id]);
      expect(res.jobs.every((j) => j.state === 'waiting' && j.reserved)).toBe(true);
      expect(await store.getJob({ jobId: c!.id })).toMatchObject({ state: 'failed', attempt: 1 });
      expect(await store.getJob({ jobId: d!.id })).toMatchObject({ state: 'active', attempt: 1 });
    });

    it('extends held leases, reports lost ones and cancel requests; saves progress only under the lease', async () => {
      const store = await pgt.newStore();
      await store.enqueue({ jobs: [newJob(), newJob()] });
      const [a, b] = await store.claimJobs({ ...claimAll, leaseMs: 1_000 });
      // a stays reserved (a held job too: its lease is extended and its progress kept); b runs.
      expect(await store.applyTransitions({ transitions: starts([b!]) })).toEqual(['applied']);
      expect((await store.cancelJob({ jobId: b!.id, reason: 'stop' })).outcome).toBe('cancel_requested');
      const res = await store.extendLeases({
        workerId: 'w1',
        leaseMs: 60_000,
        leases: [{ jobId: a!.id, leaseToken: a!.leaseToken }, { jobId: b!.id, leaseToken: b!.leaseToken }, { jobId: a!.id, leaseToken: 'stale' }, { jobId: 'x', leaseToken: 'y' }],
      });
      expect(res.cancelRequested).toEqual([b!.id]);
      expect(res.lost).toEqual([a!.id, 'x']);
      expect((await store.getJob({ jobId: a!.id }))!.leaseExpiresAt!.getTime()).toBeGreaterThan(Date.now() + 50_000);
      expect(await store.getJob({ jobId: a!.id })).toMatchObject({ state: 'waiting', reserved: true });
      const lost = await store.saveProgress({
        updates: [
          { jobId: a!.id, leaseToken: a!.leaseToken, progress: { current: 3, total: 10, message: 'three' } },
          { jobId: b!.id, leaseToken: 'stale', progress: { current: 1, total: null, message: null } },
        ],
      });
      expect(lost).toEqual([b!.id]);
      expect((await store.getJob({ jobId: a!.id }))!.progress).toMatchObject({ current: 3, total: 10, message: 'three' });
    });
  });

  describe('rescue', () => {
    it('returns expired leases to waiting, fails a job past maxStalls, and rejects the dead attempt', async () => {
      const store = await pgt.newStore();
      const [j] = await store.enqueue({ jobs: [newJob({ idempotencyKey: 'stall', releaseKeyOnFailure: true })] });
      // A lease long enough to be live at the first rescue even on a loaded machine; then wait for its
      // expiry as the server's clock says.
      const [first] = await store.claimJobs({ ...claimAll, leaseMs: 3_000 });
      expect(await store.applyTransitions({ transitions: starts([first!]) })).toEqual(['applied']);
      expect(await store.rescueExpired({ maxStalls: 1, limit: 10 })).toEqual({ requeued: [], failed: [], unreserved: [] });
      await sleep(first!.leaseExpiresAt.getTime() - (await store.now()).getTime() + 20);
      expect(await store.rescueExpired({ maxStalls: 1, limit: 10 })).toEqual({ requeued: [j!.id], failed: [], unreserved: [] });
      const back = (await store.getJob({ jobId: j!.id }))!;
      expect(back).toMatchObject({ state: 'waiting', reserved: false, stalls: 1, attempt: 1, leaseToken: null, leaseExpiresAt: null, error: { code: 'LEASE_EXPIRED' } });
      expect(await store.applyTransitions({ transitions: [{ jobId: j!.id, leaseToken: first!.leaseToken, outcome: { kind: 'complete', resultJson: null } }] })).toEqual(['lease_lost']);
      // A reservation that expires (its worker died before starting it) goes back with nothing counted.
      const [reserved] = await store.claimJobs({ ...claimAll, leaseMs: 50 });
      await sleep(100);
      expect(await store.rescueExpired({ maxStalls: 1, limit: 10 })).toEqual({ requeued: [], failed: [], unreserved: [j!.id] });
      expect(await store.getJob({ jobId: j!.id })).toMatchObject({ state: 'waiting', reserved: false, stalls: 1, attempt: 1, leaseToken: null, leaseExpiresAt: null });
      expect(await store.applyTransitions({ transitions: starts([reserved!]) })).toEqual(['lease_lost']);
      const [second] = await store.claimJobs({ ...claimAll, leaseMs: 50 });
      expect(second!.attempt).toBe(1);
      expect(await store.applyTransitions({ transitions: starts([second!]) })).toEqual(['applied']);
      expect((await store.getJob({ jobId: j!.id }))!.attempt).toBe(2);
      await sleep(100);
      expect(await store.rescueExpired({ maxStalls: 1, limit: 10 })).toEqual({ requeued: [], failed: [j!.id], unreserved: [] });
      expect(await store.getJob({ jobId: j!.id })).toMatchObject({ state: 'failed', stalls: 2, error: { code: 'STALLED', name: 'StalledJobError' } });
      // releaseKeyOnFailure applies to a stalled-out job too.
      expect((await store.enqueue({ jobs: [newJob({ idempotencyKey: 'stall' })] }))[0]!.created).toBe(true);
    });
  });

  describe('operator actions', () => {
    it('cancels waiting jobs at once, asks for reserved and active ones, and reports finished/missing ones', async () => {
      const store = await pgt.newStore();
      const [w, a, r] = await store.enqueue({ jobs: [newJob({ delayMs: 60_000 }), newJob(), newJob()] });
      const [ca, cr] = await store.claimJobs(claimAll);
      expect([ca!.id, cr!.id]).toEqual([a!.id, r!.id]);
      expect(await store.applyTransitions({ transitions: starts([ca!]) })).toEqual(['applied']);
      expect(await store.cancelJob({ jobId: w!.id, reason: 'no' })).toMatchObject({ outcome: 'cancelled', job: { state: 'cancelled' } });
      expect(await store.cancelJob({ jobId: a!.id, reason: 'stop' })).toMatchObject({ outcome: 'cancel_requested', job: { state: 'active', cancelRequested: true } });
      // Reserved: asked too (its worker writes the end), the lease kept; the worker ends it unstarted.
      expect(await store.cancelJob({ jobId: r!.id, reason: 'stop' })).toMatchObject({
        outcome: 'cancel_requested',
        job: { state: 'waiting', reserved: true, cancelRequested: true, leaseToken: cr!.leaseToken, attempt: 0 },
      });
      expect(await store.applyTransitions({ transitions: [{ jobId: cr!.id, leaseToken: cr!.leaseToken, outcome: { kind: 'cancel', reason: 'stop' } }] })).toEqual(['applied']);
      expect(await store.getJob({ jobId: r!.id })).toMatchObject({ state: 'cancelled', attempt: 0, startedAt: null, leaseToken: null, cancelRequested: false });
      expect(await store.cancelJob({ jobId: w!.id, reason: 'again' })).toMatchObject({ outcome: 'already_finished', job: { state: 'cancelled' } });
      expect(await store.cancelJob({ jobId: '999999', reason: 'x' })).toEqual({ outcome: 'not_found', job: null });
      expect(await store.cancelJob({ jobId: 'garbage', reason: 'x' })).toEqual({ outcome: 'not_found', job: null });
    });

    it('retries finished jobs, promotes delayed ones, deletes all but active ones', async () => {
      const store = await pgt.newStore();
      const [a, d, act, res] = await store.enqueue({ jobs: [newJob({ maxAttempts: 1 }), newJob({ delayMs: 60_000 }), newJob(), newJob()] });
      const [ca, cact, cres] = await store.claimJobs(claimAll);
      expect(await store.applyTransitions({ transitions: starts([cact!]) })).toEqual(['applied']);
      await store.applyTransitions({ transitions: [{ jobId: ca!.id, leaseToken: ca!.leaseToken, outcome: { kind: 'fail', failure: failure(1) } }] });
      expect(await store.retryJob({ jobId: d!.id })).toBeNull();
      const retried = await store.retryJob({ jobId: a!.id });
      expect(retried).toMatchObject({ state: 'waiting', attempt: 0, finishedAt: null, error: { message: 'boom' } });
      const promoted = await store.promoteJob({ jobId: d!.id });
      expect(promoted!.state).toBe('waiting');
      expect(await store.promoteJob({ jobId: d!.id })).toBeNull();
      await expect(store.deleteJob({ jobId: cact!.id })).rejects.toMatchObject({ code: 'INVALID_TRANSITION' });
      expect(act!.id).toBe(cact!.id);
      // A reserved job may go: its worker finds the lease gone.
      expect(cres!.id).toBe(res!.id);
      expect(await store.deleteJob({ jobId: cres!.id })).toBe(true);
      expect(await store.applyTransitions({ transitions: starts([cres!]) })).toEqual(['lease_lost']);
      expect(await store.deleteJob({ jobId: d!.id })).toBe(true);
      expect(await store.deleteJob({ jobId: d!.id })).toBe(false);
      expect(await store.getJob({ jobId: d!.id })).toBeNull();
    });

    it('prunes by age and by count, oldest first, at most limit per call', async () => {
      const store = await pgt.newStore();
      await store.enqueue({ jobs: Array.from({ length: 10 }, (_, i) => newJob({ data: i })) });
      for (const j of await store.claimJobs(claimAll)) {
        await store.applyTransitions({ transitions: [{ jobId: j.id, leaseToken: j.leaseToken, outcome: { kind: 'complete', resultJson: null } }] });
      }
      expect(await store.pruneJobs({ queue: 'default', state: 'completed', maxAgeMs: 3_600_000, maxCount: null, limit: 100 })).toBe(0);
      expect(await store.pruneJobs({ queue: 'default', state: 'failed', maxAgeMs: null, maxCount: 0, limit: 100 })).toBe(0);
      expect(await store.pruneJobs({ queue: 'default', state: 'completed', maxAgeMs: null, maxCount: 7, limit: 2 })).toBe(2);
      expect(await store.pruneJobs({ queue: 'default', state: 'completed', maxAgeMs: null, maxCount: 7, limit: 100 })).toBe(1);
      const left = (await store.listJobs({ limit: 100, order: 'asc' })).jobs.map((j) => j.data);
      expect(left).toEqual([3, 4, 5, 6, 7, 8, 9]);
      await sleep(20);
      expect(await store.pruneJobs({ queue: 'default', state: 'completed', maxAgeMs: 1, maxCount: null, limit: 100 })).toBe(7);
    });
  });

  describe('reads', () => {
    it('lists with filters and cursor paging, both orders', async () => {
      const store = await pgt.newStore();
      await store.enqueue({
        jobs: Array.from({ length: 7 }, (_, i) => newJob({ data: { n: i, tag: i % 2 ? 'odd' : 'even' }, queue: i < 5 ? 'a' : 'b', scheduleName: i === 6 ? 'nightly' : null })),
      });
      const seen: unknown[] = [];
      let cursor: string | null = null;
      do {
        const page = await store.listJobs({ queue: 'a', limit: 2, cursor });
        seen.push(...page.jobs.map((j) => (j.data as { n: number }).n));
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen).toEqual([4, 3, 2, 1, 0]);
      expect((await store.listJobs({ limit: 10, order: 'asc', search: '"tag":"odd"' })).jobs.map((j) => (j.data as { n: number }).n)).toEqual([1, 3, 5]);
      expect((await store.listJobs({ limit: 10, scheduleName: 'nightly' })).jobs).toHaveLength(1);
      expect((await store.listJobs({ limit: 10, states: ['completed'] })).jobs).toHaveLength(0);
      expect((await store.listJobs({ limit: 10, states: [] })).jobs).toHaveLength(0);
      expect((await store.listJobs({ limit: 10, createdAfter: new Date(Date.now() + 60_000) })).jobs).toHaveLength(0);
      await expect(store.listJobs({ limit: 10, cursor: 'bogus' })).rejects.toMatchObject({ code: 'INVALID_OPTION', details: { field: 'cursor' } });
      await expect(store.listJobs({ limit: 0 })).rejects.toBeInstanceOf(ValidationError);
    });

    it('counts by queue and state, includes paused queues without jobs, lists queues and workers', async () => {
      const store = await pgt.newStore();
      await store.enqueue({ jobs: [newJob({ queue: 'b' }), newJob({ queue: 'a' }), newJob({ queue: 'a', delayMs: 60_000 })] });
      await store.setQueuePaused({ queue: 'empty', paused: true });
      const counts = await store.countJobs();
      expect(counts.map((c) => c.queue)).toEqual(['a', 'b', 'empty']);
      expect(counts[0]!.counts).toEqual({ waiting: 1, delayed: 1, active: 0, completed: 0, failed: 0, cancelled: 0 });
      expect(await store.countJobs({ queue: 'none' })).toEqual([{ queue: 'none', counts: { waiting: 0, delayed: 0, active: 0, completed: 0, failed: 0, cancelled: 0 } }]);
      expect((await store.listQueues()).map((q) => [q.queue, q.paused])).toEqual([['a', false], ['b', false], ['empty', true]]);
      const startedAt = new Date(Date.now() - 5_000);
      await store.recordWorker({ worker: { id: 'w-1', host: 'h', pid: 42, queues: ['a', 'b'], concurrency: 4, activeJobs: 1, startedAt } });
      await store.recordWorker({ worker: { id: 'w-1', host: 'h', pid: 42, queues: ['a', 'b'], concurrency: 4, activeJobs: 3, startedAt } });
      const workers = await store.listWorkers({ aliveWithinMs: 60_000 });
      expect(workers).toHaveLength(1);
      expect(workers[0]).toMatchObject({ id: 'w-1', queues: ['a', 'b'], activeJobs: 3, startedAt });
      await store.removeWorker({ workerId: 'w-1' });
      expect(await store.listWorkers({ aliveWithinMs: 60_000 })).toEqual([]);
    });

    it('getJobs returns found jobs in the order asked', async () => {
      const store = await pgt.newStore();
      const [a, b] = await store.enqueue({ jobs: [newJob(), newJob()] });
      expect((await store.getJobs({ jobIds: [b!.id, 'x', '424242', a!.id] })).map((j) => j.id)).toEqual([b!.id, a!.id]);
    });
  });

  describe('migrations and lifecycle', () => {
    it('applies migrations once when several stores migrate at the same time', async () => {
      const schema = `mig_${process.pid}_${Date.now()}`;
      await Promise.all([1, 2, 3, 4].map(() => pgt.newStore({ schema })));
      const store = await pgt.newStore({ schema });
      // @ts-expect-error reaching into the pool for a check only tests need
      const { rows } = await store.pool.query(`SELECT version FROM "${schema}".migrations ORDER BY version`);
      expect(rows).toEqual(MIGRATIONS.map((m) => ({ version: m.version })));
    });

    it('with migrate: false, refuses an unmigrated schema and accepts a current one', async () => {
      const schema = `nomig_${process.pid}_${Date.now()}`;
      await expect(pgt.newStore({ schema, migrate: false })).rejects.toMatchObject({ code: 'STORE_ERROR' });
      await pgt.newStore({ schema });
      const checked = await pgt.newStore({ schema, migrate: false });
      expect(await checked.enqueue({ jobs: [newJob()] })).toHaveLength(1);
    });

    it('runs on a pool you own (LISTEN included) and leaves it open on close', async () => {
      const pool = new pg.Pool({ connectionString: pg_url(), max: 3 });
      try {
        const schema = `ownpool_${process.pid}_${Date.now()}`;
        const store = await pgt.newStore({ schema, pool });
        const other = await pgt.newStore({ schema });
        const woke = new Promise<void>((resolve) => store.subscribe((n) => n.type === 'jobs-available' && resolve()));
        await store.whenListening();
        await other.enqueue({ jobs: [newJob()] });
        await woke;
        expect((await store.claimJobs(claimAll)).length).toBe(1);
        await store.close();
        expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      } finally {
        await pool.end();
      }
    });

    it('throws STORE_CLOSED after close and a typed STORE_ERROR for server-side failures', async () => {
      const store = await pgt.newStore();
      const unmigrated = await pgt.newStore({ schema: `absent_${process.pid}_${Date.now()}`, migrate: false }).catch((e: unknown) => e);
      expect(unmigrated).toBeInstanceOf(DocketError);
      await store.close();
      await expect(store.getJob({ jobId: '1' })).rejects.toMatchObject({ code: 'STORE_CLOSED' });
      await expect(store.enqueue({ jobs: [newJob()] })).rejects.toMatchObject({ code: 'STORE_CLOSED' });
    });
  });
});
