/**
 * What `docket doctor` checks, per store. Each check says what it found and,
 * when it is not fine, what to do about it. Nothing here writes to the store
 * or migrates it (opening a SQLite file does switch it to WAL, as docket
 * itself would).
 */
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { SqliteDiagnostics } from '../../stores/sqlite/index.js';
import type { StoreSpec } from '../store-url.js';

export type CheckStatus = 'ok' | 'info' | 'warn' | 'fail';

export interface Check {
  check: string;
  status: CheckStatus;
  value: string;
  fix?: string;
}

/** RETURNING (3.35) is used by the SQLite store's claims. */
const MIN_SQLITE = [3, 35, 0];
/** The oldest PostgreSQL still supported upstream when this was written; older may work but is untested. */
const MIN_POSTGRES_NUM = 130000;
const MIN_BUSY_TIMEOUT_MS = 5_000;

/** File-level checks that need no connection: existence, permissions, the directory. */
export function sqliteFileChecks(path: string): { checks: Check[]; exists: boolean } {
  const checks: Check[] = [];
  const dir = dirname(path);
  if (!existsSync(dir)) {
    checks.push({ check: 'directory', status: 'fail', value: `${dir} does not exist`, fix: `mkdir -p ${dir}` });
    return { checks, exists: false };
  }
  const dirWritable = canAccess(dir, constants.W_OK);
  checks.push(
    dirWritable
      ? { check: 'directory', status: 'ok', value: `${dir} is writable (SQLite creates the -wal and -shm files there)` }
      : { check: 'directory', status: 'fail', value: `${dir} is not writable by this user`, fix: `WAL needs to create ${path}-wal and -shm beside the file: make ${dir} writable by the user running docket` },
  );
  if (!existsSync(path)) {
    checks.push({ check: 'database file', status: 'warn', value: `${path} does not exist yet`, fix: 'docket migrate (or docket serve) creates it' });
    return { checks, exists: false };
  }
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    if (!existsSync(file)) continue;
    const label = file === path ? 'file permissions' : `${file.slice(path.length + 1)} permissions`;
    const mode = statSync(file).mode & 0o777;
    const octal = mode.toString(8).padStart(3, '0');
    if (!canAccess(file, constants.R_OK | constants.W_OK)) {
      checks.push({ check: label, status: 'fail', value: `${octal}: this user cannot read and write ${file}`, fix: `run docket as the file's owner, or chown/chmod ${file}` });
    } else if (mode & 0o002) {
      checks.push({ check: label, status: 'fail', value: `${octal}: anyone on this machine can write it`, fix: `chmod o-w ${file} (e.g. chmod 600 ${file})` });
    } else if (mode & 0o004) {
      checks.push({ check: label, status: 'warn', value: `${octal}: anyone on this machine can read job data and results`, fix: `chmod o-r ${file} (e.g. chmod 600 ${file})` });
    } else {
      checks.push({ check: label, status: 'ok', value: octal });
    }
  }
  return { checks, exists: true };
}

