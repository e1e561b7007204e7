import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import express from 'express';
import { Hono } from 'hono';
import { mount } from 'hono/mount';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createAdminApp, createAdminListener, type AdminApp } from 'docket/http';
import { createTestDocket } from 'docket/testing';
import type { Docket } from '../../src/docket.js';

/**
 * Issue 12, "Mounting into a user's server": the admin app mounted under
 * `/admin` of a user's Hono, Express (with a global `express.json()` and
 * `express.urlencoded()` in front) and plain node:http server. Each server is
 * real (127.0.0.1, ephemeral port) and is driven over HTTP as a browser and
 * an API client would: the API and its `Location` headers, the OpenAPI
 * document's server URL, the dashboard's links, redirects, static assets,
 * login, actions and logout must all stay under the prefix, and the user's
 * own routes must keep working beside it.
 */

const ADMIN_KEY = 'admin-key-0123456789abcdef';
const SECRET = 'mount-test-session-secret-0123456789abcdef';
const PREFIX = '/admin';

interface Mounted {
  origin: string;
  close(): Promise<void>;
}

let docket: Docket | null = null;
let app: AdminApp | null = null;
let mounted: Mounted | null = null;
afterEach(async () => {
  await mounted?.close();
  app?.close();
  await docket?.close({ graceMs: 0 });
  mounted = null;
  app = null;
  docket = null;
});

function makeAdmin(basePath = PREFIX): AdminApp {
  docket = createTestDocket();
  docket.defineJob('send', { handler: async () => 'sent' });
  app = createAdminApp({ docket, keys: { admin: [ADMIN_KEY] }, sessionSecrets: [SECRET], logger: false, basePath });
  return app;
}

function listen(server: Server): Promise<Mounted> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        origin: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

const mounts: Array<[string, () => Promise<Mounted>]> = [
  [
    'Hono app.route()',
    async () => {
      const user = new Hono();
      user.get('/hello', (c) => c.text('hello from the user app'));
      user.route(PREFIX, makeAdmin());
      return listen(createAdaptorServer({ fetch: user.fetch }) as Server);
    },
  ],
  [
    "Hono all('/admin/*', mount(admin.fetch)) from hono/mount (strips the prefix)",
    async () => {
      const user = new Hono();
      user.get('/hello', (c) => c.text('hello from the user app'));
      user.all(`${PREFIX}/*`, mount(makeAdmin().fetch));
      return listen(createAdaptorServer({ fetch: user.fetch }) as Server);
    },
  ],
  [
    'Express app.use() behind express.json() and express.urlencoded()',
    async () => {
      const user = express();
      user.use(express.json());
      user.use(express.urlencoded({ extended: false }));
      user.get('/hello', (_req, res) => {
        res.type('text').send('hello from the user app');
      });
      user.post('/echo', (req, res) => {
        res.json(req.body);
      });
      user.use(PREFIX, createAdminListener(makeAdmin()));
      return listen(createServer(user));
    },
  ],
  [
    'node:http createServer()',
    async () => {
      const admin = createAdminListener(makeAdmin());
      return listen(
        createServer((req, res) => {
          if (req.url === PREFIX || req.url?.startsWith(`${PREFIX}/`) || req.url?.startsWith(`${PREFIX}?`)) return admin(req, res);
          res.setHeader('content-type', 'text/plain');
          res.end('hello from the user app');
        }),
      );
    },
  ],
];

/** Every same-origin URL a page points at (links, forms, scripts, styles, htmx, the event stream). */
function localUrls(html: string): string[] {
  return [...html.matchAll(/\s(?:href|src|action|hx-get|hx-post|data-live)="(\/[^"]*)"/g)].map((m) => m[1]!.replace(/&amp;/g, '&'));
}

function expectUnderPrefix(html: string): void {
  const urls = localUrls(html);
  expect(urls.length).toBeGreaterThan(5);
  for (const url of urls) expect(url, url).toMatch(new RegExp(`^${PREFIX}($|/|\\?)`));
}

