/**
 * docket as a user installs it: `npm run build`, `npm pack`, and `npm install`
 * of the tarball into a fresh, empty project (from the npm registry, as a user
 * would). Then, in that project:
 *
 * - install size and package count (printed, and bounded);
 * - a CommonJS program `require()`s every subpath and runs a job on SQLite
 *   (Node >= 20.19 loads the ESM build through require(esm));
 * - `tsc` with `skipLibCheck: false` under moduleResolution node16, nodenext
 *   and bundler, without @types/pg or @types/better-sqlite3 (the published
 *   types stand alone), and with @types/pg a `pg.Pool` is accepted;
 * - the dashboard's htmx / uPlot files are served from the package itself;
 * - a `.ts` config without tsx gets the documented error; a `.mjs` one loads.
 *
 * better-sqlite3's install script downloads a prebuilt binary from GitHub (not
 * the registry) or else compiles SQLite, which takes minutes on two cores. So
 * the tarball is installed with --ignore-scripts and the binary this checkout
 * already built for the same better-sqlite3 version is put where its install
 * script would put it: what is under test is docket, not that download.
 *
 * Skipped loudly when the npm registry is unreachable. `DOCKET_PACKAGE_USE_DIST=1`
 * packs the existing dist/ instead of building (for iterating on this test).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const SUBPATHS = ['docket', 'docket/sqlite', 'docket/postgres', 'docket/http', 'docket/testing'];

const registry = spawnSync('npm', ['ping'], { encoding: 'utf8', timeout: 20_000 });
const registryReachable = registry.status === 0;
if (!registryReachable) {
  process.stderr.write(`\n*** SKIPPING the package consumer tests: the npm registry is unreachable (npm ping: ${(registry.stderr || registry.error?.message || '').trim()}) ***\n\n`);
}

let tmp: string;
let project: string;
let installSizeKb = 0;
let packageCount = 0;

function run(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_loglevel: 'error', npm_config_fund: 'false', npm_config_audit: 'false', ...env }, timeout: 240_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function npm(args: string[], cwd: string): string {
  const r = run('npm', args, cwd);
  if (r.status !== 0) throw new Error(`npm ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

function tsc(config: object, files: string[]): string {
  const name = `tsconfig.${Math.random().toString(36).slice(2)}.json`;
  writeFileSync(join(project, name), JSON.stringify({ compilerOptions: config, files }));
  const r = run(process.execPath, [TSC, '-p', name], project);
  return `${r.stdout}${r.stderr}`.trim();
}

const STRICT_CONSUMER = { strict: true, skipLibCheck: false, noEmit: true, target: 'es2022', types: ['node'] };

/**
 * Minutes of build, install and three tsc runs: not part of `npm test` (kept
 * under 6 minutes), run by `npm run test:package` and by `.ci/run`.
 */
const packageTests = process.env.DOCKET_PACKAGE_TESTS === '1';
if (!packageTests) process.stderr.write('\n*** consumer.test.ts runs with `npm run test:package` (DOCKET_PACKAGE_TESTS=1); .ci/run runs it ***\n\n');

