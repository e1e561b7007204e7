import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe } from '../core/validate.js';
import type { DocketConfig } from './define-config.js';
import { configError } from './exit-codes.js';

/** Looked up in this order in the working directory when no --config is given. */
export const CONFIG_FILE_NAMES = ['docket.config.ts', 'docket.config.mts', 'docket.config.js', 'docket.config.mjs'] as const;

const TS_EXTENSIONS = /\.(ts|mts|cts|tsx)$/i;

export interface LoadedConfig {
  /** Absolute path of the file, null when none was found or --no-config. */
  path: string | null;
  config: DocketConfig;
}

/**
 * Finds and loads the config file. An explicit path (flag or DOCKET_CONFIG)
 * must exist; otherwise the working directory is searched and having none is
 * fine (commands that need job definitions say so).
 */
export async function loadConfig(options: { explicitPath?: string | undefined; cwd: string; disabled?: boolean }): Promise<LoadedConfig> {
  if (options.disabled) return { path: null, config: {} };
  let path: string | null = null;
  if (options.explicitPath !== undefined) {
    path = resolve(options.cwd, options.explicitPath);
    if (!existsSync(path)) throw configError(`config file not found: ${path}`, { path });
  } else {
    for (const name of CONFIG_FILE_NAMES) {
      const candidate = resolve(options.cwd, name);
      if (existsSync(candidate)) {
        path = candidate;
        break;
      }
    }
  }
  if (path === null) return { path: null, config: {} };
  return { path, config: await importConfig(path) };
}

async function importConfig(path: string): Promise<DocketConfig> {
  if (TS_EXTENSIONS.test(path)) await enableTypeScript(path);
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(path).href)) as { default?: unknown };
  } catch (e) {
    throw configError(`cannot load config file ${path}: ${(e as Error).message ?? String(e)}`, { path });
  }
  let value = mod.default;
  if (value === undefined) throw configError(`config file ${path} has no default export: export default defineConfig({ ... })`, { path });
  if (typeof value === 'function') {
    try {
      value = await (value as () => unknown)();
    } catch (e) {
      throw configError(`config file ${path}: its default export threw: ${(e as Error).message ?? String(e)}`, { path });
    }
  }
  return checkConfigShape(value, path);
}

let tsEnabled: Promise<void> | null = null;

/**
 * Lets `import()` load TypeScript, through tsx's loader hooks
 * (`tsx/esm/api`). Registered globally, not namespaced: a config importing
 * `docket` must get the very module instances the CLI runs (errors such as
 * PermanentError are matched with instanceof). The tsconfig.json nearest the
 * config file applies (its `paths` aliases, as in the rest of that project).
 * Skipped when the CLI itself already runs under a TypeScript loader
 * (`npm start` runs it through tsx).
 *
 * tsx is an optional peer dependency (with esbuild it is ~12 MB with a native
 * binary, for this one use): without it a `.ts` config is refused with how to
 * fix it, unless this Node strips types itself (`process.features.typescript`,
 * Node >= 22.18), which then loads it (erasable syntax only).
 */
function enableTypeScript(configPath: string): Promise<void> {
  tsEnabled ??= (async () => {
    if (import.meta.url.endsWith('.ts')) return;
    let api: { register(options?: { tsconfig?: string }): unknown };
    try {
      api = (await import('tsx/esm/api')) as typeof api;
    } catch (e) {
      if (!isModuleNotFound(e, 'tsx')) throw e;
      if ((process.features as { typescript?: unknown }).typescript) return;
      throw configError(tsxMissingMessage(configPath), { path: configPath });
    }
    const tsconfig = nearestTsconfig(dirname(configPath));
    api.register(tsconfig === null ? {} : { tsconfig });
  })();
  tsEnabled.catch(() => {
    tsEnabled = null;
  });
  return tsEnabled;
}

export function tsxMissingMessage(configPath: string): string {
  return (
    `config file ${configPath} is TypeScript, and loading it needs tsx, an optional peer dependency of docket: ` +
    `install it (npm install --save-dev tsx), or write the config as docket.config.js / .mjs`
  );
}

