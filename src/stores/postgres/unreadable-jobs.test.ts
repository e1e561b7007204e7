import pg from 'pg';
import { expect, it } from 'vitest';
import { describePostgres, newJob } from '../../../test/support/postgres/pg-test.js';
import { uniqueSchema } from '../../../test/support/postgres/postgres-server.js';

/**
 * Issue 11, finding 1 on PostgreSQL. `data`, `result` and `error` are `json`
 * columns: the server refuses text that is not JSON, so a corrupt payload
 * cannot be stored (checked below). What can still be unreadable is a value
 * of the right SQL type that docket never writes: an `error` that is JSON
 * but not a failure record, counts and limits out of range, infinite
 * timestamps (another tool's, or a newer version's values). Each is written
 * with raw SQL; the claim goes on, each such job ends failed with
 * UNREADABLE_JOB, reads answer with the fields marked.
 */
const CASES: Array<[string, string, string]> = [
  ['an error that is JSON but no failure record', `error = '"boom"'::json`, 'error'],
  ['an error from a newer version (message not a string)', `error = '{"message":{"t":"x"},"name":"E","attempt":1,"at":1}'::json`, 'error'],
  ['max_attempts 0', 'max_attempts = 0', 'maxAttempts'],
  ['timeout_ms negative', 'timeout_ms = -1', 'timeoutMs'],
  ['priority beyond the range', 'priority = 2000000000', 'priority'],
  ['attempt negative', 'attempt = -3', 'attempt'],
  ['run_at -infinity (claimable, no valid time)', `run_at = '-infinity'`, 'runAt'],
];

describePostgres('PostgresStore: unreadable rows', (pgt) => {
  it('refuses corrupt JSON at the server, so data cannot be unreadable', async () => {
    const schema = uniqueSchema();
    const store = await pgt.newStore({ schema });
    const [j] = await store.enqueue({ jobs: [newJob()] });
    const client = new pg.Client({ connectionString: pgt.url() });
    await client.connect();
    try {
      await expect(client.query(`UPDATE ${schema}.jobs SET data = $1 WHERE id = $2`, ['{"a": 1', j!.id])).rejects.toThrow(/invalid input syntax for type json/);
      await expect(client.query(`UPDATE ${schema}.jobs SET result = $1 WHERE id = $2`, ['{"a": 1', j!.id])).rejects.toThrow(/invalid input syntax for type json/);
    } finally {
      await client.end();
    }
  });

  it('a claim takes the other jobs of every queue, fails each unreadable one with UNREADABLE_JOB; get and list answer', async () => {
    const schema = uniqueSchema();
    const store = await pgt.newStore({ schema });
    const bad = await store.enqueue({ jobs: CASES.map((_, i) => newJob({ queue: i % 2 === 0 ? 'default' : 'other', priority: 10, data: { case: i } })) });
    const good = await store.enqueue({ jobs: [newJob(), newJob({ queue: 'other' }), newJob({ queue: 'third' })] });
    const client = new pg.Client({ connectionString: pgt.url() });
    await client.connect();
    try {
      for (const [i, [, set]] of CASES.entries()) await client.query(`UPDATE ${schema}.jobs SET ${set} WHERE id = $1`, [bad[i]!.id]);
    } finally {
      await client.end();
    }
    const listed = await store.listJobs({ limit: 100 });
    expect(listed.jobs).toHaveLength(CASES.length + 3);
    for (const [i, [what, , field]] of CASES.entries()) {
      expect((await store.getJob({ jobId: bad[i]!.id }))?.unreadable?.fields, what).toContain(field);
      expect(listed.jobs.find((j) => j.id === bad[i]!.id)?.unreadable?.fields, what).toContain(field);
    }

    const claimed = await store.claimJobs({ workerId: 'w', queues: ['default', 'other', 'third'].map((queue) => ({ queue, limit: 50 })), names: ['test-job'], leaseMs: 30_000 });
    expect(claimed.map((j) => j.id).sort()).toEqual(good.map((r) => r.id).sort());
    for (const [i, [what, , field]] of CASES.entries()) {
      const j = (await store.getJob({ jobId: bad[i]!.id }))!;
      expect(j.state, what).toBe('failed');
      expect(j.error, what).toMatchObject({ code: 'UNREADABLE_JOB', name: 'UnreadableJobError' });
      expect(j.error!.message, what).toContain(field);
    }
    expect((await store.listJobs({ limit: 100, states: ['failed'] })).jobs).toHaveLength(CASES.length);
  });

  it('applyAndClaim (the worker round) fails the unreadable job and writes the outcomes it carries', async () => {
    const schema = uniqueSchema();
    const store = await pgt.newStore({ schema });
    const [first] = await store.enqueue({ jobs: [newJob()] });
    const [c] = await store.claimJobs({ workerId: 'w', queues: [{ queue: 'default', limit: 1 }], names: ['test-job'], leaseMs: 30_000 });
    const [badJob, next] = await store.enqueue({ jobs: [newJob(), newJob()] });
    const client = new pg.Client({ connectionString: pgt.url() });
    await client.connect();
    await client.query(`UPDATE ${schema}.jobs SET max_attempts = -1 WHERE id = $1`, [badJob!.id]);
    await client.end();
    const r = await store.applyAndClaim({
      transitions: [{ jobId: first!.id, leaseToken: c!.leaseToken, startedAgoMs: 1, outcome: { kind: 'complete', resultJson: null } }],
      claim: { workerId: 'w', queues: [{ queue: 'default', limit: 10 }], names: ['test-job'], leaseMs: 30_000 },
    });
    expect(r.results).toEqual(['applied']);
    expect(r.jobs.map((j) => j.id)).toEqual([next!.id]);
    expect((await store.getJob({ jobId: badJob!.id }))!.error!.code).toBe('UNREADABLE_JOB');
  });
});