describe.skipIf(!registryReachable || !packageTests)('docket installed from its tarball into a fresh project', () => {
  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'docket-consumer-'));
    if (process.env.DOCKET_PACKAGE_USE_DIST !== '1') npm(['run', 'build', '--silent'], ROOT);
    const tarball = npm(['pack', '--pack-destination', tmp, '--ignore-scripts', '--silent'], ROOT).trim().split('\n').at(-1)!;
    project = join(tmp, 'app');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
    npm(['install', join(tmp, tarball), '--ignore-scripts'], project);

    const sqliteVersion = (dir: string) => (JSON.parse(readFileSync(join(dir, 'node_modules/better-sqlite3/package.json'), 'utf8')) as { version: string }).version;
    expect(sqliteVersion(project), 'better-sqlite3 of the consumer and of this checkout').toBe(sqliteVersion(ROOT));
    const binary = 'node_modules/better-sqlite3/build/Release/better_sqlite3.node';
    mkdirSync(join(project, 'node_modules/better-sqlite3/build/Release'), { recursive: true });
    copyFileSync(join(ROOT, binary), join(project, binary));

    installSizeKb = Number(execFileSync('du', ['-sk', 'node_modules'], { cwd: project, encoding: 'utf8' }).split('\t')[0]);
    const lock = JSON.parse(readFileSync(join(project, 'package-lock.json'), 'utf8')) as { packages: Record<string, unknown> };
    packageCount = Object.keys(lock.packages).filter((p) => p.startsWith('node_modules/')).length;
    process.stderr.write(`\n[docket package] fresh install of the tarball: ${(installSizeKb / 1024).toFixed(1)} MB in node_modules, ${packageCount} packages (docket included)\n\n`);

    // What a PostgreSQL user adds, and Node's types; not @types/pg nor @types/better-sqlite3.
    npm(['install', 'pg@8', '@types/node@20', '--ignore-scripts'], project);
  }, 600_000);

  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('installs lean: no TypeScript loader, no dashboard asset packages', () => {
    for (const name of ['tsx', 'esbuild', 'htmx.org', 'uplot']) expect(existsSync(join(project, 'node_modules', name)), name).toBe(false);
    expect(packageCount).toBeLessThan(77); // 77 before: tsx, esbuild (+ native binary), htmx.org, uplot were dependencies
    expect(installSizeKb / 1024).toBeLessThan(50);
  });

  it('require()s every subpath from CommonJS and runs a job on SQLite, serving the dashboard assets from the package', () => {
    writeFileSync(
      join(project, 'main.cjs'),
      `
const { Docket } = require('docket');
const { SqliteStore } = require('docket/sqlite');
const { createAdminApp } = require('docket/http');
for (const subpath of ${JSON.stringify(SUBPATHS)}) {
  if (Object.keys(require(subpath)).length === 0) throw new Error(subpath + ' exports nothing');
}
(async () => {
  const docket = new Docket({ store: new SqliteStore({ path: ':memory:' }), logger: false });
  const hello = docket.defineJob('hello', { handler: async (data) => 'hello ' + data.name });
  await docket.start();
  const job = await hello.enqueue({ name: 'cjs' });
  console.log('result:', await job.wait({ timeoutMs: 10000 }));
  const app = createAdminApp({ docket, keys: {}, logger: false });
  for (const file of ['htmx.min.js', 'uPlot.iife.min.js', 'uPlot.min.css', 'dashboard.js']) {
    const res = await app.fetch(new Request('http://127.0.0.1/assets/' + file));
    console.log('asset', file, res.status, (await res.arrayBuffer()).byteLength > 1000);
  }
  await app.close?.();
  await docket.close();
})();
`,
    );
    const r = run(process.execPath, ['main.cjs'], project);
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('result: hello cjs');
    for (const file of ['htmx.min.js', 'uPlot.iife.min.js', 'uPlot.min.css', 'dashboard.js']) expect(r.stdout).toContain(`asset ${file} 200 true`);
  });

  it('docket/conformance names what it needs (vitest, an optional peer) when it is missing', () => {
    const r = run(process.execPath, ['-e', "require('docket/conformance')"], project);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("Cannot find package 'vitest'");
  });

  it('typechecks with skipLibCheck: false under node16, nodenext and bundler, without the drivers\' @types', () => {
    expect(existsSync(join(project, 'node_modules/@types/pg'))).toBe(false);
    expect(existsSync(join(project, 'node_modules/@types/better-sqlite3'))).toBe(false);
    writeFileSync(
      join(project, 'use.mts'),
      `
import { Docket, PermanentError, type JobContext } from 'docket';
import { SqliteStore, type SqliteDiagnostics } from 'docket/sqlite';
import { PostgresStore, type PostgresStoreOptions } from 'docket/postgres';
import { createAdminApp } from 'docket/http';
import { createTestDocket, drain, ManualClock } from 'docket/testing';

const docket = new Docket({ store: new SqliteStore({ path: ':memory:' }) });
const double = docket.defineJob('double', { handler: async (data: { n: number }, ctx: JobContext) => (ctx.attempt, data.n * 2) });
export async function go(): Promise<number> {
  const job = await double.enqueue({ n: 2 });
  return job.wait();
}
const pgOptions: PostgresStoreOptions = { connectionString: 'postgres://localhost/app', schema: 'jobs' };
export const all = [PermanentError, new PostgresStore(pgOptions), createAdminApp, createTestDocket, drain, new ManualClock(0)] as const;
export type Diagnostics = SqliteDiagnostics;
`,
    );
    writeFileSync(join(project, 'use.cts'), `import { Docket } from 'docket';\nimport { SqliteStore } from 'docket/sqlite';\nexport const d = new Docket({ store: new SqliteStore({ path: ':memory:' }) });\n`);
    expect(tsc({ ...STRICT_CONSUMER, module: 'node16', moduleResolution: 'node16' }, ['use.mts']), 'node16').toBe('');
    expect(tsc({ ...STRICT_CONSUMER, module: 'nodenext', moduleResolution: 'nodenext' }, ['use.mts', 'use.cts']), 'nodenext').toBe('');
    expect(tsc({ ...STRICT_CONSUMER, module: 'esnext', moduleResolution: 'bundler' }, ['use.mts']), 'bundler').toBe('');
  }, 300_000);

  it('a .ts config without tsx is refused with how to fix it; a .mjs config loads', { timeout: 60_000 }, () => {
    const bin = join(project, 'node_modules/.bin/docket');
    writeFileSync(join(project, 'docket.config.ts'), 'export default { jobs: {} };\n');
    const ts = run(bin, ['stats', '--store', 'sqlite::memory:'], project);
    expect(ts.status).toBe(5); // config error
    expect(ts.stderr).toContain('loading it needs tsx, an optional peer dependency of docket');
    expect(ts.stderr).toContain('npm install --save-dev tsx');
    rmSync(join(project, 'docket.config.ts'));
    writeFileSync(join(project, 'docket.config.mjs'), 'export default { jobs: {} };\n');
    const mjs = run(bin, ['migrate', '--store', 'sqlite:./app.db'], project);
    expect(mjs.status, `${mjs.stdout}${mjs.stderr}`).toBe(0);
    rmSync(join(project, 'docket.config.mjs'));
    expect(readdirSync(project)).toContain('app.db');
  });

  it('with @types/pg installed, a pg.Pool is accepted as the pool', () => {
    npm(['install', '@types/pg@8', '--ignore-scripts'], project);
    writeFileSync(
      join(project, 'pool.mts'),
      `import pg from 'pg';\nimport { PostgresStore } from 'docket/postgres';\nexport const store = new PostgresStore({ pool: new pg.Pool({ connectionString: 'postgres://localhost/app' }) });\n`,
    );
    expect(tsc({ ...STRICT_CONSUMER, module: 'nodenext', moduleResolution: 'nodenext' }, ['pool.mts'])).toBe('');
  }, 120_000);
});
