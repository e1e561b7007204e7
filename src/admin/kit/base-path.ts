import type { Context } from 'hono';
import { basePath as routeMountPath } from 'hono/route';
import { ValidationError } from '../../core/errors.js';

/**
 * Where the admin app lives in a user's URL space.
 *
 * `basePath` is explicit (an option of createAdminApp, `api.basePath` in the
 * config): the path prefix under which browsers and API clients reach the
 * app, `''` at the root. Every URL the app writes (Location headers, the
 * OpenAPI document's server, dashboard links, redirects, the cookie path) is
 * `basePath` + a path of the app. It is never guessed from a request header
 * (X-Forwarded-Prefix could be forged) nor from the mount.
 *
 * What the app reads from the mount is only how much of the request path to
 * skip to find its own route: Hono's `route('/admin', app)` copies the app's
 * routes under `/admin` (the path keeps the prefix; hono/route tells which
 * part the mount matched), while Express' `use('/admin', …)`, Hono's
 * `mount()` and `createAdminListener` hand the app the path without it.
 */
export const BASE_PATH_PATTERN = /^(\/[A-Za-z0-9._~!$&'()*+,;=:@%-]+)*$/;

/** `'/admin/'` → `'/admin'`, `'/'` → `''`; anything else than a plain absolute path is refused, naming the field. */
export function normalizeBasePath(value: unknown, field = 'basePath'): string {
  if (value === undefined || value === '' || value === '/') return '';
  if (typeof value !== 'string') throw new ValidationError('INVALID_CONFIG', field, `${field} must be a string such as "/admin"`);
  const trimmed = value.length > 1 && value.endsWith('/') ? value.slice(0, -1) : value;
  if (!BASE_PATH_PATTERN.test(trimmed) || trimmed.split('/').some((s) => s === '.' || s === '..')) {
    throw new ValidationError('INVALID_CONFIG', field, `${field} must be an absolute path such as "/admin" (no query, no empty, "." or ".." segment; got ${JSON.stringify(value)})`);
  }
  return trimmed;
}

/**
 * `path` (a path of the app, starting with `/`, maybe with a query) under
 * `base`. The app's root is `base` itself, without a trailing slash: Hono's
 * `route('/admin', app)` answers `/admin` and not `/admin/`.
 */
export function underBase(base: string, path: string): string {
  if (base === '') return path;
  if (path === '/') return base;
  if (path.startsWith('/?')) return base + path.slice(1);
  return base + path;
}

/** The part of the request path that the mount matched: `/admin` under Hono's route('/admin', …), else ''. */
export function mountPathOf(c: Context): string {
  const mounted = routeMountPath(c);
  return mounted === '/' ? '' : mounted;
}

/** The request path relative to the app (`/jobs/42`), whichever way it was mounted. */
export function appPathOf(c: Context, mountPath: string): string {
  const path = c.req.path;
  return mountPath !== '' && path.startsWith(mountPath) ? path.slice(mountPath.length) || '/' : path;
}
