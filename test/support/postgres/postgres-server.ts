/**
 * A throwaway PostgreSQL for tests: initdb into a fresh temp dir, start on
 * 127.0.0.1 on a free port with stock settings (fsync on), and stop and
 * delete exactly that server afterwards. PostgreSQL refuses to run as root,
 * so as root the server runs as the unprivileged `postgres` user.
 *
 * A data dir made by initdb is cached once per machine (initdb is the slow
 * part) and copied for each server.
 */
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export interface PostgresBinaries {
  initdb: string;
  pgCtl: string;
  version: string;
}

export interface PostgresServer {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` */
  url: string;
  port: number;
  dataDir: string;
  /** Stops the server (fast shutdown), keeping its data: an outage. */
  stopServer(): Promise<void>;
  /** Starts it again on the same port and data. */
  startServer(): Promise<void>;
  /** `pg_ctl restart`: drops every connection, like a real restart. */
  restart(): Promise<void>;
  /** Stops the server and deletes its data dir. Idempotent. */
  stop(): Promise<void>;
}

const SEARCH_DIRS = ['/usr/local/bin', ...listPgLibBins(), ...(process.env.PATH ?? '').split(':').filter(Boolean)];

function listPgLibBins(): string[] {
  try {
    return readdirSync('/usr/lib/postgresql')
      .sort()
      .reverse()
      .map((v) => `/usr/lib/postgresql/${v}/bin`);
  } catch {
    return [];
  }
}

/** The installed `initdb`/`pg_ctl`, or null when PostgreSQL is not installed. */
export function findPostgresBinaries(): PostgresBinaries | null {
  const find = (name: string) => SEARCH_DIRS.map((d) => join(d, name)).find((p) => existsSync(p)) ?? null;
  const initdb = find('initdb');
  const pgCtl = find('pg_ctl');
  if (!initdb || !pgCtl) return null;
  try {
    return { initdb, pgCtl, version: execFileSync(initdb, ['--version'], { encoding: 'utf8' }).trim() };
  } catch {
    return null;
  }
}

/**
 * Whether PostgreSQL tests can run here. When they cannot, `reason` says why;
 * with env DOCKET_REQUIRE_SERVERS=1 this throws instead (CI must not skip).
 */
export function postgresAvailability(): { available: true; binaries: PostgresBinaries } | { available: false; reason: string } {
  const binaries = findPostgresBinaries();
  if (binaries) return { available: true, binaries };
  const reason = 'PostgreSQL binaries (initdb, pg_ctl) not found in /usr/local/bin, /usr/lib/postgresql/*/bin or PATH';
  if (process.env.DOCKET_REQUIRE_SERVERS === '1') throw new Error(`${reason}, and DOCKET_REQUIRE_SERVERS=1 forbids skipping`);
  return { available: false, reason };
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;
const OS_USER = 'postgres';

function osUserIds(): { uid: number; gid: number } | null {
  if (!isRoot()) return null;
  const id = (flag: string) => Number(execFileSync('id', [flag, OS_USER], { encoding: 'utf8' }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', OS_USER]);
    return { uid: id('-u'), gid: id('-g') };
  }
}

/** Runs a PostgreSQL binary as the unprivileged user when we are root. */
function asPgUser(bin: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  const opts = { encoding: 'utf8' as const, timeout: 120_000 };
  return isRoot() ? exec('runuser', ['-u', OS_USER, '--', bin, ...args], opts) : exec(bin, args, opts);
}
function asPgUserSync(bin: string, args: string[]): void {
  const opts = { stdio: 'ignore' as const, timeout: 30_000 };
  if (isRoot()) execFileSync('runuser', ['-u', OS_USER, '--', bin, ...args], opts);
  else execFileSync(bin, args, opts);
}

function chownTree(path: string, ids: { uid: number; gid: number } | null): void {
  if (!ids) return;
  execFileSync('chown', ['-R', `${ids.uid}:${ids.gid}`, path]);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** A pristine cluster made once per machine and PostgreSQL version, copied for each server. */
async function templateDir(bins: PostgresBinaries, ids: { uid: number; gid: number } | null): Promise<string> {
  const tag = bins.version.replace(/[^0-9A-Za-z.]+/g, '_');
  const dir = join(tmpdir(), `docket-pg-template-${tag}`);
  if (existsSync(join(dir, 'PG_VERSION'))) return dir;
  // Built aside and renamed, so parallel test files never see half a template.
  const building = mkdtempSync(join(tmpdir(), 'docket-pg-template-build-'));
  chownTree(building, ids);
  const data = join(building, 'data');
  await asPgUser(bins.initdb, ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions']);
  try {
    renameSync(data, dir);
  } catch {
    // Another process won the race; use its template.
  }
  rmSync(building, { recursive: true, force: true });
  return dir;
}

const running = new Set<() => void>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A test process that ends without stop() must not leave a server behind.
  process.on('exit', () => {
    for (const stop of running) stop();
  });
}

export async function startPostgresServer(): Promise<PostgresServer> {
  const avail = postgresAvailability();
  if (!avail.available) throw new Error(avail.reason);
  const bins = avail.binaries;
  const ids = osUserIds();
  const template = await templateDir(bins, ids);
  const root = mkdtempSync(join(tmpdir(), 'docket-pg-'));
  const dataDir = join(root, 'data');
  cpSync(template, dataDir, { recursive: true });
  chownTree(root, ids);
  execFileSync('chmod', ['700', dataDir]);
  const logFile = join(root, 'server.log');

  let port = 0;
  let lastError: unknown = null;
  for (let attempt = 0; attempt < 5; attempt++) {
    port = await freePort();
    const serverOpts = `-c port=${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${root}`;
    try {
      await asPgUser(bins.pgCtl, ['-D', dataDir, '-l', logFile, '-o', serverOpts, '-w', '-t', '60', 'start']);
      lastError = null;
      break;
    } catch (e) {
      lastError = e; // most likely the port was taken between probe and bind
    }
  }
  if (lastError) {
    rmSync(root, { recursive: true, force: true });
    throw new Error(`could not start PostgreSQL: ${String((lastError as Error).message ?? lastError)}`);
  }

  const stopSync = () => {
    try {
      asPgUserSync(bins.pgCtl, ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
    } catch {
      // already stopped
    }
    rmSync(root, { recursive: true, force: true });
  };
  running.add(stopSync);
  installExitHook();
  let removed = false;

  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dataDir,
    async stopServer() {
      await asPgUser(bins.pgCtl, ['-D', dataDir, '-m', 'fast', '-w', 'stop']);
    },
    async startServer() {
      const serverOpts = `-c port=${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${root}`;
      await asPgUser(bins.pgCtl, ['-D', dataDir, '-l', logFile, '-o', serverOpts, '-w', '-t', '60', 'start']);
    },
    async restart() {
      // -l again: without it the restarted server would inherit (and hold open) our stdout pipe.
      await asPgUser(bins.pgCtl, ['-D', dataDir, '-l', logFile, '-m', 'fast', '-w', '-t', '60', 'restart']);
    },
    async stop() {
      if (removed) return;
      removed = true;
      running.delete(stopSync);
      await asPgUser(bins.pgCtl, ['-D', dataDir, '-m', 'fast', '-w', 'stop']).catch(() => {});
      rmSync(root, { recursive: true, force: true });
    },
  };
}

let schemaSeq = 0;
/** A schema name no other store in this run uses, so each store starts empty. */
export function uniqueSchema(prefix = 't'): string {
  return `${prefix}_${process.pid}_${++schemaSeq}_${Math.random().toString(36).slice(2, 8)}`;
}
