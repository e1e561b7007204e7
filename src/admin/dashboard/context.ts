import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { Logger } from 'pino';
import type { Clock } from '../../core/clock.js';
import type { JobAdminApi } from '../../jobs/job-admin.js';
import type { AuthEnv, KeyRing, Principal } from '../kit/auth.js';
import { underBase } from '../kit/base-path.js';
import type { EventStreamHub } from '../kit/event-stream.js';
import type { DashboardDocket, ScheduleApi } from './dashboard-port.js';
import { isHttps } from './security.js';
import { SESSION_COOKIE, type Session, type SessionSigner } from './session.js';
import type { Notice, Section, ViewContext } from './views/layout.js';

/** What the dashboard's routes share. */
export interface DashboardDeps {
  docket: DashboardDocket;
  /** The Docket's job admin (`docket.jobs`): every job, queue, worker and stats read and action. */
  jobs: JobAdminApi;
  ring: KeyRing;
  sessions: SessionSigner;
  hub: EventStreamHub;
  clock: Clock;
  logger: Logger | null;
  schedules: ScheduleApi | null;
  workersAliveWithinMs: number;
}

export type DashContext = Context<AuthEnv>;

const ANONYMOUS_ADMIN: Principal = { scope: 'admin', keyId: 'anonymous' };

/**
 * The viewer of a request: from the signed session cookie (whose key must
 * still be configured; the scope is the key's), or an anonymous admin when no
 * key is configured. A session in use is re-issued now and then, which
 * restarts its idle timeout.
 */
export function viewerOf(c: DashContext, deps: DashboardDeps): Principal | null {
  if (!deps.ring.enabled) return ANONYMOUS_ADMIN;
  const session = deps.sessions.verify(getCookie(c, SESSION_COOKIE));
  if (!session) return null;
  const principal = deps.ring.principalOf(session.principal.keyId);
  if (!principal) return null;
  if (deps.sessions.needsRefresh(session)) {
    const renewed = deps.sessions.refresh(session);
    writeSessionCookie(c, deps, renewed.value, renewed.session);
  }
  return principal;
}

/** The session cookie: HttpOnly, SameSite=Strict, Secure over HTTPS, scoped to the app's basePath, gone when the session expires. */
export function writeSessionCookie(c: DashContext, deps: DashboardDeps, value: string, session: Session): void {
  setCookie(c, SESSION_COOKIE, value, {
    path: cookiePath(c),
    httpOnly: true,
    sameSite: 'Strict',
    secure: isHttps(c),
    maxAge: Math.max(0, Math.floor((session.expiresAt - deps.clock.now()) / 1000)),
  });
}

export function clearSessionCookie(c: DashContext): void {
  deleteCookie(c, SESSION_COOKIE, { path: cookiePath(c), httpOnly: true, sameSite: 'Strict', secure: isHttps(c) });
}

function cookiePath(c: DashContext): string {
  return c.get('basePath') || '/';
}

/** A path of the dashboard (`/jobs/42`) as the browser must request it: under the app's basePath. */
export function href(c: DashContext, path: string): string {
  return underBase(c.get('basePath'), path);
}

/** The URL of the current request as the browser sees it (path under basePath, plus the query). */
export function currentUrl(c: DashContext): string {
  return href(c, c.get('appPath') + (new URL(c.req.url).search || ''));
}

export function isFragment(c: DashContext): boolean {
  return c.req.query('part') !== undefined || c.req.header('hx-request') === 'true';
}

/**
 * Requires a logged-in viewer. Pages redirect to the login page; htmx
 * fragment requests get 401 with HX-Redirect (htmx follows it before any
 * swap); the event stream gets a plain 401.
 */
export function requireViewer(deps: DashboardDeps): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const principal = viewerOf(c, deps);
    if (principal) {
      c.set('principal', principal);
      return next();
    }
    const login = `${href(c, '/login')}?next=${encodeURIComponent(localPath(currentUrl(c)))}`;
    if (c.req.method === 'GET' && !isFragment(c) && c.get('appPath') !== '/live') return c.redirect(login, 303);
    c.header('hx-redirect', login);
    return c.text('log in first', 401);
  };
}

export function viewContext(c: DashContext, deps: DashboardDeps, section: Section | null, notice: Notice | null = null): ViewContext {
  const principal = c.get('principal');
  return { scope: principal.scope, canAct: principal.scope === 'admin', authOff: !deps.ring.enabled, section, notice };
}

/** A same-origin path to go back to, or `fallback`: never another origin (`//evil`, `/\evil`, `https:`). */
export function localPath(value: unknown, fallback = '/'): string {
  if (typeof value !== 'string' || value.length > 2000) return fallback;
  return /^\/(?![/\\])[^\s\\]*$/.test(value) ? value : fallback;
}
