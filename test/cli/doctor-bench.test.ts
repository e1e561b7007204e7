/**
 * `docket doctor` on good and bad SQLite settings (and PostgreSQL when it is
 * installed), the CLI on a PostgreSQL store, and a small `docket bench`.
 */
import { chmodSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { postgresAvailability, startPostgresServer, uniqueSchema, type PostgresServer } from '../support/postgres/postgres-server.js';
import { ensureBuilt, FIXTURE_CONFIG, runDocket, runJson, tempDir } from './helpers.js';

interface DoctorReport {
  ok: boolean;
  failed: number;
  warnings: number;
  checks: Array<{ check: string; status: string; value: string; fix?: string }>;
}

let tmp: ReturnType<typeof tempDir>;
let db: string;

beforeAll(async () => {
  await ensureBuilt();
}, 180_000);

beforeEach(() => {
  tmp = tempDir();
  db = join(tmp.dir, 'docket.db');
});

afterEach(() => tmp.cleanup());

const check = (r: DoctorReport, name: string) => r.checks.find((c) => c.check === name);

describe('docket doctor (SQLite)', () => {
  it('a migrated file with private permissions is all good (exit 0)', async () => {
    await runDocket(['--store', `sqlite:${db}`, 'migrate']);
    chmodSync(db, 0o600);
    const r = await runJson<DoctorReport>(['--store', `sqlite:${db}`, '--no-config', 'doctor']);
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({ ok: true, failed: 0, warnings: 0 });
    expect(check(r.json, 'journal_mode')).toMatchObject({ status: 'ok', value: 'wal' });
    expect(check(r.json, 'synchronous')!.status).toBe('ok');
    expect(check(r.json, 'busy_timeout')).toMatchObject({ status: 'ok', value: '10000 ms' });
    expect(check(r.json, 'sqlite version')!.status).toBe('ok');
    expect(check(r.json, 'schema')!.status).toBe('ok');
    const human = await runDocket(['--store', `sqlite:${db}`, '--no-config', 'doctor']);
    expect(human.stdout).toMatch(/^OK\s+journal_mode\s+wal$/m);
    expect(human.stdout).toMatch(/all good\n$/);
  });

  it('flags synchronous=OFF, a short busy timeout and a world-writable file, says how to fix them, exits 7', async () => {
    await runDocket(['--store', `sqlite:${db}`, 'migrate']);
    chmodSync(db, 0o666);
    const url = `sqlite:${db}?synchronous=OFF&busyTimeoutMs=100`;
    const r = await runJson<DoctorReport>(['--store', url, '--no-config', 'doctor']);
    expect(r.code).toBe(7);
    expect(r.json.ok).toBe(false);
    expect(check(r.json, 'synchronous')).toMatchObject({ status: 'fail', fix: expect.stringContaining('FULL') });
    expect(check(r.json, 'busy_timeout')).toMatchObject({ status: 'warn' });
    expect(check(r.json, 'file permissions')).toMatchObject({ status: 'fail', value: expect.stringContaining('666'), fix: expect.stringContaining(`chmod o-w ${db}`) });
    const human = await runDocket(['--store', url, '--no-config', 'doctor']);
    expect(human.code).toBe(7);
    expect(human.stdout).toContain('to fix:');
    expect(human.stdout).toMatch(/^FAIL\s+synchronous\s+OFF/m);
  });

  it('warnings (NORMAL, a world-readable file, no schema yet) pass unless --strict', async () => {
    const url = `sqlite:${db}?synchronous=NORMAL`;
    const missing = await runJson<DoctorReport>(['--store', url, '--no-config', 'doctor']);
    expect(missing.code).toBe(0);
    expect(check(missing.json, 'database file')).toMatchObject({ status: 'warn', fix: expect.stringContaining('docket migrate') });
    expect(existsSync(db)).toBe(false); // doctor does not create the database
    await runDocket(['--store', url, 'migrate']);
    chmodSync(db, 0o644);
    const r = await runJson<DoctorReport>(['--store', url, '--no-config', 'doctor']);
    expect(r.code).toBe(0);
    expect(check(r.json, 'synchronous')!.status).toBe('warn');
    expect(check(r.json, 'file permissions')!.status).toBe('warn');
    expect((await runDocket(['--store', url, '--no-config', 'doctor', '--strict'])).code).toBe(7);
  });

  it('reports the config file it found', async () => {
    const r = await runJson<DoctorReport>(['--store', `sqlite:${db}`, '--config', FIXTURE_CONFIG, 'doctor']);
    expect(check(r.json, 'config')!.value).toContain('4 job definition(s)');
  });
});

const pg = postgresAvailability();
if (!pg.available) process.stderr.write(`\n*** SKIPPING CLI PostgreSQL tests: ${pg.reason} ***\n\n`);

describe.skipIf(!pg.available)('on PostgreSQL', () => {
  let server: PostgresServer;
  beforeAll(async () => {
    server = await startPostgresServer();
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('doctor reports the server version and the schema; migrate, enqueue and jobs list work on the store', async () => {
    const url = `${server.url}?schema=${uniqueSchema('cli')}`;
    const before = await runJson<DoctorReport>(['--store', url, '--no-config', 'doctor']);
    expect(before.code).toBe(0);
    expect(check(before.json, 'postgres version')).toMatchObject({ status: 'ok', value: expect.stringMatching(/^\d+/) });
    expect(before.json.checks.find((c) => c.check.startsWith('schema'))).toMatchObject({ status: 'warn', value: 'not created yet' });

    expect((await runDocket(['--store', url, 'migrate'])).code).toBe(0);
    const after = await runJson<DoctorReport>(['--store', url, '--no-config', 'doctor']);
    expect(after.json).toMatchObject({ ok: true, warnings: 0 });

    const e = await runJson<{ id: string; created: boolean }>(['--store', url, '--config', FIXTURE_CONFIG, 'enqueue', 'echo', '--data', '{"on":"pg"}']);
    expect(e.json.created).toBe(true);
    const list = await runJson<{ jobs: Array<{ id: string; data: unknown }> }>(['--store', url, '--no-config', 'jobs', 'list']);
    expect(list.json.jobs).toEqual([expect.objectContaining({ id: e.json.id, data: { on: 'pg' } })]);
  });

  it('doctor says what to check when the server cannot be reached (exit 7)', async () => {
    const r = await runJson<DoctorReport>(['--store', 'postgres://nobody@127.0.0.1:1/none', '--no-config', 'doctor']);
    expect(r.code).toBe(7);
    expect(check(r.json, 'connection')).toMatchObject({ status: 'fail', fix: expect.stringContaining('pg_hba.conf') });
  });
});

describe('docket bench', () => {
  it('runs a small benchmark on a temporary file and verifies every job ran', async () => {
    const r = await runJson<{ n: number; lost: number; dup: number; enqueueBulkPerSec: number; drainPerSec: number; latencyMs: { samples: number; p50: number } }>(
      ['bench', '--n', '400', '--latency', '20', '--dir', tmp.dir],
      { timeoutMs: 120_000 },
    );
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({ n: 400, lost: 0, dup: 0 });
    expect(r.json.enqueueBulkPerSec).toBeGreaterThan(0);
    expect(r.json.drainPerSec).toBeGreaterThan(0);
    expect(r.json.latencyMs.samples).toBe(20);
    const human = await runDocket(['bench', '--n', '200', '--latency', '0', '--sync', 'NORMAL', '--dir', tmp.dir], { timeoutMs: 120_000 });
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^drain, concurrency 32\s+[\d,]+ jobs\/s$/m);
    expect(human.stdout).toContain('200 of 200 jobs ran; lost 0, duplicates 0');
  }, 180_000);
});
