import type { Hono } from 'hono';
import type { Logger } from 'pino';
import type { Clock } from '../../core/clock.js';
import type { AuthEnv, KeyRing } from '../kit/auth.js';
import type { EventStreamHub } from '../kit/event-stream.js';
import { registerActions } from './action-routes.js';
import { loadAsset } from './assets.js';
import { type DashboardDeps } from './context.js';
import { scheduleApi, type DashboardDocket } from './dashboard-port.js';
import { registerLogin } from './login-routes.js';
import { registerPages } from './pages.js';
import { hostIsLoopback, setSecurityHeaders } from './security.js';
import { SessionSigner, type SessionOptions } from './session.js';
import { BasePath, Link } from './views/base-path.js';
import { MessagePage } from './views/layout.js';

/** Workers shown as live: three missed heartbeats (the admin API's default too). */
export const DEFAULT_WORKERS_ALIVE_WITHIN_MS = 15_000;

export interface DashboardOptions {
  docket: DashboardDocket;
  /** The admin API's keys (already hashed): the same keys log in here. */
  ring: KeyRing;
  /** The admin API's event hub: one store snapshot per tick serves API and dashboard clients alike. */
  hub: EventStreamHub;
  clock: Clock;
  logger: Logger | null;
  /** The admin app's `sessionSecrets` (see SessionSigner). */
  sessionSecrets?: SessionOptions['secrets'];
  /** Lifetimes; tests shorten them. */
  sessions?: Omit<SessionOptions, 'secrets'>;
}

export interface Dashboard {
  /** Releases what the dashboard holds (nothing today: sessions are signed cookies, not server state). */
  close(): void;
}

/**
 * Pages that are the dashboard's (everything else on the app is the API's, with problem+json
 * errors), tested against the path relative to the app (`appPath`), wherever it is mounted.
 */
const PAGE_PATHS = /^\/($|jobs|schedules|workers|login|logout|queues|live)/;

/**
 * Mounts the dashboard at `/` of the admin app: server-rendered pages (Hono
 * JSX, every value escaped), htmx for live regions, an event stream for
 * pushes, uPlot charts, static assets under /assets. See docs/dashboard.md.
 */
export function mountDashboard(app: Hono<AuthEnv>, options: DashboardOptions): Dashboard {
  const sessions = new SessionSigner(options.clock, { ...options.sessions, secrets: options.sessionSecrets });
  if (sessions.ephemeral && options.ring.enabled) {
    options.logger?.warn(
      'dashboard: no session secret configured (sessionSecrets; DOCKET_SESSION_SECRET for docket serve), so sessions are signed with a random secret of this process: a restart logs everyone out, and servers behind one load balancer do not accept each other\'s sessions',
    );
  }
  const deps: DashboardDeps = {
    docket: options.docket,
    jobs: options.docket.jobs,
    ring: options.ring,
    sessions,
    hub: options.hub,
    clock: options.clock,
    logger: options.logger,
    schedules: scheduleApi(options.docket),
    workersAliveWithinMs: DEFAULT_WORKERS_ALIVE_WITHIN_MS,
  };

  // no key configured: only loopback host names may use the dashboard (see hostIsLoopback)
  if (!deps.ring.enabled) {
    app.use('*', async (c, next) => {
      if (!PAGE_PATHS.test(c.get('appPath'))) return next();
      if (hostIsLoopback(c)) return next();
      options.logger?.warn({ host: c.req.header('host'), path: c.req.path }, 'dashboard: refused a non-loopback Host while no API key is configured');
      setSecurityHeaders(c);
      return c.text('No API key is configured, so the dashboard answers only on a loopback address (127.0.0.1, ::1, localhost).', 403);
    });
  }

  app.get('/assets/:file', (c) => {
    const asset = loadAsset(c.req.param('file'));
    if (!asset) return c.text('not found', 404);
    setSecurityHeaders(c, { cache: 'revalidate' });
    c.header('etag', asset.etag);
    if (c.req.header('if-none-match') === asset.etag) return c.body(null, 304);
    c.header('content-type', asset.contentType);
    return c.body(asset.body as Uint8Array<ArrayBuffer>, 200);
  });

  // A page that fails unexpectedly answers an HTML page, not the API's problem+json.
  app.use('*', async (c, next) => {
    await next();
    if (!c.error || !PAGE_PATHS.test(c.get('appPath'))) return;
    options.logger?.error({ err: c.error, path: c.req.path }, 'dashboard page failed');
    setSecurityHeaders(c);
    c.res = await c.html(
      <BasePath.Provider value={c.get('basePath')}>
        <MessagePage title="Something went wrong" view={{ scope: null, canAct: false, authOff: !deps.ring.enabled, section: null }}>
          <p>The page could not be built; the server log has the details.</p>
          <p>
            <Link to="/">Overview</Link>
          </p>
        </MessagePage>
      </BasePath.Provider>,
      500,
    );
  });

  registerLogin(app, deps);
  registerPages(app, deps);
  registerActions(app, deps);

  return { close: () => undefined };
}