async function exercise(origin: string): Promise<void> {
  const at = (path: string) => `${origin}${path}`;
  const api = { 'x-api-key': ADMIN_KEY };
  const browser = { origin, 'sec-fetch-site': 'same-origin', 'content-type': 'application/x-www-form-urlencoded' };

  // ---- the API
  expect((await fetch(at(`${PREFIX}/healthz`))).status).toBe(200);
  const created = await fetch(at(`${PREFIX}/api/v1/jobs`), {
    method: 'POST',
    headers: { ...api, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'send', data: { to: 'ops@example.com' }, delayMs: 3_600_000 }),
  });
  const job = (await created.json()) as { id: string; job: { data: unknown } };
  expect(created.status).toBe(201);
  expect(job.job.data).toEqual({ to: 'ops@example.com' });
  const location = created.headers.get('location')!;
  expect(location).toBe(`${PREFIX}/api/v1/jobs/${job.id}`);
  const got = await fetch(at(location), { headers: api });
  expect(got.status).toBe(200);
  expect(((await got.json()) as { id: string }).id).toBe(job.id);

  const spec = (await (await fetch(at(`${PREFIX}/api/v1/openapi.json`))).json()) as { servers: Array<{ url: string }> };
  expect(spec.servers[0]!.url).toBe(PREFIX);
  const unknown = await fetch(at(`${PREFIX}/api/v1/nope`), { headers: api });
  expect(unknown.status).toBe(404);
  expect(unknown.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(((await unknown.json()) as { code: string }).code).toBe('ROUTE_NOT_FOUND');
  const wrongMethod = await fetch(at(`${PREFIX}/api/v1/queues`), { method: 'DELETE', headers: api });
  expect(wrongMethod.status).toBe(405);
  expect(wrongMethod.headers.get('allow')).toContain('GET');

  // ---- the dashboard: login redirect, login page, login
  const anonymous = await fetch(at(`${PREFIX}/jobs?state=delayed`), { redirect: 'manual' });
  expect(anonymous.status).toBe(303);
  expect(anonymous.headers.get('location')).toBe(`${PREFIX}/login?next=${encodeURIComponent(`${PREFIX}/jobs?state=delayed`)}`);
  const loginPage = await fetch(at(`${PREFIX}/login`));
  expect(loginPage.status).toBe(200);
  expectUnderPrefix(await loginPage.text());

  const login = await fetch(at(`${PREFIX}/login`), {
    method: 'POST',
    redirect: 'manual',
    headers: browser,
    body: new URLSearchParams({ key: ADMIN_KEY, next: `${PREFIX}/jobs?state=delayed` }).toString(),
  });
  expect(login.status).toBe(303);
  expect(login.headers.get('location')).toBe(`${PREFIX}/jobs?state=delayed`);
  const setCookie = login.headers.get('set-cookie')!;
  expect(setCookie).toMatch(new RegExp(`Path=${PREFIX}(;|$)`));
  const cookie = setCookie.split(';')[0]!;

  // ---- pages, fragments and assets
  for (const page of [`${PREFIX}`, `${PREFIX}/jobs`, `${PREFIX}/jobs/${job.id}`, `${PREFIX}/schedules`, `${PREFIX}/workers`]) {
    const r = await fetch(at(page), { headers: { cookie }, redirect: 'manual' });
    expect(r.status, page).toBe(200);
    expectUnderPrefix(await r.text());
  }
  const jobsPage = await (await fetch(at(`${PREFIX}/jobs`), { headers: { cookie } })).text();
  expect(localUrls(jobsPage)).toContain(`${PREFIX}/jobs/${job.id}`);
  const asset = await fetch(at(`${PREFIX}/assets/dashboard.js`));
  expect(asset.status).toBe(200);
  expect(asset.headers.get('content-type')).toMatch(/javascript/);
  const fragment = await fetch(at(`${PREFIX}/jobs?part=rows`), { headers: { 'hx-request': 'true' } });
  expect(fragment.status).toBe(401);
  expect(fragment.headers.get('hx-redirect')).toMatch(new RegExp(`^${PREFIX}/login\\?next=`));

  // ---- actions: the server's confirmation page posts back under the prefix; the redirect stays there
  const confirm = await fetch(at(`${PREFIX}/jobs/${job.id}/cancel`), { method: 'POST', headers: { ...browser, cookie }, body: '' });
  expect(confirm.status).toBe(200);
  const confirmHtml = await confirm.text();
  expect(confirmHtml).toContain(`action="${PREFIX}/jobs/${job.id}/cancel"`);
  expectUnderPrefix(confirmHtml);
  const cancelled = await fetch(at(`${PREFIX}/jobs/${job.id}/cancel`), {
    method: 'POST',
    redirect: 'manual',
    headers: { ...browser, cookie },
    body: new URLSearchParams({ confirmed: '1' }).toString(),
  });
  expect(cancelled.status).toBe(303);
  expect(cancelled.headers.get('location')).toBe(`${PREFIX}/jobs/${job.id}?done=cancelled`);
  expect((await docket!.jobs.get(job.id))?.state).toBe('cancelled');

  // ---- logout
  const logout = await fetch(at(`${PREFIX}/logout`), { method: 'POST', redirect: 'manual', headers: { ...browser, cookie }, body: '' });
  expect(logout.status).toBe(303);
  expect(logout.headers.get('location')).toBe(`${PREFIX}/login`);
  expect(logout.headers.get('set-cookie')).toMatch(new RegExp(`Path=${PREFIX}(;|$)`));

  // ---- the user's own routes are untouched
  expect(await (await fetch(at('/hello'))).text()).toBe('hello from the user app');
}

