/**
 * The built `docket` binary against a temporary SQLite store: migrate,
 * enqueue (single and NDJSON bulk), jobs, queues, stats, usage errors and
 * exit codes. Each test gets a fresh store file.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ensureBuilt, FIXTURE_CONFIG, runDocket, runJson, tempDir } from './helpers.js';

let tmp: ReturnType<typeof tempDir>;
let store: string;
/** Global flags every call gets: the temp store and the fixture config. */
let base: string[];

beforeAll(async () => {
  await ensureBuilt();
}, 180_000);

beforeEach(() => {
  tmp = tempDir();
  store = `sqlite:${join(tmp.dir, 'docket.db')}`;
  base = ['--store', store, '--config', FIXTURE_CONFIG];
});

afterEach(() => tmp.cleanup());

describe('usage', () => {
  it('prints help with every command and exits 0', async () => {
    const r = await runDocket(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['serve', 'worker', 'enqueue', 'jobs', 'queues', 'schedules', 'stats', 'migrate', 'doctor', 'bench']) expect(r.stdout).toContain(c);
  });

  it('prints the version', async () => {
    const r = await runDocket(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('exits 2 on an unknown command, an unknown flag and a bad flag value', async () => {
    expect((await runDocket(['frobnicate'])).code).toBe(2);
    expect((await runDocket(['jobs', 'list', '--frob'])).code).toBe(2);
    const bad = await runDocket([...base, 'jobs', 'list', '--state', 'sleeping']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown state "sleeping"');
    expect((await runDocket([...base, 'enqueue', 'echo', '--priority', 'high'])).code).toBe(2);
  });

  it('under --json a usage error is one JSON error object (code USAGE), still exit 2; --limit names the flag', async () => {
    const unknown = await runJson([...base, 'jobs', 'list', '--frob']);
    expect(unknown.code).toBe(2);
    expect(JSON.parse(unknown.stderr)).toEqual({ error: { code: 'USAGE', message: "unknown option '--frob'", details: { reason: 'unknownOption' } } });
    const limit = await runJson([...base, 'jobs', 'list', '--limit', '5000']);
    expect(limit.code).toBe(2);
    const error = JSON.parse(limit.stderr).error;
    expect(error.message).toContain('--limit');
    expect(error.message).not.toContain('query.limit');
  });

  it('exits 5 for a config file that does not exist or a store URL it cannot use', async () => {
    const missing = await runDocket(['--config', join(tmp.dir, 'nope.config.ts'), 'jobs', 'list']);
    expect(missing.code).toBe(5);
    expect(missing.stderr).toContain('config file not found');
    const badUrl = await runJson(['--store', 'mysql://x', 'jobs', 'list']);
    expect(badUrl.code).toBe(5);
    expect(JSON.parse(badUrl.stderr).error.message).toContain('unsupported store URL');
  });
});

describe('migrate', () => {
  it('creates the schema, then reports it current', async () => {
    const first = await runJson<{ schemaVersionBefore: number; schemaVersion: number; kind: string }>([...base, 'migrate']);
    expect(first.code).toBe(0);
    expect(first.json.kind).toBe('sqlite');
    expect(first.json.schemaVersionBefore).toBe(0);
    expect(first.json.schemaVersion).toBeGreaterThan(0);
    const again = await runDocket([...base, 'migrate']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`already at version ${first.json.schemaVersion}`);
  });
});

describe('enqueue', () => {
  it('enqueues a defined job and prints its id, queue and state', async () => {
    const r = await runDocket([...base, 'enqueue', 'send-email', '--data', '{"to":"ada@example.com"}']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('enqueued job 1 (send-email on queue emails, waiting)\n');
    const shown = await runJson<{ data: unknown; queue: string; leaseToken?: unknown }>([...base, 'jobs', 'show', '1']);
    expect(shown.json.data).toEqual({ to: 'ada@example.com' });
    expect(shown.json).not.toHaveProperty('leaseToken');
  });

  it('--json, options, delay and idempotency keys', async () => {
    const a = await runJson<{ id: string; created: boolean; state: string; queue: string }>([...base, 'enqueue', 'echo', '--data', '[1,2]', '--queue', 'special', '--priority', '5', '--key', 'once', '--delay', '1h']);
    expect(a.code).toBe(0);
    expect(a.json).toMatchObject({ created: true, state: 'delayed', queue: 'special' });
    const again = await runJson<{ id: string; created: boolean }>([...base, 'enqueue', 'echo', '--key', 'once']);
    expect(again.json).toMatchObject({ id: a.json.id, created: false });
    const human = await runDocket([...base, 'enqueue', 'echo', '--key', 'once']);
    expect(human.stdout).toContain(`job ${a.json.id} already holds key once`);
    const job = await runJson<{ priority: number; runAt: string; createdAt: string }>([...base, 'jobs', 'show', a.json.id]);
    expect(job.json.priority).toBe(5);
    expect(Date.parse(job.json.runAt) - Date.parse(job.json.createdAt)).toBeGreaterThanOrEqual(3_600_000 - 1_000);
  });

  it('reads data from a file (@path) and from stdin (@-)', async () => {
    const file = join(tmp.dir, 'data.json');
    writeFileSync(file, '{"to":"grace@example.com"}');
    const a = await runJson<{ id: string }>([...base, 'enqueue', 'send-email', '--data', `@${file}`]);
    expect(a.code).toBe(0);
    const b = await runJson<{ id: string }>([...base, 'enqueue', 'echo', '--data', '@-'], { input: '{"from":"stdin"}' });
    expect(b.code).toBe(0);
    expect((await runJson<{ data: unknown }>([...base, 'jobs', 'show', b.json.id])).json.data).toEqual({ from: 'stdin' });
  });

  it('exits 3 for a job the config does not define, and lists what it does define', async () => {
    const r = await runDocket([...base, 'enqueue', 'send-sms']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('no job named "send-sms"');
    expect(r.stderr).toContain('send-email, echo, decline, slow');
    expect(existsSync(join(tmp.dir, 'docket.db'))).toBe(false);
  });

  it('exits 2 for an invalid name, bad JSON, data the schema refuses, and conflicting flags', async () => {
    const name = await runJson([...base, 'enqueue', 'bad name!']);
    expect(name.code).toBe(2);
    expect(JSON.parse(name.stderr).error.code).toBe('INVALID_NAME');
    const json = await runDocket([...base, 'enqueue', 'echo', '--data', '{to:']);
    expect(json.code).toBe(2);
    expect(json.stderr).toContain('--data is not valid JSON');
    const schema = await runJson([...base, 'enqueue', 'send-email', '--data', '{"to":"not-an-email"}']);
    expect(schema.code).toBe(2);
    expect(JSON.parse(schema.stderr).error.code).toBe('INVALID_DATA');
    expect((await runDocket([...base, 'enqueue', 'echo', '--delay', '5s', '--run-at', '2030-01-01T00:00:00Z'])).code).toBe(2);
    expect((await runDocket([...base, 'enqueue', 'echo', '--delay', 'soon'])).code).toBe(2);
    // nothing was written by any of them, not even docket's tables (and jobs list does not create them)
    const list = await runJson([...base, 'jobs', 'list']);
    expect(list.code).toBe(6);
    expect(JSON.parse(list.stderr).error.code).toBe('STORE_NOT_FOUND');
  });

  it('without a config file refuses to enqueue (exit 5) and says why', async () => {
    const r = await runDocket(['--store', store, '--no-config', 'enqueue', 'echo'], { cwd: tmp.dir });
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('no config file');
  });

  it('finds docket.config.ts in the working directory', async () => {
    writeFileSync(join(tmp.dir, 'docket.config.mjs'), "export default { jobs: { hello: { handler: () => 'hi' } } };\n");
    const r = await runJson<{ created: boolean }>(['--store', store, 'enqueue', 'hello'], { cwd: tmp.dir });
    expect(r.code).toBe(0);
    expect(r.json.created).toBe(true);
  });
});

describe('enqueue --file (NDJSON)', () => {
  it('enqueues every line in order, in batches', async () => {
    const file = join(tmp.dir, 'jobs.ndjson');
    const lines = Array.from({ length: 2_500 }, (_, i) => JSON.stringify(i % 2 ? { name: 'echo', data: { i } } : { name: 'send-email', data: { to: `u${i}@example.com` }, options: { priority: 1 } }));
    writeFileSync(file, `${lines.join('\n')}\n\n`);
    const r = await runJson<{ jobs: number; created: number; existing: number }>([...base, 'enqueue', '--file', file, '--batch', '1000']);
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({ jobs: 2_500, created: 2_500, existing: 0 });
    const stats = await runJson<{ totals: { waiting: number } }>([...base, 'stats']);
    expect(stats.json.totals.waiting).toBe(2_500);
    const oldest = await runJson<{ jobs: Array<{ data: unknown; name: string }> }>([...base, 'jobs', 'list', '--order', 'asc', '--limit', '2']);
    expect(oldest.json.jobs.map((j) => j.data)).toEqual([{ to: 'u0@example.com' }, { i: 1 }]);
  });

  it('with a job name, each line is the data', async () => {
    const file = join(tmp.dir, 'data.ndjson');
    writeFileSync(file, '{"a":1}\n{"a":2}\n[3]\n');
    const r = await runDocket([...base, 'enqueue', 'echo', '--file', file, '--queue', 'bulk']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^enqueued 3 jobs from .*data\.ndjson in /);
    const q = await runJson<{ queues: Array<{ queue: string; counts: { waiting: number } }> }>([...base, 'queues']);
    expect(q.json.queues.find((x) => x.queue === 'bulk')?.counts.waiting).toBe(3);
  });

  it('a malformed line or an unknown name writes nothing and names the line', async () => {
    const bad = join(tmp.dir, 'bad.ndjson');
    writeFileSync(bad, '{"name":"echo","data":1}\n{"name":"echo","data":2}\n{"name":"echo",\n');
    const r = await runDocket([...base, 'enqueue', '--file', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('bad.ndjson:3: not valid JSON');
    const unknown = join(tmp.dir, 'unknown.ndjson');
    writeFileSync(unknown, '{"name":"echo"}\n{"name":"nope"}\n');
    const u = await runDocket([...base, 'enqueue', '--file', unknown]);
    expect(u.code).toBe(3);
    expect(u.stderr).toContain('unknown.ndjson:2: no job named "nope"');
    expect(existsSync(join(tmp.dir, 'docket.db'))).toBe(false);
  });

  it('data a schema refuses stops at its batch and says what was stored before it', async () => {
    const file = join(tmp.dir, 'mixed.ndjson');
    const lines = Array.from({ length: 30 }, (_, i) => JSON.stringify({ name: 'send-email', data: { to: i === 24 ? 'broken' : `u${i}@example.com` } }));
    writeFileSync(file, lines.join('\n'));
    const r = await runJson([...base, 'enqueue', '--file', file, '--batch', '10']);
    expect(r.code).toBe(2);
    const err = JSON.parse(r.stderr).error;
    expect(err.code).toBe('INVALID_DATA');
    expect(err.details).toMatchObject({ line: 25, enqueuedBefore: 20 });
    expect((await runJson<{ totals: { waiting: number } }>([...base, 'stats'])).json.totals.waiting).toBe(20);
  });
});

describe('jobs', () => {
  beforeEach(async () => {
    for (const data of ['{"n":1}', '{"n":2}', '{"n":3}']) expect((await runDocket([...base, 'enqueue', 'echo', '--data', data])).code).toBe(0);
  });

  it('list: a table by default, JSON with --json, filters and cursor paging', async () => {
    const table = await runDocket([...base, 'jobs', 'list']);
    expect(table.code).toBe(0);
    const [header, ...rows] = table.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^ID\s+NAME\s+QUEUE\s+STATE\s+ATTEMPT/);
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatch(/^\s*3\s+echo\s+default\s+waiting\s+0\/3/);

    const page1 = await runJson<{ jobs: Array<{ id: string }>; nextCursor: string | null }>([...base, 'jobs', 'list', '--limit', '2']);
    expect(page1.json.jobs.map((j) => j.id)).toEqual(['3', '2']);
    expect(page1.json.nextCursor).toBeTruthy();
    const page2 = await runJson<{ jobs: Array<{ id: string }>; nextCursor: string | null }>([...base, 'jobs', 'list', '--limit', '2', '--cursor', page1.json.nextCursor!]);
    expect(page2.json.jobs.map((j) => j.id)).toEqual(['1']);
    expect(page2.json.nextCursor).toBeNull();

    const none = await runDocket([...base, 'jobs', 'list', '--state', 'failed,cancelled']);
    expect(none.stdout).toBe('no jobs match\n');
    const search = await runJson<{ jobs: Array<{ id: string }> }>([...base, 'jobs', 'list', '--search', '"n":2']);
    expect(search.json.jobs.map((j) => j.id)).toEqual(['2']);
  });

  it('list and show work on the store alone, without a config file', async () => {
    const r = await runJson<{ jobs: unknown[] }>(['--store', store, '--no-config', 'jobs', 'list']);
    expect(r.code).toBe(0);
    expect(r.json.jobs).toHaveLength(3);
    expect((await runDocket(['--store', store, '--no-config', 'jobs', 'show', '2'])).stdout).toMatch(/^id: +2$/m);
  });

  it('show: fields for humans; exit 3 for a job that does not exist', async () => {
    const r = await runDocket([...base, 'jobs', 'show', '2']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^state: +waiting$/m);
    expect(r.stdout).toMatch(/^data: +\{"n":2\}$/m);
    const missing = await runJson([...base, 'jobs', 'show', '999']);
    expect(missing.code).toBe(3);
    expect(JSON.parse(missing.stderr).error).toMatchObject({ code: 'JOB_NOT_FOUND', details: { jobId: '999' } });
  });

  it('cancel, then cancel again (exit 4), then retry; retry of a waiting job exits 4', async () => {
    const c = await runJson<{ outcome: string; state: string }>([...base, 'jobs', 'cancel', '1', '--reason', 'test']);
    expect(c.code).toBe(0);
    expect(c.json).toMatchObject({ outcome: 'cancelled', state: 'cancelled' });
    const again = await runDocket([...base, 'jobs', 'cancel', '1']);
    expect(again.code).toBe(4);
    expect(again.stderr).toContain('already finished (cancelled)');
    const r = await runDocket([...base, 'jobs', 'retry', '1']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('job 1 is waiting again\n');
    const waiting = await runJson([...base, 'jobs', 'retry', '2']);
    expect(waiting.code).toBe(4);
    expect(JSON.parse(waiting.stderr).error.code).toBe('INVALID_TRANSITION');
    expect((await runDocket([...base, 'jobs', 'cancel', '999'])).code).toBe(3);
    expect((await runDocket([...base, 'jobs', 'retry', '999'])).code).toBe(3);
  });

  it('a store file that does not exist is an error (exit 6), not a new empty database', async () => {
    const missing = join(tmp.dir, 'missing.db');
    const r = await runDocket(['--store', `sqlite:${missing}`, 'jobs', 'list']);
    expect(r.code).toBe(6);
    expect(r.stderr).toContain(`no store at ${missing}`);
    expect(existsSync(missing)).toBe(false);
  });

  it('takes the store from DOCKET_STORE, then DATABASE_URL, behind --store', async () => {
    const other = `sqlite:${join(tmp.dir, 'other.db')}`;
    expect((await runJson<{ jobs: unknown[] }>(['--no-config', 'jobs', 'list'], { env: { DOCKET_STORE: store, DATABASE_URL: other } })).json.jobs).toHaveLength(3);
    expect((await runJson<{ jobs: unknown[] }>(['--no-config', 'jobs', 'list'], { env: { DATABASE_URL: store } })).json.jobs).toHaveLength(3);
    expect((await runDocket(['--no-config', '--store', other, 'jobs', 'list'], { env: { DOCKET_STORE: store } })).code).toBe(6);
  });
});

describe('queues and stats', () => {
  it('lists queues with counts, pauses and resumes one', async () => {
    await runDocket([...base, 'enqueue', 'send-email', '--data', '{"to":"a@example.com"}']);
    const list = await runDocket([...base, 'queues']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^QUEUE\s+STATUS\s+WAITING/);
    expect(list.stdout).toMatch(/^emails\s+running\s+1\s/m);
    expect(list.stdout).toMatch(/^emails\s.*\s2$/m); // configured concurrency

    expect((await runDocket([...base, 'queues', 'pause', 'emails'])).stdout).toBe('queue emails paused\n');
    const paused = await runJson<{ queues: Array<{ queue: string; paused: boolean; concurrency: number | null }> }>([...base, 'queues', 'list']);
    expect(paused.json.queues.find((q) => q.queue === 'emails')).toMatchObject({ paused: true, concurrency: 2 });
    const resumed = await runJson<{ queue: string; paused: boolean }>([...base, 'queues', 'resume', 'emails']);
    expect(resumed.json).toEqual({ queue: 'emails', paused: false });
    expect((await runDocket([...base, 'queues', 'pause', 'no good'])).code).toBe(2);
  });

  it('queues set changes a queue policy for every process; show prints it; bad values exit 2', async () => {
    expect((await runDocket([...base, 'migrate'])).code).toBe(0);
    const set = await runJson<{ queue: string; policy: unknown; effectivePolicy: { retention: Record<string, { maxAgeMs: number | null; maxCount: number | null }> } }>([
      ...base,
      'queues',
      'set',
      'emails',
      '--retention-completed-max-count',
      '500',
      '--retention-completed-max-age',
      '2d',
      '--retention-failed-max-age',
      'unlimited',
    ]);
    expect(set.code).toBe(0);
    expect(set.json.policy).toEqual({ retention: { completed: { maxCount: 500, maxAgeMs: 172_800_000 }, failed: { maxAgeMs: 'unlimited' } } });
    expect(set.json.effectivePolicy.retention.failed!.maxAgeMs).toBeNull();
    // `default` clears a key; --policy takes a JSON merge patch
    const cleared = await runJson<{ policy: unknown }>([...base, 'queues', 'set', 'emails', '--retention-completed-max-age', 'default', '--policy', '{"retention":{"failed":null}}']);
    expect(cleared.json.policy).toEqual({ retention: { completed: { maxCount: 500 } } });
    const show = await runDocket([...base, 'queues', 'show', 'emails']);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/^  completed max age 7d, max count 500 \(set\)$/m);
    const list = await runJson<{ queues: Array<{ queue: string; policy: unknown }> }>([...base, 'queues', 'list']);
    expect(list.json.queues.find((q) => q.queue === 'emails')?.policy).toEqual({ retention: { completed: { maxCount: 500 } } });
    expect((await runDocket([...base, 'queues', 'set', 'emails', '--retention-completed-max-count', '-3'])).code).toBe(2);
    expect((await runDocket([...base, 'queues', 'set', 'emails', '--policy', '{"concurency":2}'])).code).toBe(2);
    expect((await runDocket([...base, 'queues', 'set', 'emails'])).code).toBe(2);
    expect((await runDocket([...base, 'queues', 'set', 'no good', '--retention-failed-max-count', '1'])).code).toBe(2);
  });

  it('stats: totals by state, windows, workers', async () => {
    await runDocket([...base, 'enqueue', 'echo']);
    await runDocket([...base, 'jobs', 'cancel', '1']);
    const s = await runJson<{ totals: Record<string, number>; windows: Array<{ windowMs: number; cancelled: number }>; workers: unknown[] }>([...base, 'stats']);
    expect(s.code).toBe(0);
    expect(s.json.totals).toEqual({ waiting: 0, delayed: 0, active: 0, completed: 0, failed: 0, cancelled: 1 });
    expect(s.json.windows.map((w) => w.windowMs)).toEqual([60_000, 900_000, 3_600_000]);
    expect(s.json.windows[0]!.cancelled).toBe(1);
    expect(s.json.workers).toEqual([]);
    const human = await runDocket([...base, 'stats']);
    expect(human.stdout).toContain('jobs: waiting 0 · delayed 0 · active 0 · completed 0 · failed 0 · cancelled 1');
    expect(human.stdout).toMatch(/^last 1m\s+0\s+0\s+1\s/m);
  });
});
