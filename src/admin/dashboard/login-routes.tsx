import type { Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { AuthEnv } from '../kit/auth.js';
import { localPath, viewerOf, type DashboardDeps } from './context.js';
import { html } from './pages.js';
import { isHttps, sameOriginProblem } from './security.js';
import { SESSION_COOKIE } from './session.js';
import { LoginPage } from './views/login.js';

/** Login with an API key into a session cookie; logout ends the session. */
export function registerLogin(app: Hono<AuthEnv>, deps: DashboardDeps): void {
  const loggedOut = { scope: null, canAct: false, authOff: false, section: null } as const;

  app.get('/login', (c) => {
    const next = localPath(c.req.query('next'));
    // with no key configured there is nothing to log in to; a valid session does not need to log in again
    if (viewerOf(c, deps)) return c.redirect(next, 303);
    return html(c, <LoginPage view={loggedOut} next={next} />);
  });

  app.post('/login', async (c) => {
    // a login form posted from another origin could log the victim into the attacker's session
    const crossSite = sameOriginProblem(c);
    if (crossSite) return html(c, <LoginPage view={loggedOut} next="/" error={crossSite} />, 403);
    if (!deps.ring.enabled) return c.redirect('/', 303);
    const form = await c.req.parseBody();
    const next = localPath(form.next);
    const key = typeof form.key === 'string' ? form.key.trim() : '';
    const principal = key ? deps.ring.authenticate(key) : null;
    if (!principal) {
      deps.logger?.warn('dashboard: login with an unknown key');
      return html(c, <LoginPage view={loggedOut} next={next} error="That key is not valid." />, 401);
    }
    // a fresh id at every login: a session id planted before login is never promoted
    deps.sessions.delete(getCookie(c, SESSION_COOKIE));
    const session = deps.sessions.create(principal);
    setCookie(c, SESSION_COOKIE, session.id, {
      path: '/',
      httpOnly: true,
      sameSite: 'Strict',
      secure: isHttps(c),
      maxAge: Math.floor((session.expiresAt - session.createdAt) / 1000),
    });
    deps.logger?.info({ scope: principal.scope, keyId: principal.keyId }, 'dashboard: logged in');
    return c.redirect(next, 303);
  });

  app.post('/logout', (c) => {
    if (sameOriginProblem(c)) return c.text('cross-origin request refused', 403);
    deps.sessions.delete(getCookie(c, SESSION_COOKIE));
    deleteCookie(c, SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'Strict', secure: isHttps(c) });
    return c.redirect('/login', 303);
  });
}
