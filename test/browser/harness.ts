import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { Docket } from '../../src/docket.js';
import { serveAdmin, type AdminServer } from '../../src/admin/api/index.js';
import { SqliteStore } from '../../src/stores/sqlite/index.js';

/**
 * A real dashboard for browser tests: a Docket on a temporary SQLite file
 * with a running worker and scheduler, the admin server on 127.0.0.1 (a
 * free port), and Debian's chromium driven by playwright-core (never a
 * downloaded browser).
 */
export const CHROMIUM = process.env.DOCKET_CHROMIUM ?? '/usr/bin/chromium';
export const ADMIN_KEY = 'browser-admin-key-0123456789';
export const READ_KEY = 'browser-read-key-0123456789';
export const ARTIFACTS = join(process.cwd(), 'test-artifacts', 'dashboard');

/** Whether the browser tests can run; when they cannot, say so loudly (and fail under DOCKET_REQUIRE_SERVERS=1). */
export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  const message = `browser tests SKIPPED: ${CHROMIUM} is missing (apt-get install -y chromium, or set DOCKET_CHROMIUM)`;
  if (process.env.DOCKET_REQUIRE_SERVERS === '1') throw new Error(`${message}; DOCKET_REQUIRE_SERVERS=1 makes this a failure`);
  console.warn(`\n*** ${message} ***\n`);
  return false;
}

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Content-Security-Policy violations and uncaught page errors seen so far. */
  problems: string[];
  close(): Promise<void>;
}

/** A fresh headless chromium with its own --user-data-dir (so its own cookies). */
export async function openBrowser(viewport = { width: 1280, height: 900 }): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'docket-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport });
  const page = context.pages()[0] ?? (await context.newPage());
  const problems: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to (execute|apply|load|connect)/i.test(m.text())) problems.push(`csp: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  return {
    context,
    page,
    problems,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export interface Served {
  docket: Docket;
  store: SqliteStore;
  server: AdminServer;
  url: string;
  close(): Promise<void>;
}

/** Handlers the tests steer: `quick` finishes at once, `slow` runs until cancelled, `flaky` fails while `flaky.fail` is set. */
export const flaky = { fail: true };

export async function serveDashboard(): Promise<Served> {
  const dir = mkdtempSync(join(tmpdir(), 'docket-dashboard-'));
  const store = new SqliteStore({ path: join(dir, 'docket.db') });
  const docket = new Docket({ store, logger: false, worker: { concurrency: 4, pollIntervalMs: 50 } });
  docket.defineJob('quick', { queue: 'live', handler: async () => ({ ok: true }) });
  docket.defineJob('slow', {
    handler: async (_data, ctx) => {
      ctx.progress(3, 10, 'copying files');
      await new Promise<void>((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason as Error), { once: true }));
    },
  });
  docket.defineJob('flaky', {
    maxAttempts: 1,
    handler: async () => {
      if (flaky.fail) throw new Error('the mail server said no');
      return { sent: true };
    },
  });
  docket.defineJob('report', { queue: 'reports', handler: async () => ({ rows: 42 }) });
  await docket.schedule('nightly-report', { cron: '0 3 * * *', timezone: 'Europe/Berlin' }, { job: 'report', data: { kind: 'daily' } });
  await docket.start();
  const server = await serveAdmin({ docket, keys: { admin: [ADMIN_KEY], read: [READ_KEY] }, host: '127.0.0.1', port: 0, logger: false });
  return {
    docket,
    store,
    server,
    url: server.url,
    async close() {
      await server.close({ graceMs: 0 });
      await docket.close({ graceMs: 0 });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Another origin on the same site (127.0.0.1, another port): SameSite=Strict cookies still go along, so only the Origin check stops its forms. */
export async function serveEvilPage(target: string): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((_req, res) => {
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.end(`<!doctype html><title>cute cats</title><form method="post" action="${target}"><input type="hidden" name="confirmed" value="1"><button id="go">See cats</button></form>`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // the browser keeps its connection alive
      }),
  };
}

export async function login(page: Page, url: string, key: string): Promise<void> {
  await page.goto(`${url}/login`);
  await page.fill('#key', key);
  await Promise.all([page.waitForURL(`${url}/`), page.click('button[type=submit]')]);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Polls the store (the browser's view is checked by the test; this is the ground truth afterwards). */
export async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
}
