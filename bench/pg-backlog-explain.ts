/**
 * Where a PostgreSQL drain's time goes at a large backlog: fills a fresh
 * schema with --backlog jobs, then drains it the way a busy worker does (each
 * round completes the previous round's jobs and claims --claim more, in one
 * applyAndClaim statement) and, at --at fractions of the drain, prints
 * EXPLAIN (ANALYZE, BUFFERS) of that statement (run inside a transaction that
 * is rolled back), plus the round rate since the last checkpoint.
 *
 *   PG_URL=postgres://… npx tsx bench/pg-backlog-explain.ts [--backlog 1000000] [--claim 512] [--at 0,0.25,0.5,0.75,0.95] [--generic]
 */
import { parseArgs } from 'node:util';
import pg from 'pg';
import type { ClaimedJob, NewJob } from '../src/core/job.js';
import { PostgresStore } from '../src/stores/postgres/index.js';

const { values: a } = parseArgs({
  options: {
    backlog: { type: 'string', default: '1000000' },
    claim: { type: 'string', default: '512' },
    at: { type: 'string', default: '0,0.25,0.5,0.75,0.95' },
    generic: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    'vacuum-every': { type: 'string', default: '0' },
    'no-explain': { type: 'boolean', default: false },
  },
});
const B = Number(a.backlog);
const CLAIM = Number(a.claim);
const AT = a.at!.split(',').map(Number);
const url = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5490/docket_bench';
const schema = `explain_${process.pid}`;

const job = (i: number): NewJob => ({
  name: 'bench', queue: 'default', dataJson: JSON.stringify({ r: 'x', i, t: Date.now() }), priority: 0, delayMs: 0, runAt: null,
  maxAttempts: 3, timeoutMs: null, idempotencyKey: null, keepKeyForever: false, releaseKeyOnFailure: false, scheduleName: null, fireTime: null,
});

const store = new PostgresStore({ connectionString: url, schema });
await store.migrate();
const admin = new pg.Client({ connectionString: url });
await admin.connect();
const log = (s: string) => process.stdout.write(`${s}\n`);
try {
  const t = performance.now();
  for (let i = 0; i < B; i += 5000) await store.enqueue({ jobs: Array.from({ length: Math.min(5000, B - i) }, (_, k) => job(i + k)) });
  const t1 = performance.now();
  log(`filled ${B} in ${Math.round(performance.now() - t)} ms`);
  await admin.query('CHECKPOINT');
  // @ts-expect-error private: the statement the worker's round sends
  const stmt = store.hot.completeAndClaim as { text: string };
  const claim = { workerId: 'w', queues: [{ queue: 'default', limit: CLAIM }], names: ['bench'], leaseMs: 30_000 };
  let held: ClaimedJob[] = await store.claimJobs(claim);
  let done = 0;
  let next = 0;
  let mark = { done: 0, t: performance.now() };
  const statTable = async () =>
    (await admin.query(`SELECT n_live_tup, n_dead_tup, autovacuum_count, pg_relation_size(relid)/8192 AS pages FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = 'jobs'`, [schema])).rows[0];
  const VAC = Number(a['vacuum-every']);
  let vacAt = VAC;
  let vacuuming: Promise<unknown> | null = null;
  let vacMs = 0, vacN = 0;
  const vacClient = new pg.Client({ connectionString: url });
  await vacClient.connect();
  while (held.length > 0) {
    if (VAC > 0 && done >= vacAt && !vacuuming) {
      vacAt = done + VAC;
      const t0 = performance.now();
      vacuuming = vacClient.query(`VACUUM "${schema}".jobs`).then(() => { vacMs += performance.now() - t0; vacN++; vacuuming = null; });
    }
    if (!a['no-explain'] && next < AT.length && done >= AT[next]! * B) {
      next++;
      const ms = performance.now() - mark.t;
      log(`\n=== ${done} done (${Math.round((done / B) * 100)} %): ${Math.round(((done - mark.done) / ms) * 1000)} jobs/s since last mark; table ${JSON.stringify(await statTable())}`);
      const values = [held.map((j) => j.id), held.map((j) => j.leaseToken), held.map(() => null), held.map(() => 1), held.map(() => false), ['default'], [CLAIM], ['bench'], 30_000, 'w', 'x.'];
      await admin.query('BEGIN');
      if (a.generic) await admin.query('SET LOCAL plan_cache_mode = force_generic_plan');
      const { rows } = await admin.query({ text: `EXPLAIN (ANALYZE, BUFFERS, WAL) ${stmt.text}`, values });
      await admin.query('ROLLBACK');
      log(rows.map((r) => r['QUERY PLAN']).join('\n'));
      mark = { done, t: performance.now() };
    }
    const r = await store.applyAndClaim({ transitions: held.map((j) => ({ jobId: j.id, leaseToken: j.leaseToken, startedAgoMs: 1, outcome: { kind: 'complete' as const, resultJson: null } })), claim });
    done += r.results.filter((x) => x === 'applied').length;
    held = r.jobs;
  }
  await vacuuming;
  await vacClient.end();
  log(`vacuums: ${vacN}, ${Math.round(vacMs)} ms in all`);
  const ms = performance.now() - mark.t;
  log(`\n=== end: ${done} done; ${Math.round(((done - mark.done) / ms) * 1000)} jobs/s since last mark, ${Math.round(done / ((performance.now() - t1) / 1000))} jobs/s overall; table ${JSON.stringify(await statTable())}`);
} finally {
  if (!a.keep) await admin.query(`DROP SCHEMA "${schema}" CASCADE`);
  await admin.end();
  await store.close();
}
