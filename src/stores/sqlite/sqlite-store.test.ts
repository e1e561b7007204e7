import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock.js';
import type { NewJob } from '../../core/job.js';
import { runStoreConformance } from '../../store/conformance/index.js';
import { SqliteStore } from './index.js';
import { MIGRATIONS, runMigrations, type Migration } from './migrations.js';

const dir = mkdtempSync(join(tmpdir(), 'docket-sqlite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshPath = (): string => join(dir, `db-${n++}.db`);

runStoreConformance({
  name: 'sqlite (file)',
  createStore: async () => {
    const store = new SqliteStore({ path: freshPath() });
    await store.migrate();
    return store;
  },
});

runStoreConformance({
  name: 'sqlite (memory)',
  createStore: async () => {
    const store = new SqliteStore({ path: ':memory:' });
    await store.migrate();
    return store;
  },
});

function job(overrides: Partial<NewJob> = {}): NewJob {
  return {
    name: 'mp',
    queue: 'default',
    dataJson: '{}',
    priority: 0,
    delayMs: 0,
    runAt: null,
    maxAttempts: 3,
    timeoutMs: null,
    idempotencyKey: null,
    keepKeyForever: false,
    releaseKeyOnFailure: false,
    scheduleName: null,
    fireTime: null,
    ...overrides,
  };
}

async function rejection(p: Promise<unknown> | (() => unknown)): Promise<{ code?: string; field?: string; message: string }> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    return e as { code?: string; field?: string; message: string };
  }
  throw new Error('expected a rejection');
}

describe('SqliteStore options', () => {
  it('rejects bad options with a typed error naming the field', async () => {
    const cases: Array<[unknown, string]> = [
      [undefined, 'sqlite'],
      [{}, 'sqlite.path'],
      [{ path: '' }, 'sqlite.path'],
      [{ path: ':memory:', synchronous: 'FAST' }, 'sqlite.synchronous'],
      [{ path: ':memory:', busyTimeoutMs: -1 }, 'sqlite.busyTimeoutMs'],
      [{ path: ':memory:', busyTimeoutMs: 1.5 }, 'sqlite.busyTimeoutMs'],
      [{ path: ':memory:', clock: { now: 1 } }, 'sqlite.clock'],
      [{ path: ':memory:', migrate: 'no' }, 'sqlite.migrate'],
      [{ path: ':memory:', walMode: true }, 'sqlite.walMode'],
    ];
    for (const [options, field] of cases) {
      const e = await rejection(() => new SqliteStore(options as never));
      expect(e, JSON.stringify(options)).toMatchObject({ code: 'INVALID_CONFIG', field });
    }
  });

  it('a file in a missing directory is a STORE_ERROR', async () => {
    const e = await rejection(() => new SqliteStore({ path: join(dir, 'missing', 'x.db') }));
    expect(e.code).toBe('STORE_ERROR');
  });

  it('applies WAL, synchronous and busy_timeout', async () => {
    const file = new SqliteStore({ path: freshPath() });
    await file.migrate();
    expect(await file.diagnostics()).toMatchObject({ journalMode: 'wal', synchronous: 'FULL', busyTimeoutMs: 10_000 });
    await file.close();
    const normal = new SqliteStore({ path: freshPath(), synchronous: 'NORMAL', busyTimeoutMs: 1234 });
    expect(await normal.diagnostics()).toMatchObject({ journalMode: 'wal', synchronous: 'NORMAL', busyTimeoutMs: 1234 });
    await normal.close();
    const off = new SqliteStore({ path: ':memory:', synchronous: 'OFF' });
    expect(await off.diagnostics()).toMatchObject({ journalMode: 'memory', synchronous: 'OFF' });
    await off.close();
  });

  it('a claim alone commits without its own fsync at FULL, and leaves the connection at FULL for every other write', async () => {
    const store = new SqliteStore({ path: freshPath() });
    await store.migrate();
    const job: NewJob = {
      name: 'j', queue: 'q', dataJson: '{}', priority: 0, delayMs: 0, runAt: null, maxAttempts: 1, timeoutMs: null,
      idempotencyKey: null, keepKeyForever: false, releaseKeyOnFailure: false, scheduleName: null, fireTime: null,
    };
    await store.enqueue({ jobs: [job, job] });
    const [claimed] = await store.claimJobs({ workerId: 'w', queues: [{ queue: 'q', limit: 1 }], names: ['j'], leaseMs: 60_000 });
    expect(claimed).toBeDefined();
    expect(await store.diagnostics()).toMatchObject({ synchronous: 'FULL' });
    // A refused claim leaves it at FULL too.
    await expect(store.claimJobs({ workerId: 'w', queues: [{ queue: 'q', limit: 1 }], names: ['j'], leaseMs: 0 })).rejects.toThrow();
    expect(await store.diagnostics()).toMatchObject({ synchronous: 'FULL' });
    await store.close();
  });

  it('cannot join a caller transaction (capability false) and says so', async () => {
    const store = new SqliteStore({ path: ':memory:' });
    await store.migrate();
    expect(store.capabilities).toEqual({ transactionalEnqueue: false });
    expect(await rejection(store.enqueue({ jobs: [job()], tx: {} }))).toMatchObject({ code: 'INVALID_OPTION', field: 'tx' });
    await store.close();
  });

  it('a closed store rejects every call with STORE_CLOSED; close is idempotent', async () => {
    const store = new SqliteStore({ path: ':memory:' });
    await store.migrate();
    await store.close();
    await store.close();
    expect((await rejection(store.getJob({ jobId: '1' }))).code).toBe('STORE_CLOSED');
    expect((await rejection(store.enqueue({ jobs: [job()] }))).code).toBe('STORE_CLOSED');
    expect((await rejection(store.migrate())).code).toBe('STORE_CLOSED');
  });

  it('an injected clock decides every time the store writes or compares', async () => {
    const clock = new ManualClock(Date.UTC(2030, 5, 1));
    const store = new SqliteStore({ path: ':memory:', clock });
    await store.migrate();
    const [r] = await store.enqueue({ jobs: [job({ delayMs: 60_000 })] });
    expect(r!.job!.createdAt).toEqual(new Date(Date.UTC(2030, 5, 1)));
    const claim = (): ReturnType<SqliteStore['claimJobs']> => store.claimJobs({ workerId: 'w', queues: [{ queue: 'default', limit: 1 }], names: ['mp'], leaseMs: 1_000 });
    expect(await claim()).toEqual([]);
    await clock.advance(60_000);
    const [c] = await claim();
    expect(c!.leaseExpiresAt).toEqual(new Date(Date.UTC(2030, 5, 1) + 61_000));
    await clock.advance(10);
    expect(await store.applyTransitions({ transitions: [{ jobId: c!.id, leaseToken: c!.leaseToken, startedAgoMs: 4, outcome: null }] })).toEqual(['applied']);
    expect((await store.getJob({ jobId: c!.id }))!.startedAt).toEqual(new Date(Date.UTC(2030, 5, 1) + 60_006));
    await clock.advance(989);
    expect((await store.rescueExpired({ maxStalls: 1, limit: 10 })).requeued).toEqual([]);
    await clock.advance(1);
    expect((await store.rescueExpired({ maxStalls: 1, limit: 10 })).requeued).toEqual([c!.id]);
    await store.close();
  });
});