/** Connection settings as docket runs them with this store URL. */
export function sqliteSettingChecks(d: SqliteDiagnostics, spec: Extract<StoreSpec, { kind: 'sqlite' }>): Check[] {
  const checks: Check[] = [];
  const version = d.sqliteVersion.split('.').map(Number);
  checks.push(
    compareVersions(version, MIN_SQLITE) >= 0
      ? { check: 'sqlite version', status: 'ok', value: d.sqliteVersion }
      : { check: 'sqlite version', status: 'fail', value: `${d.sqliteVersion} (docket needs ${MIN_SQLITE.join('.')}+)`, fix: 'reinstall better-sqlite3 (it bundles a current SQLite)' },
  );
  const memory = spec.path === ':memory:';
  const mode = d.journalMode.toLowerCase();
  checks.push(
    mode === 'wal'
      ? { check: 'journal_mode', status: 'ok', value: 'wal' }
      : memory
        ? { check: 'journal_mode', status: 'info', value: `${mode} (in-memory database: nothing survives the process)` }
        : {
            check: 'journal_mode',
            status: 'fail',
            value: `${mode}: WAL could not be enabled`,
            fix: 'put the database on a local disk (network file systems do not support WAL) and make sure no other program holds it in another journal mode',
          },
  );
  const sync = d.synchronous;
  const urlWithout = spec.display.replace(/[?&]synchronous=[^&]*/i, '');
  checks.push(
    sync === 'FULL'
      ? { check: 'synchronous', status: 'ok', value: `${sync} (every commit survives power loss)` }
      : sync === 'NORMAL'
        ? { check: 'synchronous', status: 'warn', value: 'NORMAL: a power loss may lose the last commits (never corrupts)', fix: `accept it for speed, or use the default FULL: --store ${urlWithout}` }
        : { check: 'synchronous', status: 'fail', value: `${sync}: a crash or power loss can corrupt the database`, fix: `use FULL (the default) or NORMAL: --store ${urlWithout}` },
  );
  const busy = d.busyTimeoutMs;
  checks.push(
    busy >= MIN_BUSY_TIMEOUT_MS
      ? { check: 'busy_timeout', status: 'ok', value: `${busy} ms` }
      : {
          check: 'busy_timeout',
          status: busy === 0 ? 'fail' : 'warn',
          value: `${busy} ms: processes sharing the file will get SQLITE_BUSY under load`,
          fix: `drop busyTimeoutMs from the store URL (default 10000) or raise it to ${MIN_BUSY_TIMEOUT_MS}+`,
        },
  );
  checks.push(schemaCheck(d.schemaVersion, d.latestSchemaVersion));
  return checks;
}

export function postgresChecks(d: { serverVersion: string; serverVersionNum: number; synchronousCommit: string; maxConnections: number; schema: string; schemaVersion: number; latestSchemaVersion: number }): Check[] {
  const checks: Check[] = [];
  checks.push(
    d.serverVersionNum >= MIN_POSTGRES_NUM
      ? { check: 'postgres version', status: 'ok', value: d.serverVersion }
      : { check: 'postgres version', status: 'warn', value: `${d.serverVersion}: older than 13, untested and out of upstream support`, fix: 'upgrade PostgreSQL to a supported release (13 or newer)' },
  );
  checks.push(
    d.synchronousCommit === 'off'
      ? { check: 'synchronous_commit', status: 'warn', value: 'off: a server crash may lose the last committed jobs and results', fix: "ALTER SYSTEM SET synchronous_commit = 'on' (or per role/database), unless you accept the loss" }
      : { check: 'synchronous_commit', status: 'ok', value: d.synchronousCommit },
  );
  checks.push({ check: 'max_connections', status: 'info', value: `${d.maxConnections} (each docket process opens up to 10 pooled connections plus 1 for LISTEN)` });
  checks.push({ ...schemaCheck(d.schemaVersion, d.latestSchemaVersion), check: `schema "${d.schema}"` });
  return checks;
}

function schemaCheck(version: number, latest: number): Check {
  if (version === latest) return { check: 'schema', status: 'ok', value: `version ${version} (current)` };
  if (version === 0) return { check: 'schema', status: 'warn', value: 'not created yet', fix: 'docket migrate (docket serve also migrates at start)' };
  if (version < latest) return { check: 'schema', status: 'warn', value: `version ${version}, this docket has ${latest}`, fix: 'docket migrate' };
  return { check: 'schema', status: 'fail', value: `version ${version} is newer than this docket knows (${latest})`, fix: 'upgrade docket (npm install docket@latest) on this machine' };
}

function canAccess(path: string, mode: number): boolean {
  try {
    accessSync(path, mode);
    return true;
  } catch {
    return false;
  }
}

function compareVersions(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
