/**
 * The README's quick start, run as a user runs it: its code block, verbatim,
 * in its own Node process (through tsx, `docket` resolved to this checkout's
 * source), on SQLite and — with the README's two-line switch — on PostgreSQL.
 * The process must end by itself with exit code 0: everything the Docket
 * opened (on PostgreSQL, the pool and the LISTEN connection) is closed by the
 * quick start's last line. `fetch` is stubbed (a preload module), the one
 * thing the quick start does that a test may not: reach the internet.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/stores/sqlite/index.js';
import { PostgresStore } from '../../src/stores/postgres/index.js';
import { describePostgres } from '../support/postgres/pg-test.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const TSX = join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const EXIT_WITHIN_MS = 30_000;

/** The first ```ts block after a heading (or after a line containing `after`). */
function codeBlockAfter(after: string): string {
  const start = README.indexOf(after);
  if (start < 0) throw new Error(`README.md has no "${after}"`);
  const m = /```ts\n([\s\S]*?)```/.exec(README.slice(start));
  if (!m) throw new Error(`README.md has no ts code block after "${after}"`);
  return m[1]!;
}

export const QUICK_START = codeBlockAfter('## Quick start');
const PG_SWITCH = codeBlockAfter('On PostgreSQL').trim().split('\n');

/** The quick start with the README's PostgreSQL lines in place of the SQLite ones. */
function onPostgres(code: string): string {
  const [importLine, docketLine] = PG_SWITCH;
  const lines = code.split('\n');
  const i = lines.findIndex((l) => l.includes("from 'docket/sqlite'"));
  const j = lines.findIndex((l) => l.startsWith('const docket = new Docket('));
  expect(i, 'the quick start imports docket/sqlite').toBeGreaterThanOrEqual(0);
  expect(j, 'the quick start creates the docket').toBeGreaterThanOrEqual(0);
  lines[i] = importLine!;
  lines[j] = docketLine!;
  return lines.join('\n');
}

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Runs the code in a fresh directory; resolves with its exit code, or rejects if it is still running after EXIT_WITHIN_MS. */
function runQuickStart(code: string, env: Record<string, string> = {}): Promise<{ code: number | null; output: string; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'docket-quick-start-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'quick-start', private: true, type: 'module' })); // top-level await: an ES module
  writeFileSync(join(dir, 'quick-start.ts'), code);
  writeFileSync(join(dir, 'stub-fetch.mjs'), 'globalThis.fetch = async () => new Response(new Uint8Array(1234));\n');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TSX, '--tsconfig', join(ROOT, 'tsconfig.json'), '--import', './stub-fetch.mjs', 'quick-start.ts'], {
      cwd: dir,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr.on('data', (b: Buffer) => (output += b.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the quick start did not exit within ${EXIT_WITHIN_MS} ms:\n${output}`));
    }, EXIT_WITHIN_MS);
    child.once('exit', (exitCode) => {
      clearTimeout(timer);
      resolve({ code: exitCode, output, dir });
    });
  });
}

describe("README's quick start", () => {
  it('ends everything it opened with one call, shown in the quick start', () => {
    expect(QUICK_START).toMatch(/^await docket\.close\(\);/m);
    expect(QUICK_START).not.toMatch(/^await docket\.stop\(\)/m);
  });

  it('runs on SQLite, completes its job and exits by itself', async () => {
    const run = await runQuickStart(QUICK_START);
    expect(run.code, run.output).toBe(0);
    const store = new SqliteStore({ path: join(run.dir, 'docket.db') });
    try {
      const { jobs } = await store.listJobs({ limit: 10 });
      expect(jobs.map((j) => [j.name, j.state, j.result])).toEqual([['resize-image', 'completed', { size: 1234 }]]);
    } finally {
      await store.close();
    }
  }, 60_000);
});

describePostgres("README's quick start on PostgreSQL", (pg) => {
  it('runs with the two-line switch, completes its job and exits by itself (the pool is ended)', async () => {
    const run = await runQuickStart(onPostgres(QUICK_START), { DATABASE_URL: pg.url() });
    expect(run.code, run.output).toBe(0);
    const store = new PostgresStore({ connectionString: pg.url() });
    try {
      await store.migrate();
      const { jobs } = await store.listJobs({ limit: 10 });
      expect(jobs.map((j) => [j.name, j.state, j.result])).toEqual([['resize-image', 'completed', { size: 1234 }]]);
    } finally {
      await store.close();
    }
  }, 60_000);
});
