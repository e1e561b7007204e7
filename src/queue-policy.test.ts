import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from './core/clock.js';
import { ALL_QUEUES } from './core/queue-policy.js';
import { Docket, type DocketOptions } from './docket.js';
import type { NewJob } from './core/job.js';
import type { Store } from './store/store.js';
import { SqliteStore } from './stores/sqlite/index.js';

let dir: string | null = null;
const open: Docket[] = [];
afterEach(async () => {
  for (const d of open.splice(0)) await d.close({ graceMs: 0 });
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = null;
});

function newJob(queue: string): NewJob {
  return { name: 'j', queue, dataJson: 'null', priority: 0, delayMs: 0, runAt: null, maxAttempts: 5, timeoutMs: null, idempotencyKey: null, keepKeyForever: false, releaseKeyOnFailure: false, scheduleName: null, fireTime: null };
}

/** Enqueues `n` jobs in `queue` and completes them, `stepMs` apart on the clock. */
async function finishJobs(d: { store: Store; clock: ManualClock }, n: number, queue: string, stepMs = 0): Promise<void> {
  for (let i = 0; i < n; i++) {
    await d.store.enqueue({ jobs: [newJob(queue)] });
    const [job] = await d.store.claimJobs({ workerId: 'w', queues: [{ queue, limit: 1 }], names: ['j'], leaseMs: 30_000 });
    await d.store.applyTransitions({ transitions: [{ jobId: job!.id, leaseToken: job!.leaseToken, outcome: { kind: 'complete', resultJson: null } }] });
    await d.clock.advance(stepMs);
  }
}

/** Dockets on one SQLite file, each with its own config; logs (info and up) collected. */
function processOn(options: Partial<DocketOptions> = {}) {
  dir ??= mkdtempSync(join(tmpdir(), 'docket-policy-'));
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const logs: Array<{ level: number; msg: string; queue?: string }> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line) as (typeof logs)[number]) });
  const docket = new Docket({ logger, clock, store: new SqliteStore({ path: join(dir, 'docket.db'), clock }), worker: { enabled: false }, maintenance: { enabled: false }, ...options });
  open.push(docket);
  return { docket, logs, warnings: () => logs.filter((l) => l.level === 40) };
}

describe('declared queue policy (Docket.start)', () => {
  it('stores only the declared keys at start, not before; admin use of a Docket declares nothing', async () => {
    const a = processOn({ retention: { failed: { maxAgeMs: null } }, queues: { mail: { concurrency: 2, retention: { completed: { maxCount: 50 } } } } });
    await a.docket.jobs.listQueues(); // migrated, not started
    expect(await a.docket.store.getQueuePolicy({ queue: 'mail' })).toEqual({});
    await a.docket.start();
    expect(await a.docket.store.getQueuePolicy({ queue: 'mail' })).toEqual({ retention: { completed: { maxCount: 50 } } });
    expect(await a.docket.store.getQueuePolicy({ queue: ALL_QUEUES })).toEqual({ retention: { failed: { maxAgeMs: 'unlimited' } } });
    const [mail] = await a.docket.jobs.listQueues();
    expect(mail!.effectivePolicy.retention).toMatchObject({ completed: { maxCount: 50 }, failed: { maxAgeMs: null } });
    expect(a.warnings()).toEqual([]);
  });

  it('last declaration wins, with a warning naming what it replaced; undeclared keys set at run time survive', async () => {
    const a = processOn({ queues: { mail: { retention: { completed: { maxCount: 50 } } } } });
    await a.docket.start();
    // an operator changes the declared key and an undeclared one
    await a.docket.jobs.setQueuePolicy('mail', { retention: { completed: { maxCount: 5 }, failed: { maxCount: 9 } } });
    const b = processOn({ queues: { mail: { retention: { completed: { maxCount: 70 } } } } });
    await b.docket.start();
    expect(await b.docket.store.getQueuePolicy({ queue: 'mail' })).toEqual({ retention: { completed: { maxCount: 70 }, failed: { maxCount: 9 } } });
    expect(b.warnings()).toHaveLength(1);
    expect(b.warnings()[0]).toMatchObject({ queue: 'mail' });
    expect(b.warnings()[0]!.msg).toContain('retention.completed.maxCount 5 -> 70');
    // the same declaration again changes nothing and warns nothing
    const c = processOn({ queues: { mail: { retention: { completed: { maxCount: 70 } } } } });
    await c.docket.start();
    expect(c.warnings()).toEqual([]);
  });

  it('a paused queue stays paused across a start that declares its retention', async () => {
    const a = processOn({ queues: { mail: { retention: { completed: { maxCount: 50 } } } } });
    await a.docket.pauseQueue('mail');
    await a.docket.start();
    expect(await a.docket.store.getQueuePolicy({ queue: 'mail' })).toEqual({ paused: true, retention: { completed: { maxCount: 50 } } });
  });

  it('JobAdmin.setQueuePolicy validates before writing (INVALID_NAME, INVALID_OPTION with the field)', async () => {
    const a = processOn();
    await expect(a.docket.jobs.setQueuePolicy('bad name', {})).rejects.toMatchObject({ code: 'INVALID_NAME' });
    await expect(a.docket.jobs.setQueuePolicy('mail', { retention: { completed: { maxAge: 1 } } })).rejects.toMatchObject({
      code: 'INVALID_OPTION',
      field: 'policy.retention.completed.maxAge',
    });
    expect(await a.docket.jobs.listQueues()).toEqual([]);
    const q = await a.docket.jobs.setQueuePolicy('mail', { retention: { completed: { maxCount: 'unlimited' } } });
    expect(q).toMatchObject({ queue: 'mail', policy: { retention: { completed: { maxCount: 'unlimited' } } }, effectivePolicy: { retention: { completed: { maxCount: null } } } });
  });
});