describe.each(mounts)('the admin app mounted at /admin with %s', (_name, mount) => {
  it('serves the API, Location headers, dashboard links, redirects, assets and login under /admin', async () => {
    mounted = await mount();
    await exercise(mounted.origin);
  });
});

describe('Express specifics', () => {
  it("a body parser in front of the admin app neither breaks its POSTs nor the user's own JSON routes", async () => {
    mounted = await mounts.find(([name]) => name.startsWith('Express'))![1]();
    const echo = await fetch(`${mounted.origin}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    expect(await echo.json()).toEqual({ a: 1 });
    // the same validation answers as unmounted: a body that is not an object, an unknown field
    const notObject = await fetch(`${mounted.origin}${PREFIX}/api/v1/jobs`, { method: 'POST', headers: { 'x-api-key': ADMIN_KEY, 'content-type': 'application/json' }, body: '[1]' });
    expect(notObject.status).toBe(400);
    expect(((await notObject.json()) as { code: string }).code).toBe('INVALID_REQUEST');
    const unknownField = await fetch(`${mounted.origin}${PREFIX}/api/v1/jobs`, {
      method: 'POST',
      headers: { 'x-api-key': ADMIN_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'send', nme: 'typo' }),
    });
    expect(unknownField.status).toBe(400);
    expect(((await unknownField.json()) as { code: string; field?: string }).code).toBe('INVALID_OPTION');
  });
});

describe('node:http specifics', () => {
  it('a request outside basePath that reaches the listener answers 404 problem+json', async () => {
    const admin = createAdminListener(makeAdmin());
    mounted = await listen(createServer((req, res) => admin(req, res)));
    const r = await fetch(`${mounted.origin}/elsewhere/api/v1/jobs`, { headers: { 'x-api-key': ADMIN_KEY } });
    expect(r.status).toBe(404);
    expect(((await r.json()) as { code: string }).code).toBe('ROUTE_NOT_FOUND');
  });
});

describe('Hono specifics', () => {
  it('with no API key, dashboard pages under route() still answer only to a loopback Host (DNS rebinding guard)', async () => {
    docket = createTestDocket();
    app = createAdminApp({ docket, keys: {}, logger: false, basePath: PREFIX });
    const user = new Hono();
    user.route(PREFIX, app);
    for (const page of [PREFIX, `${PREFIX}/jobs`, `${PREFIX}/live`]) {
      const foreign = await user.request(`http://rebound.example${page}`, { headers: { host: 'rebound.example' } });
      expect(foreign.status, page).toBe(403);
    }
    const local = await user.request(`http://localhost${PREFIX}/jobs`, { headers: { host: 'localhost' } });
    expect(local.status).toBe(200);
  });

  it('a route() prefix other than basePath is logged once, naming the fix', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
    docket = createTestDocket();
    app = createAdminApp({ docket, keys: { admin: [ADMIN_KEY] }, sessionSecrets: [SECRET], logger });
    const user = new Hono();
    user.route(PREFIX, app);
    for (let i = 0; i < 3; i++) expect((await user.request(`${PREFIX}/healthz`)).status).toBe(200);
    const warnings = lines.filter((l) => l.includes('basePath'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`pass basePath: '${PREFIX}'`);
  });
});
