import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ADMIN_KEY, chromiumAvailable, flaky, login, openBrowser, READ_KEY, screenshot, serveDashboard, serveEvilPage, until, type Browser, type Served } from './harness.js';

/**
 * The dashboard in a real browser (Debian's chromium through playwright-core)
 * against a real server with a running worker and scheduler on a temporary
 * SQLite file. Every action is checked in the store afterwards; screenshots
 * of each page go to test-artifacts/dashboard/ (not committed).
 */
const run = chromiumAvailable();

describe.skipIf(!run)('dashboard in chromium', () => {
  let s: Served;
  let admin: Browser;

  beforeAll(async () => {
    s = await serveDashboard();
    admin = await openBrowser();
    await login(admin.page, s.url, ADMIN_KEY);
  }, 60_000);

  afterAll(async () => {
    await admin?.close();
    await s?.close();
  });

  test('the login page takes a key and sets the session; a wrong key is refused', async () => {
    const b = await openBrowser();
    try {
      await b.page.goto(`${s.url}/jobs`);
      expect(b.page.url()).toBe(`${s.url}/login?next=%2Fjobs`);
      await screenshot(b.page, 'login');
      await b.page.fill('#key', 'wrong-key-0123456789abcdef');
      await b.page.click('button[type=submit]');
      await expect.poll(() => b.page.textContent('#login-error')).toContain('not valid');
      await b.page.fill('#key', ADMIN_KEY);
      await Promise.all([b.page.waitForURL(`${s.url}/jobs`), b.page.click('button[type=submit]')]);
      const cookies = await b.context.cookies(s.url);
      expect(cookies).toHaveLength(1);
      expect(cookies[0]).toMatchObject({ name: 'docket_session', httpOnly: true, sameSite: 'Strict' });
      expect(await b.page.evaluate(() => document.cookie)).toBe('');
      expect(b.problems).toEqual([]);
    } finally {
      await b.close();
    }
  });

  test('a job goes from waiting to completed on the open page, without a reload', async () => {
    const { page } = admin;
    await s.docket.pauseQueue('live');
    const job = await s.docket.enqueue('quick', { to: 'ada@example.com' });
    await page.goto(`${s.url}/jobs/${job.id}`);
    await expect.poll(() => page.getAttribute('#job-detail', 'data-state')).toBe('waiting');
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));

    await s.docket.resumeQueue('live');
    await page.waitForSelector('#job-detail[data-state="completed"]', { timeout: 15_000 });
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);
    expect(await page.textContent('[aria-label="job result"]')).toContain('"ok": true');
    expect((await s.store.getJob({ jobId: job.id }))!.state).toBe('completed');
    await screenshot(page, 'job-completed');
  });

  test('cancelling a running job shows it cancelled; the store agrees', async () => {
    const { page } = admin;
    const job = await s.docket.enqueue('slow', {});
    await until(() => s.store.getJob({ jobId: job.id }), (j) => j?.progress?.message === 'copying files');
    await page.goto(`${s.url}/jobs/${job.id}`);
    expect(await page.getAttribute('#job-detail', 'data-state')).toBe('active');
    expect(await page.getAttribute('progress', 'value')).toBe('30.0');
    expect(await page.textContent('[data-field="progress-message"]')).toBe('copying files');
    await screenshot(page, 'job-running');

    page.once('dialog', (d) => void d.accept());
    await page.click('#action-cancel');
    await page.waitForSelector('#job-detail[data-state="cancelled"]', { timeout: 15_000 });
    expect(await page.textContent('#notice')).toMatch(/cancel/i);
    expect((await s.store.getJob({ jobId: job.id }))!.state).toBe('cancelled');
  });

  test('retrying a failed job runs it again; the store records the new outcome', async () => {
    const { page } = admin;
    flaky.fail = true;
    const job = await s.docket.enqueue('flaky', { to: 'bob@example.com' });
    await until(() => s.store.getJob({ jobId: job.id }), (j) => j?.state === 'failed');
    await page.goto(`${s.url}/jobs/${job.id}`);
    expect(await page.textContent('[data-field="error-message"]')).toBe('the mail server said no');
    expect(await page.textContent('.stack')).toContain('Error: the mail server said no');
    await screenshot(page, 'job-failed');

    flaky.fail = false;
    await page.click('#action-retry');
    await page.waitForSelector('#job-detail[data-state="completed"]', { timeout: 15_000 });
    expect((await s.store.getJob({ jobId: job.id }))!).toMatchObject({ state: 'completed', attempt: 1, result: { sent: true } });
  });

  test('a schedule is triggered and paused from its page; the store agrees', async () => {
    const { page } = admin;
    await page.goto(`${s.url}/schedules`);
    const row = page.locator('tr[data-schedule="nightly-report"]');
    expect(await row.textContent()).toContain('Europe/Berlin');
    expect(await row.textContent()).toContain('cron 0 3 * * *');
    await screenshot(page, 'schedules');

    await page.click('#trigger-nightly-report');
    await page.waitForSelector('#notice');
    const fired = await until(() => s.store.listJobs({ scheduleName: 'nightly-report', limit: 10 }), (p) => p.jobs.length === 1);
    expect(fired.jobs).toHaveLength(1);

    await page.click('#pause-nightly-report');
    await page.waitForSelector('#resume-nightly-report');
    expect((await s.docket.getSchedule('nightly-report'))!.paused).toBe(true);
    expect(await page.getAttribute('tr[data-schedule="nightly-report"]', 'data-paused')).toBe('1');

    await page.goto(`${s.url}/schedules/nightly-report`);
    await page.waitForSelector('tr[data-outcome="fired"]');
    await screenshot(page, 'schedule-detail');
    await page.click('#resume-nightly-report');
    await page.waitForSelector('#pause-nightly-report');
    expect((await s.docket.getSchedule('nightly-report'))!.paused).toBe(false);
  });

  test('a read key sees no action buttons, and its forged POST is refused', async () => {
    const reader = await openBrowser();
    try {
      await s.docket.pauseQueue('live');
      const job = await s.docket.enqueue('quick', { n: 1 });
      await login(reader.page, s.url, READ_KEY);
      await reader.page.goto(`${s.url}/jobs/${job.id}`);
      expect(await reader.page.locator('form[method="post"][action^="/jobs/"]').count()).toBe(0);
      await reader.page.goto(`${s.url}/schedules`);
      expect(await reader.page.locator('#trigger-nightly-report').count()).toBe(0);
      await reader.page.goto(`${s.url}/`);
      expect(await reader.page.locator('form[action$="/pause"]').count()).toBe(0);
      await screenshot(reader.page, 'overview-read-key');

      // the session is there (same origin, cookie sent), but the scope is read
      const status = await reader.page.evaluate(async (id) => {
        const r = await fetch(`/jobs/${id}/cancel`, { method: 'POST', body: new URLSearchParams({ confirmed: '1' }) });
        return r.status;
      }, job.id);
      expect(status).toBe(403);
      expect((await s.store.getJob({ jobId: job.id }))!.state).toBe('waiting');
      expect(reader.problems).toEqual([]);
    } finally {
      await s.docket.resumeQueue('live');
      await reader.close();
    }
  });

  test('a form posted from another origin is refused, although the cookie goes along', async () => {
    await s.docket.pauseQueue('live');
    const job = await s.docket.enqueue('quick', { n: 2 });
    const evil = await serveEvilPage(`${s.url}/jobs/${job.id}/cancel`);
    try {
      await admin.page.goto(evil.url);
      const [response] = await Promise.all([admin.page.waitForResponse((r) => r.request().method() === 'POST'), admin.page.click('#go')]);
      expect(response.status()).toBe(403);
      expect(response.request().headers()['cookie'] ?? (await response.request().allHeaders())['cookie']).toMatch(/docket_session=/);
      await admin.page.waitForSelector('#refused');
      expect(await admin.page.textContent('#refused')).toMatch(/cross-origin/);
      expect((await s.store.getJob({ jobId: job.id }))!.state).toBe('waiting');
    } finally {
      await evil.close();
      await s.docket.resumeQueue('live');
    }
  });

  test('a <script> in job data renders as text and never runs', async () => {
    const { page } = admin;
    await s.docket.pauseQueue('live');
    try {
      const job = await s.docket.enqueue('quick', { html: '<script>window.pwned = 1</script>', img: '<img src=x onerror="window.pwned = 2">' });
      await page.goto(`${s.url}/jobs/${job.id}`);
      expect(await page.textContent('[aria-label="job data"]')).toContain('<script>window.pwned = 1</script>');
      await page.goto(`${s.url}/jobs?queue=live`);
      expect(await page.textContent(`tr[data-job-id="${job.id}"]`)).toContain('<script>');
      expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
      expect(await page.locator('main script, main img').count()).toBe(0);
    } finally {
      await s.docket.resumeQueue('live');
    }
  });

  test('every page renders at 1280 px and at phone width without CSP violations; charts are drawn', async () => {
    const { page } = admin;
    const job = (await s.store.listJobs({ limit: 1, states: ['completed'] })).jobs[0]!;
    const pages: Array<[string, string]> = [
      ['overview', '/'],
      ['jobs', '/jobs'],
      ['job', `/jobs/${job.id}`],
      ['schedules', '/schedules'],
      ['workers', '/workers'],
    ];
    for (const [name, path] of pages) {
      await page.goto(`${s.url}${path}`);
      await screenshot(page, name);
    }
    await page.goto(`${s.url}/`);
    await page.waitForSelector('[data-chart="throughput"] canvas');
    expect(await page.locator('.uplot').count()).toBe(2);
    expect(await page.textContent('.workers-brief')).toContain('busy');

    const phone = await openBrowser({ width: 390, height: 844 });
    try {
      await login(phone.page, s.url, ADMIN_KEY);
      for (const [name, path] of pages) {
        await phone.page.goto(`${s.url}${path}`);
        // nothing wider than the screen: wide tables scroll inside their card
        const overflow = await phone.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        expect(overflow, name).toBeLessThanOrEqual(0);
        await screenshot(phone.page, `${name}-phone`);
      }
      expect(phone.problems).toEqual([]);
    } finally {
      await phone.close();
    }
    expect(admin.problems).toEqual([]);
  }, 60_000);
});
