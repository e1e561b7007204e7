import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import type { NewJob } from '../../core/job.js';
import { SqliteStore } from './index.js';

/**
 * Issue 11, finding 1: a row docket cannot read never stops the others.
 * Each case writes the bad value straight into the file with a second
 * connection (raw SQL), as a bug, another tool or a newer version could.
 */
const dir = mkdtempSync(join(tmpdir(), 'docket-unreadable-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

function job(overrides: Partial<NewJob> = {}): NewJob {
  return {
    name: 'mp', queue: 'default', dataJson: '{"ok":true}', priority: 0, delayMs: 0, runAt: null, maxAttempts: 3, timeoutMs: null,
    idempotencyKey: null, keepKeyForever: false, releaseKeyOnFailure: false, scheduleName: null, fireTime: null, ...overrides,
  };
}

const deep = (levels: number): string => '['.repeat(levels) + ']'.repeat(levels);

/** [what, SQL SET clause with ? for the value, value]: each makes one job unreadable. */
const CASES: Array<[string, string, unknown, string]> = [
  ['malformed JSON data', 'data = ?', '{"a": 1', 'data'],
  ['data nested 1,001 levels (SQLite json() refuses it)', 'data = ?', deep(1_001), 'data'],
  ['data as a blob (a newer version could store JSONB)', 'data = ?', Buffer.from([0xde, 0xad, 0xbe, 0xef]), 'data'],
  ['an error column that is not JSON (a retried job)', 'error = ?', 'Traceback: boom', 'error'],
  ['an error that is JSON but no failure record', 'error = ?', '{"msg":"other tool"}', 'error'],
  ['max_attempts as text', 'max_attempts = ?', 'three', 'maxAttempts'],
  ['max_attempts 0', 'max_attempts = ?', 0, 'maxAttempts'],
  ['timeout_ms negative', 'timeout_ms = ?', -5, 'timeoutMs'],
  ['priority beyond the range', 'priority = ?', 10_000_000_000, 'priority'],
  ['attempt as a real', 'attempt = ?', 0.5, 'attempt'],
];

describe('SqliteStore: unreadable rows', () => {
  it('a claim takes the other jobs of every queue, fails each unreadable one with UNREADABLE_JOB; get and list answer', async () => {
    const path = join(dir, `db-${n++}.db`);
    const store = new SqliteStore({ path });
    await store.migrate();
    // Bad jobs first in line (priority), on the queue the good jobs share and on a queue of their own.
    const bad = await store.enqueue({ jobs: CASES.map((_, i) => job({ queue: i % 2 === 0 ? "default" : "other", priority: 10, dataJson: `{"case":${i}}` })) });
    const good = await store.enqueue({ jobs: [job(), job({ queue: 'other' }), job({ queue: 'third' })] });
    const raw = new Database(path);
    CASES.forEach(([, set, value], i) => raw.prepare(`UPDATE docket_jobs SET ${set} WHERE id = ?`).run(value, Number(bad[i]!.id)));
    raw.close();

    // Reads answer, marking what they cannot read (before any claim: the rows are as written).
    const listed = await store.listJobs({ limit: 100 });
    expect(listed.jobs).toHaveLength(CASES.length + 3);
    for (const [i, [what, , , field]] of CASES.entries()) {
      const one = await store.getJob({ jobId: bad[i]!.id });
      expect(one?.unreadable?.fields, what).toContain(field);
      expect(listed.jobs.find((j) => j.id === bad[i]!.id)?.unreadable?.fields, what).toContain(field);
    }
    expect((await store.getJobs({ jobIds: [...bad, ...good].map((r) => r.id) })).map((j) => j.id)).toEqual([...bad, ...good].map((r) => r.id));
    // Data that does not parse comes back as the raw stored text.
    expect((await store.getJob({ jobId: bad[0]!.id }))!.data).toBe('{"a": 1');

    const claimed = await store.claimJobs({ workerId: 'w', queues: ['default', 'other', 'third'].map((queue) => ({ queue, limit: 50 })), names: ['mp'], leaseMs: 30_000 });
    expect(claimed.map((j) => j.id).sort()).toEqual(good.map((r) => r.id).sort());
    expect(claimed.every((j) => j.unreadable === undefined && (j.data as { ok: boolean }).ok)).toBe(true);

    for (const [i, [what, , , field]] of CASES.entries()) {
      const j = (await store.getJob({ jobId: bad[i]!.id }))!;
      expect(j.state, what).toBe('failed');
      expect(j.error, what).toMatchObject({ code: 'UNREADABLE_JOB', name: 'UnreadableJobError' });
      expect(j.error!.message, what).toContain(field);
      expect(j.leaseToken, what).toBeNull();
    }
    // Nothing left to claim; list still answers (the failed rows keep their bad values).
    expect(await store.claimJobs({ workerId: 'w', queues: [{ queue: 'default', limit: 50 }, { queue: 'other', limit: 50 }], names: ['mp'], leaseMs: 30_000 })).toEqual([]);
    expect((await store.listJobs({ limit: 100, states: ['failed'] })).jobs).toHaveLength(CASES.length);
    expect((await store.countJobs()).find((c) => c.queue === 'default')!.counts.failed).toBe(Math.ceil(CASES.length / 2));
    await store.close();
  });

  it('applyAndClaim (the worker round) fails the unreadable job and writes the outcomes it carries', async () => {
    const path = join(dir, `db-${n++}.db`);
    const store = new SqliteStore({ path });
    await store.migrate();
    const [first] = await store.enqueue({ jobs: [job()] });
    const [claimedFirst] = await store.claimJobs({ workerId: 'w', queues: [{ queue: 'default', limit: 1 }], names: ['mp'], leaseMs: 30_000 });
    const [badJob, next] = await store.enqueue({ jobs: [job(), job()] });
    const raw = new Database(path);
    raw.prepare('UPDATE docket_jobs SET data = ? WHERE id = ?').run('not json', Number(badJob!.id));
    raw.close();
    const r = await store.applyAndClaim({
      transitions: [{ jobId: first!.id, leaseToken: claimedFirst!.leaseToken, startedAgoMs: 1, outcome: { kind: 'complete', resultJson: null } }],
      claim: { workerId: 'w', queues: [{ queue: 'default', limit: 10 }], names: ['mp'], leaseMs: 30_000 },
    });
    expect(r.results).toEqual(['applied']);
    expect(r.jobs.map((j) => j.id)).toEqual([next!.id]);
    expect((await store.getJob({ jobId: badJob!.id }))!.error!.code).toBe('UNREADABLE_JOB');
    await store.close();
  });

  it('a completed job whose result is corrupt reads with its raw result marked; retry and run-now answer too', async () => {
    const path = join(dir, `db-${n++}.db`);
    const store = new SqliteStore({ path });
    await store.migrate();
    const [a] = await store.enqueue({ jobs: [job()] });
    const [c] = await store.claimJobs({ workerId: 'w', queues: [{ queue: 'default', limit: 1 }], names: ['mp'], leaseMs: 30_000 });
    await store.applyTransitions({ transitions: [{ jobId: c!.id, leaseToken: c!.leaseToken, startedAgoMs: 1, outcome: { kind: 'complete', resultJson: '1' } }] });
    const raw = new Database(path);
    raw.prepare('UPDATE docket_jobs SET result = ?, data = ? WHERE id = ?').run('{result', '{data', Number(a!.id));
    raw.close();
    const got = (await store.getJob({ jobId: a!.id }))!;
    expect(got).toMatchObject({ state: 'completed', result: '{result', data: '{data', unreadable: { fields: ['data', 'result'] } });
    const retried = await store.retryJob({ jobId: a!.id });
    expect(retried).toMatchObject({ state: 'waiting', unreadable: { fields: ['data'] } });
    await store.close();
  });
});
