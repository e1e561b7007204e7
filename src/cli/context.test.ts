/**
 * Commands on an existing store never create or migrate it (issue 12), on
 * SQLite here (test/cli/postgres-read-only.test.ts: the same on PostgreSQL).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../stores/sqlite/migrations.js';
import { SqliteStore } from '../stores/sqlite/sqlite-store.js';
import { runCliInProcess } from './test-support/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'docket-cli-ctx-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshPath = () => join(dir, `db-${n++}.db`);

function tables(path: string): string[] {
  const db = new Database(path, { readonly: true });
  try {
    return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{ name: string }>).map((r) => r.name);
  } finally {
    db.close();
  }
}

describe('commands on an existing SQLite store', () => {
  it('a file that does not exist: exit 6, STORE_NOT_FOUND, no file made', async () => {
    const path = freshPath();
    const r = await runCliInProcess(['--no-config', '--store', `sqlite:${path}`, 'stats', '--json']);
    expect(r.code).toBe(6);
    expect(JSON.parse(r.stderr).error).toMatchObject({ code: 'STORE_NOT_FOUND', details: { path } });
  });

  it('a file without docket tables (another database, an empty file): exit 6, STORE_NOT_FOUND, no table created', async () => {
    const path = freshPath();
    writeFileSync(path, '');
    const r = await runCliInProcess(['--no-config', '--store', `sqlite:${path}`, 'jobs', 'list', '--json']);
    expect(r.code).toBe(6);
    const error = JSON.parse(r.stderr).error;
    expect(error).toMatchObject({ code: 'STORE_NOT_FOUND', details: { path } });
    expect(error.message).toContain('docket migrate');
    expect(tables(path)).toEqual([]);
  });

  it('a docket database lacking a migration: exit 6, STORE_NOT_MIGRATED, not migrated', async () => {
    const path = freshPath();
    const store = new SqliteStore({ path });
    await store.migrate();
    await store.close();
    const latest = MIGRATIONS.at(-1)!.version;
    const db = new Database(path);
    db.prepare('DELETE FROM docket_migrations WHERE version = ?').run(latest);
    db.close();
    const r = await runCliInProcess(['--no-config', '--store', `sqlite:${path}`, 'queues', 'list']);
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/^docket: .* lacks migrations \d+ of this docket: run docket migrate .*\[STORE_NOT_MIGRATED\]\n$/);
    const again = new Database(path, { readonly: true });
    expect(again.prepare('SELECT count(*) AS n FROM docket_migrations WHERE version = ?').get(latest)).toEqual({ n: 0 });
    again.close();
  });

  it('migrate still creates the store, and then the commands work', async () => {
    const path = freshPath();
    expect((await runCliInProcess(['--no-config', '--store', `sqlite:${path}`, 'migrate'])).code).toBe(0);
    expect(tables(path)).toContain('docket_jobs');
    const stats = await runCliInProcess(['--no-config', '--store', `sqlite:${path}`, 'stats', '--json']);
    expect(stats.code, stats.stderr).toBe(0);
  });
});