describe('SqliteStore migrations', () => {
  it('are idempotent and recorded by version', async () => {
    const path = freshPath();
    const a = new SqliteStore({ path });
    const b = new SqliteStore({ path });
    await Promise.all([a.migrate(), b.migrate()]);
    await a.migrate();
    await a.close();
    await b.close();
    const db = new Database(path, { readonly: true });
    const rows = db.prepare('SELECT version, name FROM docket_migrations ORDER BY version').all();
    db.close();
    expect(rows).toEqual(MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
  });

  it('apply only the versions a database lacks, in order, all in one transaction', () => {
    const db = new Database(':memory:');
    expect(runMigrations(db, 1)).toEqual(MIGRATIONS.map((m) => m.version));
    const next: Migration[] = [
      ...MIGRATIONS,
      { version: MIGRATIONS.length + 1, name: 'add a column', sql: 'ALTER TABLE docket_jobs ADD COLUMN extra TEXT' },
      { version: MIGRATIONS.length + 2, name: 'broken', sql: 'CREATE TABLE docket_jobs (x)' },
    ];
    // The broken one fails, and the good one before it is rolled back with it.
    expect(() => runMigrations(db, 2, next)).toThrow();
    expect(db.prepare('SELECT max(version) AS v FROM docket_migrations').get()).toEqual({ v: MIGRATIONS.length });
    expect(runMigrations(db, 3, next.slice(0, -1))).toEqual([MIGRATIONS.length + 1]);
    expect(runMigrations(db, 4, next.slice(0, -1))).toEqual([]);
    db.close();
  });

  it('with migrate: false, only check: an empty file and an outdated one are refused and left untouched', async () => {
    const path = freshPath();
    const empty = new SqliteStore({ path, migrate: false });
    const refused = await rejection(empty.migrate());
    expect(refused).toMatchObject({ code: 'STORE_ERROR', details: { pending: MIGRATIONS.map((m) => m.version) } });
    const tables = () => (new Database(path).prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>).map((r) => r.name);
    expect(tables()).toEqual([]);
    await empty.close();

    const migrated = new SqliteStore({ path });
    await migrated.migrate();
    await migrated.close();
    const latest = MIGRATIONS.at(-1)!.version;
    new Database(path).prepare('DELETE FROM docket_migrations WHERE version = ?').run(latest);
    const behind = new SqliteStore({ path, migrate: false });
    expect(await rejection(behind.migrate())).toMatchObject({ code: 'STORE_ERROR', details: { pending: [latest] } });
    expect(new Database(path).prepare('SELECT count(*) AS n FROM docket_migrations WHERE version = ?').get(latest)).toEqual({ n: 0 });
    await behind.close();

    const currentPath = freshPath();
    const current = new SqliteStore({ path: currentPath });
    await current.migrate();
    const checked = new SqliteStore({ path: currentPath, migrate: false });
    await checked.migrate();
    expect(await checked.enqueue({ jobs: [job()] })).toHaveLength(1);
    await Promise.all([current.close(), checked.close()]);
  });

  it('refuse a database newer than the code, and a list with gaps', async () => {
    const path = freshPath();
    const store = new SqliteStore({ path });
    await store.migrate();
    const db = new Database(path);
    db.prepare('INSERT INTO docket_migrations (version, name, applied_at) VALUES (999, ?, 0)').run('from the future');
    db.close();
    const e = await rejection(store.migrate());
    expect(e.code).toBe('STORE_ERROR');
    expect(e.message).toMatch(/newer/);
    await store.close();
    expect(() => runMigrations(new Database(':memory:'), 0, [{ version: 2, name: 'gap', sql: '' }])).toThrow(/contiguous/);
  });
});

describe("SqliteStore migration 3 (state 'reserved')", () => {
  it('keeps every stored job readable, and never hands out an id a pruned job had', async () => {
    const path = freshPath();
    const db = new Database(path);
    runMigrations(db, 1, MIGRATIONS.slice(0, 2));
    const insert = db.prepare(`INSERT INTO docket_jobs (name, queue, data, state, priority, run_at, created_at, max_attempts, attempt,
      lease_token, lease_expires_at, started_at, worker_id) VALUES ('mp', 'default', '{"a":1}', ?, 0, 1, 1, 3, ?, ?, ?, ?, ?)`);
    insert.run('waiting', 0, null, null, null, null);
    insert.run('active', 1, 'tok', 9_999_999_999_999, 5, 'w');
    insert.run('completed', 1, null, null, 5, 'w');
    // The newest job was pruned: its id must not come back.
    db.prepare('DELETE FROM docket_jobs WHERE id = 3').run();
    db.close();
    const store = new SqliteStore({ path });
    await store.migrate();
    expect((await store.getJobs({ jobIds: ['1', '2'] })).map((j) => [j.id, j.state, j.reserved, j.attempt, j.data])).toEqual([
      ['1', 'waiting', false, 0, { a: 1 }],
      ['2', 'active', false, 1, { a: 1 }],
    ]);
    const [r] = await store.enqueue({ jobs: [job()] });
    expect(r!.id).toBe('4');
    // The running job keeps its lease through the migration.
    expect(await store.extendLeases({ workerId: 'w', leases: [{ jobId: '2', leaseToken: 'tok' }], leaseMs: 1000 })).toEqual({ lost: [], cancelRequested: [] });
    await store.close();
  });
});

// ------------------------------------------------------------------ several processes on one file

const fixture = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test', 'fixtures', 'sqlite-claimer.ts');

interface Child {
  lines: string[];
  ready: Promise<void>;
  exit: Promise<number | null>;
  send: (line: string) => void;
}

function child(args: string[]): Child {
  const p = spawn(process.execPath, ['--import', 'tsx', fixture, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: string[] = [];
  let buffered = '';
  let onReady = (): void => {};
  const ready = new Promise<void>((r) => (onReady = r));
  p.stdout.on('data', (d: Buffer) => {
    buffered += d.toString();
    for (let i = buffered.indexOf('\n'); i >= 0; i = buffered.indexOf('\n')) {
      const line = buffered.slice(0, i);
      buffered = buffered.slice(i + 1);
      if (line === 'ready') onReady();
      else lines.push(line);
    }
  });
  const exit = new Promise<number | null>((r) => p.on('exit', (code) => r(code)));
  return { lines, ready, exit, send: (line) => p.stdin.write(`${line}\n`) };
}

describe('SqliteStore with several processes on one file', () => {
  it('processes racing to migrate a new file all succeed, and migrate once', async () => {
    const path = freshPath();
    const children = Array.from({ length: 3 }, () => child(['migrate', path]));
    expect(await Promise.all(children.map((c) => c.exit))).toEqual([0, 0, 0]);
    const db = new Database(path, { readonly: true });
    expect(db.prepare('SELECT count(*) AS n FROM docket_migrations').get()).toEqual({ n: MIGRATIONS.length });
    db.close();
  });

  it('concurrent claimers in separate processes never share a job', async () => {
    const path = freshPath();
    const store = new SqliteStore({ path });
    await store.migrate();
    const total = 1500;
    await store.enqueue({ jobs: Array.from({ length: total }, () => job()) });
    const children = Array.from({ length: 3 }, (_, i) => child(['claim', path, `proc-${i}`]));
    await Promise.all(children.map((c) => c.ready));
    for (const c of children) c.send('go');
    expect(await Promise.all(children.map((c) => c.exit))).toEqual([0, 0, 0]);
    const perChild = children.map((c) => (JSON.parse(c.lines.at(-1)!) as { done: string[] }).done);
    const all = perChild.flat();
    expect(all).toHaveLength(total);
    expect(new Set(all).size).toBe(total);
    // Several processes got a share, so they really did claim side by side.
    expect(perChild.filter((ids) => ids.length > 0).length).toBeGreaterThanOrEqual(2);
    const [counts] = await store.countJobs();
    expect(counts!.counts).toMatchObject({ completed: total, waiting: 0, active: 0 });
    await store.close();
  });
});
