import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import type { Logger } from 'pino';
import type { Clock } from '../../core/clock.js';
import type { JobAdminApi } from '../../jobs/job-admin.js';
import type { AuthEnv, KeyRing, Principal } from '../kit/auth.js';
import type { EventStreamHub } from '../kit/event-stream.js';
import type { DashboardDocket, ScheduleApi } from './dashboard-port.js';
import { SESSION_COOKIE, type SessionStore } from './session.js';
import type { Notice, Section, ViewContext } from './views/layout.js';

/** What the dashboard's routes share. */
export interface DashboardDeps {
  docket: DashboardDocket;
  /** The Docket's job admin (`docket.jobs`): every job, queue, worker and stats read and action. */
  jobs: JobAdminApi;
  ring: KeyRing;
  sessions: SessionStore;
  hub: EventStreamHub;
  clock: Clock;
  logger: Logger | null;
  schedules: ScheduleApi | null;
  workersAliveWithinMs: number;
}

export type DashContext = Context<AuthEnv>;

const ANONYMOUS_ADMIN: Principal = { scope: 'admin', keyId: 'anonymous' };

/** The viewer of a request: from the session cookie, or an anonymous admin when no key is configured. */
export function viewerOf(c: DashContext, deps: DashboardDeps): Principal | null {
  if (!deps.ring.enabled) return ANONYMOUS_ADMIN;
  return deps.sessions.get(getCookie(c, SESSION_COOKIE))?.principal ?? null;
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
    const login = `/login?next=${encodeURIComponent(localPath(c.req.path + (new URL(c.req.url).search || '')))}`;
    if (c.req.method === 'GET' && !isFragment(c) && c.req.path !== '/live') return c.redirect(login, 303);
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
