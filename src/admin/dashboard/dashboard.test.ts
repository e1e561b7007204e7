import { afterEach, describe, expect, test } from 'vitest';
import { claimJob, enqueueOne, failure, runToOutcome } from '../../store/conformance/helpers.js';
import { ASSET_NAMES } from './assets.js';
import { CONTENT_SECURITY_POLICY } from './security.js';
import { ADMIN_KEY, dashFixture, READ_KEY, type DashFixture } from '../test-support/dash-fixture.js';

let f: DashFixture;
afterEach(async () => f?.close());

/** Markup the CSP would block, or that would execute: none may appear in a page. */
function expectNoInlineCode(html: string): void {
  // every real tag starts with a bare `<` (text has it escaped); attribute values are quoted with `"` escaped inside
  const tags = [...html.matchAll(/<[a-zA-Z][^>]*>/g)].map((m) => m[0].replace(/"[^"]*"/g, '""'));
  expect(tags.length).toBeGreaterThan(10);
  for (const tag of tags) {
    expect(tag).not.toMatch(/^<style/i);
    expect(tag).not.toMatch(/\sstyle=/i);
    expect(tag).not.toMatch(/\son[a-z]+=/i);
    if (/^<script/i.test(tag)) expect(tag).toMatch(/\ssrc=""/);
  }
}

describe('login and sessions', () => {
  test('without a session, pages redirect to the login page, fragments and the event stream answer 401', async () => {
    f = await dashFixture();
    const page = await f.get('/jobs?state=failed');
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/login?next=%2Fjobs%3Fstate%3Dfailed');
    const fragment = await f.get('/jobs?part=rows', null, { 'hx-request': 'true' });
    expect(fragment.status).toBe(401);
    expect(fragment.headers.get('hx-redirect')).toMatch(/^\/login\?next=/);
    expect((await f.get('/live')).status).toBe(401);
    const login = await f.get('/login');
    expect(login.status).toBe(200);
    expect(login.text).toContain('name="key"');
  });

  test('a valid key gets an HttpOnly SameSite=Strict session cookie and is sent back to `next`', async () => {
    f = await dashFixture();
    const r = await f.post('/login', { key: ADMIN_KEY, next: '/workers' });
    expect(r.status).toBe(303);
    expect(r.headers.get('location')).toBe('/workers');
    const cookie = r.headers.get('set-cookie')!;
    // a signed cookie (session.ts): version, payload, HMAC-SHA256
    expect(cookie).toMatch(/^docket_session=v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43};/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Path=\//);
    expect(cookie).not.toContain(ADMIN_KEY);
    const session = cookie.split(';')[0]!;
    expect((await f.get('/workers', session)).status).toBe(200);
  });

  test('an unknown key is refused without a cookie; `next` never leaves the origin', async () => {
    f = await dashFixture();
    const bad = await f.post('/login', { key: 'not-a-key-0123456789', next: '/' });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('set-cookie')).toBeNull();
    expect(bad.text).toContain('That key is not valid.');
    const evil = await f.post('/login', { key: ADMIN_KEY, next: '//evil.example/x' });
    expect(evil.headers.get('location')).toBe('/');
  });

  test('a login form posted from another origin is refused', async () => {
    f = await dashFixture();
    const r = await f.post('/login', { key: ADMIN_KEY }, null, { origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' });
    expect(r.status).toBe(403);
    expect(r.headers.get('set-cookie')).toBeNull();
  });

  test('logout makes the browser drop the session cookie', async () => {
    f = await dashFixture();
    const session = await f.login(ADMIN_KEY);
    const out = await f.post('/logout', {}, session);
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toBe('/login');
    expect(out.headers.get('set-cookie')).toMatch(/^docket_session=; Max-Age=0; Path=\/;/);
    // the browser, now without the cookie, is asked to log in again
    expect((await f.get('/')).status).toBe(303);
    // decision (docs/dashboard.md, "Sessions"): sessions are signed cookies, not server state, so a
    // copy taken before the logout stays valid until it expires; rotating the secret ends them all
    expect((await f.get('/', session)).status).toBe(200);
  });

});

describe('pages', () => {
  test('every page renders with the CSP and without inline script or style', async () => {
    f = await dashFixture();
    await f.docket.schedule('nightly', { cron: '30 2 * * *', timezone: 'Europe/Berlin' }, { job: 'noop' }).catch(() => undefined);
    f.docket.defineJob('noop', { handler: async () => null });
    const job = await f.docket.enqueue('noop', { a: 1 });
    const session = await f.login(ADMIN_KEY);
    for (const path of ['/', '/jobs', `/jobs/${job.id}`, '/schedules', '/workers', '/?part=live', '/?part=charts', '/jobs?part=rows', `/jobs/${job.id}?part=detail`]) {
      const r = await f.get(path, session);
      expect(r.status, path).toBe(200);
      expect(r.headers.get('content-security-policy'), path).toBe(CONTENT_SECURITY_POLICY);
      expect(r.headers.get('x-frame-options')).toBe('DENY');
      expect(r.headers.get('cache-control')).toBe('no-store');
      expectNoInlineCode(r.text);
    }
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-inline');
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-eval');
  });

  test('values from jobs are escaped: a <script> in data, error or progress renders as text', async () => {
    f = await dashFixture();
    const evil = '<script>alert(1)</script>';
    const store = f.docket.store;
    const failed = await runToOutcome(store, { kind: 'fail', failure: { ...failure(evil), stack: `Error: ${evil}\n    at x` } }, { data: { q: evil } });
    const running = await claimJob(store, await enqueueOne(store));
    expect(await store.saveProgress({ updates: [{ jobId: running.id, leaseToken: running.leaseToken, progress: { current: 1, total: 2, message: evil } }] })).toEqual([]);
    const job = await enqueueOne(store, { data: { html: evil, attr: '"><img src=x onerror=alert(1)>' } });
    const session = await f.login(ADMIN_KEY);
    for (const path of [`/jobs/${job.id}`, `/jobs/${failed.id}`, `/jobs/${running.id}`, '/jobs', `/jobs?search=${encodeURIComponent(evil)}`]) {
      const r = await f.get(path, session);
      expect(r.status, path).toBe(200);
      expect(r.text, path).not.toContain('<script>alert');
      expect(r.text, path).not.toContain('<img src=x');
      expectNoInlineCode(r.text);
    }
    const detail = await f.get(`/jobs/${failed.id}`, session);
    expect(detail.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect((await f.get(`/jobs/${running.id}`, session)).text).toMatch(/data-field="progress-message">&lt;script&gt;/);
  });

  test('jobs are paged in the store with a cursor and filtered by state, queue, name and search', async () => {
    f = await dashFixture();
    const store = f.docket.store;
    await store.enqueue({ jobs: Array.from({ length: 120 }, (_, i) => ({ ...base(), dataJson: JSON.stringify({ n: i, tag: i % 10 === 0 ? 'needle' : 'hay' }) })) });
    await enqueueOne(store, { queue: 'other', name: 'special' });
    const session = await f.login(ADMIN_KEY);
    const ids = (html: string) => [...html.matchAll(/data-job-id="(\d+)"/g)].map((m) => Number(m[1]));
    const next = (html: string) => /id="next-page"/.test(html) ? html.match(/href="(\/jobs\?[^"]*cursor=[^"]*)"/)![1]!.replace(/&amp;/g, '&') : null;

    let page = await f.get('/jobs', session);
    const seen: number[] = [];
    let pages = 0;
    for (;;) {
      pages++;
      seen.push(...ids(page.text));
      const link = next(page.text);
      if (!link) break;
      page = await f.get(link, session);
    }
    expect(pages).toBe(3);
    expect(seen).toEqual([...seen].sort((a, b) => b - a));
    expect(new Set(seen).size).toBe(121);

    expect(ids((await f.get('/jobs?search=needle', session)).text)).toHaveLength(12);
    expect(ids((await f.get('/jobs?queue=other', session)).text)).toHaveLength(1);
    expect(ids((await f.get('/jobs?name=special&state=waiting', session)).text)).toHaveLength(1);
    expect(ids((await f.get('/jobs?state=failed', session)).text)).toHaveLength(0);
    const bad = await f.get('/jobs?cursor=nonsense', session);
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('cursor');
    expect((await f.get('/jobs?state=bogus', session)).status).toBe(400);
  });

  test('overview shows per-queue counts, the paused flag, workers and the last hour series', async () => {
    f = await dashFixture();
    const store = f.docket.store;
    await runToOutcome(store, { kind: 'complete', resultJson: null });
    await runToOutcome(store, { kind: 'fail', failure: failure() });
    await enqueueOne(store, { queue: 'mail' });
    await f.docket.pauseQueue('mail');
    await f.docket.jobs.setQueuePolicy('mail', { retention: { completed: { maxCount: 500 }, failed: { maxAgeMs: 'unlimited' } } });
    await store.recordWorker({ worker: { id: 'w-1', host: 'box-1', pid: 4242, queues: ['default'], concurrency: 8, activeJobs: 3, startedAt: new Date() } });
    const session = await f.login(ADMIN_KEY);
    const r = await f.get('/', session);
    expect(r.status).toBe(200);
    const mail = r.text.match(/<tr data-queue="mail">.*?<\/tr>/)![0];
    expect(mail).toContain('paused');
    expect(mail).toMatch(/data-count="waiting"><a [^>]*>1</);
    // queue policy, read-only: effective retention per state, * marks what is set for this queue
    expect(mail).toMatch(/data-retention="completed">.*?7 d 0 h.*?\/ 500\*</);
    expect(mail).toMatch(/data-retention="failed">.*?any age\*/);
    const dflt = r.text.match(/<tr data-queue="default">.*?<\/tr>/)![0];
    expect(dflt).toMatch(/data-count="completed"><a [^>]*>1</);
    expect(dflt).toMatch(/data-count="failed"><a [^>]*>1</);
    expect(r.text).toContain('box-1 · pid 4242');
    const series = JSON.parse(r.text.match(/data-series="([^"]*)"/)![1]!.replace(/&quot;/g, '"')) as { t: number[]; completed: number[]; failed: number[] };
    expect(series.t).toHaveLength(60);
    expect(series.completed.reduce((a, b) => a + b)).toBe(1);
    expect(series.failed.reduce((a, b) => a + b)).toBe(1);
  });
});

describe('actions', () => {
  test('an admin cancels, runs, retries and deletes (delete and cancel ask first)', async () => {
    f = await dashFixture();
    const store = f.docket.store;
    const session = await f.login(ADMIN_KEY);
    const job = await enqueueOne(store);

    const ask = await f.post(`/jobs/${job.id}/cancel`, {}, session);
    expect(ask.status).toBe(200);
    expect(ask.text).toContain('id="confirm-yes"');
    expect((await store.getJob({ jobId: job.id }))!.state).toBe('waiting');

    const cancel = await f.post(`/jobs/${job.id}/cancel`, { confirmed: '1' }, session);
    expect(cancel.status).toBe(303);
    expect(cancel.headers.get('location')).toBe(`/jobs/${job.id}?done=cancelled`);
    expect((await store.getJob({ jobId: job.id }))!.state).toBe('cancelled');
    expect((await f.get(`/jobs/${job.id}?done=cancelled`, session)).text).toContain('The job was cancelled.');

    const retry = await f.post(`/jobs/${job.id}/retry`, { back: '/jobs?state=cancelled' }, session);
    expect(retry.headers.get('location')).toBe('/jobs?state=cancelled&done=retried');
    expect((await store.getJob({ jobId: job.id }))!).toMatchObject({ state: 'waiting', attempt: 0 });

    const delayed = await enqueueOne(store, { delayMs: 3_600_000 });
    await f.post(`/jobs/${delayed.id}/run`, {}, session);
    const promoted = (await store.getJob({ jobId: delayed.id }))!;
    expect(promoted.runAt.getTime()).toBeLessThanOrEqual(Date.now());

    expect((await f.post(`/jobs/${job.id}/delete`, {}, session)).status).toBe(200);
    expect(await store.getJob({ jobId: job.id })).not.toBeNull();
    const del = await f.post(`/jobs/${job.id}/delete`, { confirmed: '1' }, session);
    expect(del.headers.get('location')).toBe('/jobs?done=deleted');
    expect(await store.getJob({ jobId: job.id })).toBeNull();
  });

  test('a failing action says why with its status: unknown job 404, wrong state 409', async () => {
    f = await dashFixture();
    const session = await f.login(ADMIN_KEY);
    const job = await enqueueOne(f.docket.store);
    const wrong = await f.post(`/jobs/${job.id}/retry`, {}, session);
    expect(wrong.status).toBe(409);
    expect(wrong.text).toContain('data-code="INVALID_TRANSITION"');
    const missing = await f.post('/jobs/999999/retry', {}, session);
    expect(missing.status).toBe(404);
    expect(missing.text).toContain('job 999999 does not exist');
  });

  test('a read key sees no action buttons and a forged POST is refused with nothing changed', async () => {
    f = await dashFixture();
    const store = f.docket.store;
    const done = await runToOutcome(store, { kind: 'fail', failure: failure() });
    const job = await enqueueOne(store);
    const session = await f.login(READ_KEY);
    for (const id of [job.id, done.id]) {
      const page = await f.get(`/jobs/${id}`, session);
      expect(page.status).toBe(200);
      expect(page.text).not.toMatch(/<form method="post" action="\/jobs/);
      expect(page.text).toContain('read key');
    }
    expect((await f.get('/', session)).text).not.toContain('/pause"');
    for (const [path, id] of [
      [`/jobs/${job.id}/cancel`, job.id],
      [`/jobs/${done.id}/retry`, done.id],
      [`/jobs/${job.id}/delete`, job.id],
    ] as const) {
      const r = await f.post(path, { confirmed: '1' }, session);
      expect(r.status, path).toBe(403);
      expect(r.text).toContain('needs an admin key');
      expect((await store.getJob({ jobId: id }))!.state).toBe(id === job.id ? 'waiting' : 'failed');
    }
    expect((await f.post('/queues/default/pause', { confirmed: '1' }, session)).status).toBe(403);
    expect((await store.listQueues()).find((q) => q.queue === 'default')?.paused ?? false).toBe(false);
  });

  test('a cross-origin POST is refused even with an admin session', async () => {
    f = await dashFixture();
    const job = await enqueueOne(f.docket.store);
    const session = await f.login(ADMIN_KEY);
    const forged: Array<Record<string, string | null>> = [
      { 'sec-fetch-site': 'cross-site', origin: 'http://evil.example' },
      { 'sec-fetch-site': 'same-site', origin: 'http://localhost:9999' },
      { 'sec-fetch-site': null, origin: 'http://evil.example' },
      { 'sec-fetch-site': null, origin: null },
    ];
    for (const headers of forged) {
      const r = await f.post(`/jobs/${job.id}/cancel`, { confirmed: '1' }, session, headers);
      expect(r.status, JSON.stringify(headers)).toBe(403);
      expect(r.text).toContain('id="refused"');
    }
    expect((await f.docket.store.getJob({ jobId: job.id }))!.state).toBe('waiting');
  });

  test('schedules: listed with trigger and time zone; trigger now, pause and resume act on the store', async () => {
    f = await dashFixture({ docket: { worker: { enabled: false } } });
    f.docket.defineJob('report', { handler: async () => null });
    await f.docket.schedule('nightly', { cron: '30 2 * * *', timezone: 'Asia/Kolkata' }, { job: 'report', data: { kind: '<b>x</b>' } });
    await f.docket.start();
    const session = await f.login(ADMIN_KEY);
    const list = await f.get('/schedules', session);
    const row = list.text.match(/<tr data-schedule="nightly".*?<\/tr>/)![0];
    expect(row).toContain('Asia/Kolkata');
    expect(row).toContain('cron 30 2 * * *');
    expect(row).toContain('id="trigger-nightly"');

    const t = await f.post('/schedules/nightly/trigger', { back: '/schedules' }, session);
    expect(t.headers.get('location')).toBe('/schedules?done=triggered');
    const jobs = await f.docket.store.listJobs({ scheduleName: 'nightly', limit: 10 });
    expect(jobs.jobs).toHaveLength(1);

    await f.post('/schedules/nightly/pause', {}, session);
    expect((await f.docket.getSchedule('nightly'))!.paused).toBe(true);
    expect((await f.get('/schedules', session)).text).toContain('id="resume-nightly"');
    await f.post('/schedules/nightly/resume', {}, session);
    expect((await f.docket.getSchedule('nightly'))!.paused).toBe(false);

    const detail = await f.get('/schedules/nightly', session);
    expect(detail.text).toContain('triggered by hand');
    expect(detail.text).toContain('&lt;b&gt;x&lt;/b&gt;');
    expect((await f.post('/schedules/nope/trigger', {}, session)).status).toBe(404);
  });
});

describe('no key configured', () => {
  test('the dashboard is open without login and says so; actions still need the same origin', async () => {
    f = await dashFixture({ keys: {} });
    const job = await enqueueOne(f.docket.store);
    const r = await f.get('/');
    expect(r.status).toBe(200);
    expect(r.text).toContain('id="open-banner"');
    expect(r.text).toContain('No API key is configured');
    expect((await f.get('/login')).status).toBe(303);
    expect((await f.post(`/jobs/${job.id}/cancel`, { confirmed: '1' }, null, { 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect((await f.post(`/jobs/${job.id}/cancel`, { confirmed: '1' })).status).toBe(303);
    expect((await f.docket.store.getJob({ jobId: job.id }))!.state).toBe('cancelled');
  });

  test('only loopback host names are served, so a DNS-rebound page cannot act', async () => {
    f = await dashFixture({ keys: {} });
    const job = await enqueueOne(f.docket.store);
    for (const host of ['127.0.0.1:7070', 'localhost:7070', '[::1]:7070']) expect((await f.get('/', null, { host })).status, host).toBe(200);
    expect((await f.get('/', null, { host: 'attacker.example:7070' })).status).toBe(403);
    expect((await f.get('/live', null, { host: 'attacker.example:7070' })).status).toBe(403);
    const rebound = await f.post(`/jobs/${job.id}/cancel`, { confirmed: '1' }, null, { host: 'attacker.example:7070', origin: 'http://attacker.example:7070', 'sec-fetch-site': 'same-origin' });
    expect(rebound.status).toBe(403);
    expect((await f.docket.store.getJob({ jobId: job.id }))!.state).toBe('waiting');
  });
});

describe('assets and wiring', () => {
  test('static assets are served with a type and an ETag; other names are not found', async () => {
    f = await dashFixture();
    for (const name of ASSET_NAMES) {
      const r = await f.get(`/assets/${name}`);
      expect(r.status, name).toBe(200);
      expect(r.headers.get('content-type')).toMatch(name.endsWith('.css') ? /^text\/css/ : /^text\/javascript/);
      const etag = r.headers.get('etag')!;
      expect((await f.get(`/assets/${name}`, null, { 'if-none-match': etag })).status).toBe(304);
    }
    for (const bad of ['nope.js', '..%2Fpackage.json', '%2E%2E%2Fdashboard.ts', 'constructor', '__proto__']) expect((await f.get(`/assets/${bad}`)).status, bad).toBe(404);
  });

  test('`dashboard: false` leaves only the API; the API is unaffected by the dashboard', async () => {
    f = await dashFixture({ app: { dashboard: false } });
    expect((await f.get('/')).status).toBe(404);
    expect((await f.get('/assets/dashboard.js')).status).toBe(404);
    const api = await f.get('/api/v1/queues', null, { 'x-api-key': READ_KEY });
    expect(api.status).toBe(200);
  });
});

function base() {
  return {
    name: 'conformance-job',
    queue: 'default',
    dataJson: '{}',
    priority: 0,
    delayMs: 0,
    runAt: null,
    maxAttempts: 3,
    timeoutMs: null,
    idempotencyKey: null,
    keepKeyForever: false,
    releaseKeyOnFailure: false,
    scheduleName: null,
    fireTime: null,
  };
}
