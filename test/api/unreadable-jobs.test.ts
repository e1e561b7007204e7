import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { createAdminApp } from '../../src/admin/api/app.js';
import { adminFixtureOn } from '../../src/admin/test-support/admin-fixture.js';
import { SqliteStore } from '../../src/stores/sqlite/index.js';
import { createTestDocket, drain } from '../../src/testing/index.js';

/**
 * Issue 11, finding 1 end to end: a job stored with malformed JSON (as the
 * 1,001-deep payload once was) stops nothing. The worker runs every other
 * job on every queue; the bad one ends failed with UNREADABLE_JOB; the API
 * lists and shows it (raw data, `unreadable`), and so does the dashboard.
 */
const dir = mkdtempSync(join(tmpdir(), 'docket-unreadable-api-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('an unreadable job through a running Docket, the API and the dashboard', () => {
  it('other queues run, the job fails with UNREADABLE_JOB, list/get/dashboard answer', async () => {
    const path = join(dir, 'api.db');
    const docket = createTestDocket({ store: new SqliteStore({ path }), maintenance: { enabled: false } });
    const ran: string[] = [];
    docket.defineJob('a', { queue: 'qa', handler: async (_d, ctx) => void ran.push(ctx.jobId) });
    docket.defineJob('b', { queue: 'qb', handler: async (_d, ctx) => void ran.push(ctx.jobId) });
    await docket.store.migrate();
    const bad = await docket.enqueue('a', { n: 0 }, { priority: 100 });
    const others = await docket.enqueueMany([...Array.from({ length: 5 }, (_, n) => ({ name: 'a', data: { n } })), ...Array.from({ length: 5 }, (_, n) => ({ name: 'b', data: { n } }))]);
    const raw = new Database(path);
    raw.prepare('UPDATE docket_jobs SET data = ? WHERE id = ?').run('['.repeat(1_001) + ']'.repeat(1_001), Number(bad.id));
    raw.close();

    const f = adminFixtureOn(docket, {});
    // Reads answer before the worker has seen the row.
    const before = await f.call('GET', '/api/v1/jobs?limit=50');
    expect(before.status).toBe(200);
    expect(before.body.jobs.find((j: { id: string }) => j.id === bad.id).unreadable.fields).toEqual(['data']);

    await drain(docket, { timeoutMs: 20_000 });
    expect(ran.sort()).toEqual(others.map((j) => j.id).sort());
    const got = await f.call('GET', `/api/v1/jobs/${bad.id}`);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ state: 'failed', error: { code: 'UNREADABLE_JOB' }, unreadable: { fields: ['data'] } });
    expect(typeof got.body.data).toBe('string');
    const list = await f.call('GET', '/api/v1/jobs?state=failed');
    expect(list.status).toBe(200);
    expect(list.body.jobs.map((j: { id: string }) => j.id)).toEqual([bad.id]);

    // The dashboard's job page shows the code and what could not be read.
    const app = createAdminApp({ docket, keys: { admin: ['k'.repeat(24)] }, logger: false });
    const login = await app.request('/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost', 'sec-fetch-site': 'same-origin' },
      body: new URLSearchParams({ key: 'k'.repeat(24), next: '/' }).toString(),
    });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const page = await app.request(`/jobs/${bad.id}`, { headers: { cookie } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('UNREADABLE_JOB');
    expect(html).toContain('data-field="unreadable"');
    app.close();
    await f.close();
  });
});
