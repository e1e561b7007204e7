import type { Hono, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { InvalidTransitionError, ScheduleNotFoundError, isDocketError } from '../../core/errors.js';
import type { RunNowResult } from '../../jobs/job-admin.js';
import type { AuthEnv } from '../kit/auth.js';
import { problemFromError } from '../kit/problem.js';
import { currentUrl, href, localPath, viewContext, viewerOf, type DashContext, type DashboardDeps } from './context.js';
import { withDone, type DoneCode } from './notices.js';
import { html } from './pages.js';
import { sameOriginProblem } from './security.js';
import { MessagePage } from './views/layout.js';

/** Form bodies here are a few short fields. */
const MAX_FORM_BYTES = 16 * 1024;

/**
 * Every state change is a POST form, checked in this order: same origin
 * (Sec-Fetch-Site / Origin), a logged-in viewer, the admin scope. A read
 * key's session never sees the buttons, and a forged POST with it gets 403.
 */
export function mutationGuard(deps: DashboardDeps): MiddlewareHandler<AuthEnv> {
  const limit = bodyLimit({ maxSize: MAX_FORM_BYTES, onError: (c) => c.text('form too large', 413) });
  return async (c, next) => {
    const crossSite = sameOriginProblem(c);
    if (crossSite) return refuse(c, deps, 403, crossSite);
    const principal = viewerOf(c, deps);
    if (!principal) return c.redirect(href(c, '/login'), 303);
    c.set('principal', principal);
    if (principal.scope !== 'admin') return refuse(c, deps, 403, 'This action needs an admin key; you are logged in with a read key.');
    return limit(c, next);
  };
}

function refuse(c: DashContext, deps: DashboardDeps, status: 403, text: string): Response {
  deps.logger?.warn({ path: c.req.path, reason: text }, 'dashboard: action refused');
  const view = c.get('principal') ? viewContext(c, deps, null) : { scope: null, canAct: false, authOff: !deps.ring.enabled, section: null };
  return html(
    c,
    <MessagePage title="Refused" view={view}>
      <p id="refused">{text}</p>
    </MessagePage>,
    status,
  );
}

/** The notice each outcome of run-now shows. */
const RUN_NOW_DONE: Record<RunNowResult['action'], DoneCode> = { none: 'already-waiting', promoted: 'promoted', retried: 'retried' };

interface Action {
  /** Where to go back to (and where the success notice shows): a dashboard path, put under the basePath here. */
  back(c: DashContext): string;
  /** Asked before acting (without JavaScript the server asks with a page); null: no question. */
  confirm?: (c: DashContext) => string;
  run(c: DashContext): Promise<{ done: DoneCode; to?: string }>;
}

export function registerActions(app: Hono<AuthEnv>, deps: DashboardDeps): void {
  const { jobs } = deps;
  const guard = mutationGuard(deps);
  const jobPage = (c: DashContext) => `/jobs/${encodeURIComponent(c.req.param('id')!)}`;

  const on = (path: string, action: Action) => {
    app.post(path, guard, async (c) => {
      const form = await c.req.parseBody();
      // `back` comes from the page (dashboard.js: location.pathname), so it is already under the basePath
      const to = localPath(form.back, href(c, action.back(c)));
      if (action.confirm && form.confirmed !== '1') return confirmPage(c, deps, action.confirm(c), to);
      try {
        const r = await action.run(c);
        return c.redirect(withDone(r.to === undefined ? to : href(c, r.to), r.done), 303);
      } catch (error) {
        return failedPage(c, deps, error, to);
      }
    });
  };

  on('/jobs/:id/cancel', {
    back: jobPage,
    confirm: (c) => `Cancel job ${c.req.param('id')}?`,
    run: async (c) => {
      const id = c.req.param('id')!;
      const r = await jobs.cancel(id, { reason: 'cancelled from the dashboard' });
      if (r.outcome === 'already_finished') throw new InvalidTransitionError(r.job.state, 'cancelled', id);
      return { done: r.outcome };
    },
  });

  on('/jobs/:id/retry', {
    back: jobPage,
    run: async (c) => {
      await jobs.retry(c.req.param('id')!);
      return { done: 'retried' };
    },
  });

  // Run now, as the API's POST /jobs/{id}/run: delayed -> runnable now; finished -> retry; waiting -> nothing.
  on('/jobs/:id/run', {
    back: jobPage,
    run: async (c) => {
      const { action } = await jobs.runNow(c.req.param('id')!);
      return { done: RUN_NOW_DONE[action] };
    },
  });

  on('/jobs/:id/delete', {
    back: jobPage,
    confirm: (c) => `Delete job ${c.req.param('id')}? This cannot be undone.`,
    run: async (c) => {
      await jobs.delete(c.req.param('id')!);
      return { done: 'deleted', to: '/jobs' };
    },
  });

  const schedulePage = (c: DashContext) => `/schedules/${encodeURIComponent(c.req.param('name')!)}`;
  const schedules = () => {
    if (!deps.schedules) throw new ScheduleNotFoundError('(this docket has no scheduler API)');
    return deps.schedules;
  };
  on('/schedules/:name/trigger', {
    back: schedulePage,
    run: async (c) => {
      await schedules().triggerSchedule(c.req.param('name')!);
      return { done: 'triggered' };
    },
  });
  on('/schedules/:name/pause', {
    back: schedulePage,
    run: async (c) => {
      await schedules().pauseSchedule(c.req.param('name')!);
      return { done: 'schedule-paused' };
    },
  });
  on('/schedules/:name/resume', {
    back: schedulePage,
    run: async (c) => {
      await schedules().resumeSchedule(c.req.param('name')!);
      return { done: 'schedule-resumed' };
    },
  });

  on('/queues/:queue/pause', {
    back: () => '/',
    confirm: (c) => `Pause queue ${c.req.param('queue')}? Workers stop claiming from it; running jobs finish.`,
    run: async (c) => {
      await jobs.pauseQueue(c.req.param('queue')!);
      return { done: 'queue-paused' };
    },
  });
  on('/queues/:queue/resume', {
    back: () => '/',
    run: async (c) => {
      await jobs.resumeQueue(c.req.param('queue')!);
      return { done: 'queue-resumed' };
    },
  });
}

/** Without JavaScript (or when it was skipped) the question is asked by the server. */
function confirmPage(c: DashContext, deps: DashboardDeps, question: string, back: string): Response {
  return html(
    c,
    <MessagePage title="Are you sure?" view={viewContext(c, deps, null)}>
      <p>{question}</p>
      <form method="post" action={currentUrl(c)} class="action">
        <input type="hidden" name="confirmed" value="1" />
        <input type="hidden" name="back" value={back} />
        <button type="submit" class="danger" id="confirm-yes">
          Yes
        </button>{' '}
        <a href={back} class="button secondary">
          No, go back
        </a>
      </form>
    </MessagePage>,
  );
}

function failedPage(c: DashContext, deps: DashboardDeps, error: unknown, back: string): Response {
  const { problem, unexpected } = problemFromError(error);
  if (unexpected) deps.logger?.error({ err: error, path: c.req.path }, 'dashboard action failed');
  // an expected failure (not found, wrong state) says what happened; anything else stays generic
  const text = isDocketError(error) && !unexpected ? error.message : 'The action failed unexpectedly; the server log has the details.';
  return html(
    c,
    <MessagePage title={problem.title} view={viewContext(c, deps, null)}>
      <p id="action-error" data-code={problem.code}>
        {text}
      </p>
      <p>
        <a href={back}>Back</a>
      </p>
    </MessagePage>,
    statusOf(problem.status),
  );
}

function statusOf(n: number): 400 | 404 | 409 | 500 | 503 {
  return n === 400 || n === 404 || n === 409 || n === 503 ? n : 500;
}
