import { resolve } from 'node:path';
import type { Store } from '../store/store.js';
import { SQLITE_SYNCHRONOUS_MODES, SqliteStore, type SqliteSynchronous } from '../stores/sqlite/index.js';
import { configError } from './exit-codes.js';

export const DEFAULT_STORE_URL = 'sqlite:./docket.db';

export type StoreSpec =
  | { kind: 'sqlite'; path: string; synchronous?: SqliteSynchronous; busyTimeoutMs?: number; display: string }
  | { kind: 'postgres'; connectionString: string; schema?: string; display: string };

/**
 * Parses a store URL:
 * - `sqlite:<path>` (relative to the working directory), `sqlite:///abs/path`,
 *   `sqlite::memory:`; query `?synchronous=FULL|NORMAL|OFF&busyTimeoutMs=N`;
 * - `postgres://…` or `postgresql://…` (libpq-style); query `?schema=name`
 *   picks docket's schema (default `docket`), the rest goes to pg.
 * `display` is the URL with any password masked, for output and logs.
 */
export function parseStoreUrl(url: string): StoreSpec {
  const trimmed = url.trim();
  if (/^sqlite:/i.test(trimmed)) return parseSqlite(trimmed);
  if (/^postgres(ql)?:\/\//i.test(trimmed)) return parsePostgres(trimmed);
  throw configError(`unsupported store URL "${maskPassword(trimmed)}": use sqlite:<path>, sqlite::memory: or postgres://user@host/db`, { store: maskPassword(trimmed) });
}

function parseSqlite(url: string): StoreSpec {
  let rest = url.slice('sqlite:'.length);
  if (rest.startsWith('//')) rest = rest.slice(2); // sqlite:///abs -> /abs, sqlite://./rel -> ./rel
  const q = rest.indexOf('?');
  const path = q === -1 ? rest : rest.slice(0, q);
  const params = new URLSearchParams(q === -1 ? '' : rest.slice(q + 1));
  if (path === '') throw configError(`store URL "${url}" has no path: use sqlite:./docket.db or sqlite::memory:`, { store: url });
  const spec: StoreSpec = { kind: 'sqlite', path, display: url };
  for (const [key, value] of params) {
    if (key === 'synchronous') {
      const s = value.toUpperCase() as SqliteSynchronous;
      if (!SQLITE_SYNCHRONOUS_MODES.includes(s)) throw configError(`store URL: synchronous must be one of ${SQLITE_SYNCHRONOUS_MODES.join(', ')} (got ${value})`, { store: url });
      spec.synchronous = s;
    } else if (key === 'busyTimeoutMs' || key === 'busy_timeout') {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 0) throw configError(`store URL: ${key} must be a non-negative integer (got ${value})`, { store: url });
      spec.busyTimeoutMs = n;
    } else {
      throw configError(`store URL: unknown SQLite option "${key}" (known: synchronous, busyTimeoutMs)`, { store: url });
    }
  }
  return spec;
}

function parsePostgres(url: string): StoreSpec {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw configError(`store URL is not a valid postgres:// URL: ${maskPassword(url)}`, { store: maskPassword(url) });
  }
  const schema = parsed.searchParams.get('schema') ?? undefined;
  parsed.searchParams.delete('schema');
  const display = maskPassword(url);
  return { kind: 'postgres', connectionString: parsed.toString(), display, ...(schema === undefined ? {} : { schema }) };
}

/** `postgres://u:secret@h/db` -> `postgres://u:***@h/db`. */
export function maskPassword(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*:)[^@]*@/i, '$1***@');
}

/** A SQLite path that names a file (not `:memory:` or a URI). */
export function sqliteFilePath(spec: StoreSpec): string | null {
  if (spec.kind !== 'sqlite' || spec.path === ':memory:' || spec.path.startsWith('file:')) return null;
  return resolve(spec.path);
}

/**
 * Opens the store a spec names. PostgreSQL is imported on demand, so SQLite
 * users never load `pg` (an optional peer dependency). `migrate: false`: the
 * store's `migrate()` only checks the schema is current and writes nothing.
 */
export async function openStore(spec: StoreSpec, options: { migrate?: boolean } = {}): Promise<Store> {
  const migrate = options.migrate ?? true;
  if (spec.kind === 'sqlite') {
    return new SqliteStore({
      path: spec.path,
      migrate,
      ...(spec.synchronous === undefined ? {} : { synchronous: spec.synchronous }),
      ...(spec.busyTimeoutMs === undefined ? {} : { busyTimeoutMs: spec.busyTimeoutMs }),
    });
  }
  let mod: typeof import('../stores/postgres/index.js');
  try {
    mod = await import('../stores/postgres/index.js');
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_MODULE_NOT_FOUND' && /'pg'/.test((e as Error).message)) {
      throw configError('the PostgreSQL store needs the pg package: npm install pg');
    }
    throw e;
  }
  return new mod.PostgresStore({ connectionString: spec.connectionString, migrate, ...(spec.schema === undefined ? {} : { schema: spec.schema }) });
}