describe('pruner: retention is queue policy in the store', () => {
  it('two Dockets on one SQLite file with different configs prune identically', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'docket-prune-'));
    const dockets: Docket[] = [];
    try {
      const clock = new ManualClock(Date.UTC(2026, 0, 1));
      const open = (options: Partial<DocketOptions>) => {
        const docket = new Docket({ logger: false, clock, store: new SqliteStore({ path: join(dir, 'docket.db'), clock }), worker: { enabled: false }, maintenance: { enabled: false }, ...options });
        dockets.push(docket);
        return { clock, docket, store: docket.store };
      };
      // A declares q's completed maxCount; B declares a completed maxCount for every queue.
      const a = open({ queues: { q: { retention: { completed: { maxCount: 3 } } } } });
      const b = open({ retention: { completed: { maxCount: 4 } } });
      await a.docket.start();
      await b.docket.start();
      await finishJobs(a, 5, 'q', 10);
      await finishJobs(a, 5, 'other', 10);
      // B prunes q by A's declaration (not in B's config), other by its own.
      expect(await b.docket.maintenance.prune()).toBe(3);
      const count = async (queue: string) => (await a.docket.listJobs({ queue, limit: 100 })).jobs.length;
      expect([await count('q'), await count('other')]).toEqual([3, 4]);
      // A prunes other by B's declaration (not in A's config): the same numbers.
      await finishJobs(a, 2, 'q', 10);
      await finishJobs(a, 2, 'other', 10);
      expect(await a.docket.maintenance.prune()).toBe(4);
      expect([await count('q'), await count('other')]).toEqual([3, 4]);
      // Both see one effective policy per queue.
      const view = async (d: Docket) => (await d.jobs.listQueues()).map((q) => [q.queue, q.effectivePolicy.retention.completed.maxCount]);
      expect(await view(a.docket)).toEqual(await view(b.docket));
      expect(await view(a.docket)).toEqual([
        ['other', 4],
        ['q', 3],
      ]);
      // A run-time change applies to the next prune of every process.
      await b.docket.jobs.setQueuePolicy('q', { retention: { completed: { maxCount: 1 } } });
      expect(await a.docket.maintenance.prune()).toBe(2);
      expect(await count('q')).toBe(1);
    } finally {
      for (const d of dockets.splice(0)) await d.close({ graceMs: 0 });
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
