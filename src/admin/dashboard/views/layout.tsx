import type { Child } from 'hono/jsx';
import { useHref } from './base-path.js';

export type Section = 'overview' | 'jobs' | 'schedules' | 'workers';

/** What every page knows about the viewer. */
export interface ViewContext {
  /** null on the login page. */
  scope: 'read' | 'admin' | null;
  /** Admin scope: action buttons are rendered (and the POST routes accept). */
  canAct: boolean;
  /** No API key configured: open dashboard (loopback only), banner shown. */
  authOff: boolean;
  section: Section | null;
  notice?: Notice | null;
}

export interface Notice {
  kind: 'ok' | 'error';
  text: string;
}

const NAV: Array<{ section: Section; href: string; label: string }> = [
  { section: 'overview', href: '/', label: 'Overview' },
  { section: 'jobs', href: '/jobs', label: 'Jobs' },
  { section: 'schedules', href: '/schedules', label: 'Schedules' },
  { section: 'workers', href: '/workers', label: 'Workers' },
];

// htmx 4 reads its config from this meta tag: no injected indicator stylesheet (the CSP allows
// only our own files), no history snapshots, same-origin requests only.
const HTMX_CONFIG = JSON.stringify({ includeIndicatorCSS: false, history: false, mode: 'same-origin' });

export function Layout(props: { title: string; view: ViewContext; children?: Child; live?: string }) {
  const { view } = props;
  const href = useHref();
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="htmx-config" content={HTMX_CONFIG} />
        <meta name="color-scheme" content="light dark" />
        <title>{`${props.title} · docket`}</title>
        <link rel="icon" href="data:," />
        <link rel="stylesheet" href={href('/assets/uPlot.min.css')} />
        <link rel="stylesheet" href={href('/assets/dashboard.css')} />
        <script src={href('/assets/htmx.min.js')} defer></script>
        <script src={href('/assets/uPlot.iife.min.js')} defer></script>
        <script src={href('/assets/dashboard.js')} defer></script>
      </head>
      <body data-live={props.live === undefined ? undefined : href(props.live)}>
        <header class="top">
          <a class="brand" href={href('/')}>
            docket
          </a>
          {view.scope ? (
            <nav aria-label="sections">
              {NAV.map((n) => (
                <a href={href(n.href)} aria-current={view.section === n.section ? 'page' : undefined}>
                  {n.label}
                </a>
              ))}
            </nav>
          ) : null}
          {view.scope && !view.authOff ? (
            <form class="who" method="post" action={href('/logout')}>
              <span class={`badge scope-${view.scope}`} title="the scope of the key you logged in with">
                {view.scope === 'admin' ? 'admin' : 'read only'}
              </span>
              <button type="submit" class="link">
                Log out
              </button>
            </form>
          ) : null}
        </header>
        {view.authOff ? (
          <p class="banner warn" role="status" id="open-banner">
            No API key is configured, so this dashboard and the API are open without login to anyone who can reach this address; the server listens on
            loopback only. Configure an admin or read key to require a login.
          </p>
        ) : null}
        {view.scope === 'read' ? (
          <p class="banner info" role="status">
            You are logged in with a read key: you can look at everything; actions need an admin key.
          </p>
        ) : null}
        {view.notice ? (
          <p class={`banner ${view.notice.kind === 'ok' ? 'ok' : 'error'}`} role={view.notice.kind === 'ok' ? 'status' : 'alert'} id="notice">
            {view.notice.text}
          </p>
        ) : null}
        <main>{props.children}</main>
        <footer class="muted">Times are in your browser's time zone (UTC without JavaScript); hover one for its UTC instant.</footer>
      </body>
    </html>
  );
}

/** A page that only says something (errors, confirmations). */
export function MessagePage(props: { title: string; view: ViewContext; children?: Child }) {
  return (
    <Layout title={props.title} view={props.view}>
      <section class="card message">
        <h1>{props.title}</h1>
        {props.children}
      </section>
    </Layout>
  );
}