function isModuleNotFound(e: unknown, name: string): boolean {
  const err = e as { code?: unknown; message?: unknown } | null;
  return (err?.code === 'ERR_MODULE_NOT_FOUND' || err?.code === 'MODULE_NOT_FOUND') && String(err.message).includes(`'${name}`);
}

function nearestTsconfig(dir: string): string | null {
  for (let d = dir; ; d = dirname(d)) {
    const candidate = join(d, 'tsconfig.json');
    if (existsSync(candidate)) return candidate;
    if (dirname(d) === d) return null;
  }
}

/** The parts the CLI itself uses; the Docket options are validated by `new Docket`, the jobs by `defineJob`. */
export function checkConfigShape(value: unknown, path: string): DocketConfig {
  const where = (field: string) => `config file ${path}: ${field}`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw configError(`${where('the default export')} must be an object (got ${describe(value)})`, { path });
  }
  const c = value as Record<string, unknown>;
  if (c.store !== undefined && typeof c.store !== 'string' && typeof c.store !== 'function' && (typeof c.store !== 'object' || c.store === null)) {
    throw configError(`${where('store')} must be a store URL, a Store or a function returning one (got ${describe(c.store)})`, { path, field: 'store' });
  }
  if (c.jobs !== undefined) {
    if (typeof c.jobs !== 'object' || c.jobs === null || Array.isArray(c.jobs)) {
      throw configError(`${where('jobs')} must be an object of job definitions by name (got ${describe(c.jobs)})`, { path, field: 'jobs' });
    }
  }
  if (c.setup !== undefined && typeof c.setup !== 'function') {
    throw configError(`${where('setup')} must be a function (got ${describe(c.setup)})`, { path, field: 'setup' });
  }
  if (c.api !== undefined) {
    if (typeof c.api !== 'object' || c.api === null || Array.isArray(c.api)) throw configError(`${where('api')} must be an object (got ${describe(c.api)})`, { path, field: 'api' });
    const api = c.api as Record<string, unknown>;
    if (api.port !== undefined && !isPort(api.port)) throw configError(`${where('api.port')} must be an integer in [0, 65535] (got ${describe(api.port)})`, { path, field: 'api.port' });
    if (api.host !== undefined && typeof api.host !== 'string') throw configError(`${where('api.host')} must be a string (got ${describe(api.host)})`, { path, field: 'api.host' });
    if (api.basePath !== undefined && typeof api.basePath !== 'string') throw configError(`${where('api.basePath')} must be a path such as "/admin" (got ${describe(api.basePath)})`, { path, field: 'api.basePath' });
    const secrets = api.sessionSecrets;
    if (secrets !== undefined && typeof secrets !== 'string' && (!Array.isArray(secrets) || secrets.some((k) => typeof k !== 'string'))) {
      // the value itself is a secret: never described
      throw configError(`${where('api.sessionSecrets')} must be a string or an array of strings`, { path, field: 'api.sessionSecrets' });
    }
    if (api.keys !== undefined) {
      const keys = api.keys as Record<string, unknown> | null;
      if (typeof keys !== 'object' || keys === null) throw configError(`${where('api.keys')} must be { admin?: string[], read?: string[] }`, { path, field: 'api.keys' });
      for (const scope of Object.keys(keys)) {
        if (scope !== 'admin' && scope !== 'read') throw configError(`${where(`api.keys.${scope}`)}: unknown scope (use admin or read)`, { path, field: `api.keys.${scope}` });
        const list = keys[scope];
        if (list !== undefined && (!Array.isArray(list) || list.some((k) => typeof k !== 'string'))) {
          throw configError(`${where(`api.keys.${scope}`)} must be an array of strings`, { path, field: `api.keys.${scope}` });
        }
      }
    }
  }
  return c as DocketConfig;
}

export function isPort(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 65_535;
}
