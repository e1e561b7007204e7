import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createAdminApp, createAdminListener, type AdminApp } from '../../src/admin/api/index.js';
import { Docket } from '../../src/docket.js';
import { SqliteStore } from '../../src/stores/sqlite/index.js';
import { ADMIN_KEY, chromiumAvailable, openBrowser, until, type Browser } from './harness.js';

/**
 * Issue 12: the dashboard mounted under /admin of a user's Express app (with a
 * global express.json() and express.urlencoded() in front), in chromium: the
 * login redirect, the login form, live updates (htmx fragments and the event
 * stream), an action with the browser's confirmation and its redirect all stay
 * under /admin, no request of the page leaves it, and the CSP sees nothing.
 */
const run = chromiumAvailable();
const PREFIX = '/admin';

describe.skipIf(!run)('dashboard under /admin of an Express app, in chromium', () => {
  let dir: string;
  let store: SqliteStore;
  let docket: Docket;
  let admin: AdminApp;
  let server: Server;
  let origin: string;
  let b: Browser;
  const requested: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'docket-mounted-'));
    store = new SqliteStore({ path: join(dir, 'docket.db') });
    docket = new Docket({ store, logger: false, worker: { concurrency: 2, pollIntervalMs: 50 } });
    docket.defineJob('quick', { queue: 'live', handler: async () => ({ ok: true }) });
    docket.defineJob('slow', {
      handler: async (_data, ctx) => {
        ctx.progress(1, 2, 'halfway');
        await new Promise<void>((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason as Error), { once: true }));
      },
    });
    await docket.start();
    admin = createAdminApp({ docket, keys: { admin: [ADMIN_KEY] }, sessionSecrets: ['browser-mount-secret-0123456789abcdef'], logger: false, basePath: PREFIX });
    const app = express();
    app.use(express.json());
    app.use(express.urlencoded({ extended: false }));
    app.get('/', (_req, res) => {
      res.send('the user app');
    });
    app.use(PREFIX, createAdminListener(admin));
    server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    b = await openBrowser();
    b.page.on('request', (r) => void requested.push(new URL(r.url()).pathname));
  }, 60_000);

  afterAll(async () => {
    await b?.close();
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    admin?.close();
    await docket?.close({ graceMs: 0 });
    rmSync(dir, { recursive: true, force: true });
  });

  test('login, live updates and an action stay under /admin', async () => {
    const { page } = b;
    await page.goto(`${origin}${PREFIX}/jobs`);
    expect(page.url()).toBe(`${origin}${PREFIX}/login?next=${encodeURIComponent(`${PREFIX}/jobs`)}`);
    await page.fill('#key', ADMIN_KEY);
    await Promise.all([page.waitForURL(`${origin}${PREFIX}/jobs`), page.click('button[type=submit]')]);
    const cookies = await b.context.cookies(`${origin}${PREFIX}`);
    expect(cookies).toEqual([expect.objectContaining({ name: 'docket_session', path: PREFIX, httpOnly: true })]);

    // live: the job page follows the job from waiting to completed without a reload
    await docket.pauseQueue('live');
    const quick = await docket.enqueue('quick', {});
    await page.goto(`${origin}${PREFIX}/jobs/${quick.id}`);
    await expect.poll(() => page.getAttribute('#job-detail', 'data-state')).toBe('waiting');
    await docket.resumeQueue('live');
    await page.waitForSelector('#job-detail[data-state="completed"]', { timeout: 15_000 });

    // an action: the browser asks, the form posts under /admin, the redirect lands there with its notice
    const slow = await docket.enqueue('slow', {});
    await until(() => store.getJob({ jobId: slow.id }), (j) => j?.progress?.message === 'halfway');
    await page.goto(`${origin}${PREFIX}/jobs/${slow.id}`);
    page.once('dialog', (d) => void d.accept());
    await page.click('#action-cancel');
    await page.waitForSelector('#job-detail[data-state="cancelled"]', { timeout: 15_000 });
    expect(page.url()).toMatch(new RegExp(`^${origin}${PREFIX}/jobs/${slow.id}\\?done=`));
    expect(await page.textContent('#notice')).toMatch(/cancel/i);
    expect((await store.getJob({ jobId: slow.id }))!.state).toBe('cancelled');

    // navigation by the page's own links
    await Promise.all([page.waitForURL(`${origin}${PREFIX}/workers`), page.click('nav a[href$="/workers"]')]);
    await Promise.all([page.waitForURL(`${origin}${PREFIX}`), page.click('a.brand')]);

    expect(requested.length).toBeGreaterThan(10);
    expect(requested.filter((p) => p !== PREFIX && !p.startsWith(`${PREFIX}/`))).toEqual([]);
    expect(requested).toContain(`${PREFIX}/live`);
    expect(requested).toContain(`${PREFIX}/assets/htmx.min.js`);
    expect(b.problems).toEqual([]);
  });
});
