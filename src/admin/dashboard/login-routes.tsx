import type { Hono } from 'hono';
import type { AuthEnv } from '../kit/auth.js';
import { clearSessionCookie, href, localPath, viewerOf, writeSessionCookie, type DashboardDeps } from './context.js';
import { html } from './pages.js';
import { sameOriginProblem } from './security.js';
import { LoginPage } from './views/login.js';

/** Login with an API key into a session cookie; logout ends the session. */
export function registerLogin(app: Hono<AuthEnv>, deps: DashboardDeps): void {
  const loggedOut = { scope: null, canAct: false, authOff: false, section: null } as const;

  app.get('/login', (c) => {
    const next = localPath(c.req.query('next'), href(c, '/'));
    // with no key configured there is nothing to log in to; a valid session does not need to log in again
    if (viewerOf(c, deps)) return c.redirect(next, 303);
    return html(c, <LoginPage view={loggedOut} next={next} />);
  });

  app.post('/login', async (c) => {
    // a login form posted from another origin could log the victim into the attacker's session
    const crossSite = sameOriginProblem(c);
    if (crossSite) return html(c, <LoginPage view={loggedOut} next={href(c, '/')} error={crossSite} />, 403);
    if (!deps.ring.enabled) return c.redirect(href(c, '/'), 303);
    const form = await c.req.parseBody();
    const next = localPath(form.next, href(c, '/'));
    const key = typeof form.key === 'string' ? form.key.trim() : '';
    const principal = key ? deps.ring.authenticate(key) : null;
    if (!principal) {
      deps.logger?.warn('dashboard: login with an unknown key');
      return html(c, <LoginPage view={loggedOut} next={next} error="That key is not valid." />, 401);
    }
    // a fresh cookie at every login, whatever the browser sent
    const { session, value } = deps.sessions.issue(principal);
    writeSessionCookie(c, deps, value, session);
    deps.logger?.info({ scope: principal.scope, keyId: principal.keyId }, 'dashboard: logged in');
    return c.redirect(next, 303);
  });

  app.post('/logout', (c) => {
    if (sameOriginProblem(c)) return c.text('cross-origin request refused', 403);
    // the browser forgets the cookie; a copy taken earlier stays valid until it expires (session.ts)
    clearSessionCookie(c);
    return c.redirect(href(c, '/login'), 303);
  });
}
