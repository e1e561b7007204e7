/**
 * The README's walkthrough as tests, against a running example (SQLite or
 * PostgreSQL): each `it` drives the documented HTTP interface.
 */
import { expect, it } from 'vitest';
import type { Store } from 'docket';
import { until } from '../test-support/spawn-example.js';
import { hangingSite } from './test-support.js';
import { SEED_STATUSES } from './job-status.js';

export interface ScenarioTarget {
  /** e.g. http://127.0.0.1:41234 */
  url(): string;
  apiKey: string;
  /** A second connection to the example's store, to check what the API says against it. */
  store(): Store;
}

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export function apiScenarios(target: ScenarioTarget): void {
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${target.url()}/api/v1/jobs${path}`, {
      method,
      headers: { 'x-api-key': target.apiKey, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as Json };
  };
  const submit = async (path: string, body?: unknown) => {
    const res = await call('POST', path, body);
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body).toMatchObject({ job_id: expect.any(String), status: 'pending' });
    return res.body.job_id as string;
  };
  const status = async (id: string) => (await call('GET', `/status/${id}`)).body;
  const finished = (id: string) => until(async () => {
    const s = await status(id);
    return ['completed', 'failed', 'cancelled'].includes(s.status) ? s : null;
  }, `job ${id} to finish`);
  const site = (slug: string) => `${target.url()}/stand-in/companies/${slug}`;

  it('answers bad input with a clear 4xx, never a 500', async () => {
    const cases: Array<[string, string, unknown, Record<string, string>, number]> = [
      ['POST', '/scrape/company', { company_url: site('ledgerly') }, { 'x-api-key': '' }, 401],
      ['POST', '/scrape/company', { company_url: site('ledgerly') }, { 'x-api-key': 'not-the-key' }, 401],
      ['GET', '/statistics', undefined, { 'x-api-key': 'not-the-key' }, 401],
      ['POST', '/scrape/company', '{"company_url": ', {}, 400],
      ['POST', '/scrape/company', 'company_url=x', { 'content-type': 'application/x-www-form-urlencoded' }, 415],
      ['POST', '/scrape/company', {}, {}, 422],
      ['POST', '/scrape/company', { company_url: 'ftp://example.com' }, {}, 422],
      ['POST', '/scrape/company', { company_url: site('ledgerly'), priority: 'urgent' }, {}, 422],
      ['POST', '/scrape/company', { company_url: site('ledgerly'), extra: 1 }, {}, 422],
      ['POST', '/scrape/company', [], {}, 422],
      ['POST', '/scrape/companies', { company_urls: [] }, {}, 422],
      ['POST', '/scrape/batch', { search_queries: ['x'], max_results_per_query: 0 }, {}, 422],
      ['POST', '/process/scores', { company_ids: ['not an id!'] }, {}, 422],
      ['POST', '/analytics/report', { company_ids: ['comp_1'], report_type: 'weekly' }, {}, 422],
      ['POST', '/maintenance/cleanup?older_than_days=abc', undefined, {}, 422],
      ['POST', '/maintenance/cleanup?older_than_days=-1', undefined, {}, 422],
      ['POST', '/maintenance/health-check', { now: true }, {}, 422],
      ['GET', '/list?status=sleeping', undefined, {}, 422],
      ['GET', '/list?limit=0', undefined, {}, 422],
      ['GET', '/list?limit=ten', undefined, {}, 422],
      ['GET', '/status/999999', undefined, {}, 404],
      ['GET', '/status/..%2F..%2Fetc', undefined, {}, 404],
      ['DELETE', '/cancel/999999', undefined, {}, 404],
      ['POST', '/scrape/everything', {}, {}, 404],
      ['POST', '/scrape/companies', { company_urls: Array.from({ length: 5_000 }, (_, i) => `${site('ledgerly')}?page=${i}`) }, {}, 413],
    ];
    for (const [method, path, body, headers, expected] of cases) {
      const res = await call(method, path, body, headers);
      expect({ method, path, status: res.status }).toEqual({ method, path, status: expected });
      expect(res.body.detail, `${method} ${path}`).toBeTruthy();
    }
  });

  it('scrapes a company site, then processes, scores, enriches and reports on the lead', async () => {
    const scrape = await finished(await submit('/scrape/company', { company_url: site('ledgerly'), priority: 'high' }));
    expect(scrape).toMatchObject({
      task_name: 'scrape-company', queue: 'scraping', status: 'completed', priority: 'high', attempts: 1,
      progress: { step: 1, total: 1, percent: 100, message: 'Scraped Ledgerly' },
      result: { name: 'Ledgerly', domain: 'ledgerly.example', industry: 'Financial Services', emails: ['hello@ledgerly.example'], phones: ['+442079460321'] },
    });
    const ids = [scrape.result.company_id as string, 'comp_unknown'];
    const processed = await finished(await submit('/process/data', { company_ids: ids }));
    expect(processed).toMatchObject({ queue: 'processing', status: 'completed', result: { processed: 1, missing: ['comp_unknown'] } });
    const scores = await finished(await submit('/process/scores', { company_ids: ids }));
    // 120 people (30) + financial services (25) + email (15) + phone (10) + founded 2015 (0) + GB (10)
    expect(scores.result.results[0]).toMatchObject({ score: 90, breakdown: { company_size: 30, industry_fit: 25, growth_stage: 0 } });
    const enriched = await finished(await submit('/process/enrich', { company_ids: ids }));
    expect(enriched.result.results[0].enrichment).toMatchObject({ sizeBand: '51-200', region: 'EMEA', primaryContact: 'hello@ledgerly.example' });
    const report = await finished(await submit('/analytics/report', { company_ids: ids, report_type: 'comprehensive' }));
    expect(report).toMatchObject({ queue: 'analytics', status: 'completed', result: { companies: 1, average_score: 90, by_country: { GB: 1 }, top_leads: [{ name: 'Ledgerly', score: 90 }] } });
    const analysis = await finished(await submit('/analytics/analyze', { company_ids: ids }));
    expect(analysis.result).toMatchObject({ ideal_customer_profile: 'Financial Services', by_size_band: { '51-200': 1 } });
  });

  it('does not retry a data error: an unknown company fails at once', async () => {
    const job = await finished(await submit('/process/data', { company_ids: ['comp_never_scraped'] }));
    expect(job).toMatchObject({ status: 'failed', attempts: 1, error: { category: 'data', message: expect.stringContaining('none of the company ids') } });
  });

  it('batch-scrapes the results of search queries', async () => {
    const job = await finished(await submit('/scrape/batch', { search_queries: ['fintech companies'], max_results_per_query: 2 }));
    expect(job.status).toBe('completed');
    expect(job.result.total_scraped).toBe(2);
    expect(job.result.queries[0].scraped.map((s: Json) => s.name)).toEqual(['Ledgerly', 'Paystream']);
  });

  it('cancels a running scrape: the handler aborts its download and the job ends cancelled', async () => {
    const slow = await hangingSite();
    try {
      const id = await submit('/scrape/companies', { company_urls: [`${slow.url}/about`, site('quillbox')] });
      // running, with the slow site's request in flight
      await until(async () => slow.requests.length === 1 && (await status(id)).status === 'running', 'the scrape to reach the slow site');
      const cancel = await call('DELETE', `/cancel/${id}`);
      // one of the seed's six statuses: the handler aborts its download at once, so the job has ended
      expect(cancel).toEqual({ status: 200, body: { job_id: id, status: 'cancelled' } });
      expect(SEED_STATUSES).toContain(cancel.body.status);
      const job = await finished(id);
      expect(job.status).toBe('cancelled');
      expect(job.progress).toMatchObject({ step: 0, total: 2 }); // the second site was never scraped
      await until(async () => slow.requests[0]!.aborted, 'the slow request to be aborted');
      expect((await call('DELETE', `/cancel/${id}`)).status).toBe(409);
    } finally {
      await slow.close();
    }
  });

  it('lists jobs by status with a limit', async () => {
    const completed = await call('GET', '/list?status=completed&limit=2');
    expect(completed.status).toBe(200);
    expect(completed.body).toMatchObject({ status: 'completed', limit: 2, count: 2 });
    expect(completed.body.jobs.every((j: Json) => j.status === 'completed')).toBe(true);
    const cancelled = await call('GET', '/list?status=cancelled&limit=10');
    expect(cancelled.body.jobs.map((j: Json) => j.task_name)).toEqual(['scrape-companies']);
    expect((await call('GET', '/list?status=running')).body.jobs).toEqual([]);
  });

  it('runs maintenance on request: health check, database optimisation, cleanup', async () => {
    const health = await finished(await submit('/maintenance/health-check'));
    expect(health).toMatchObject({ queue: 'maintenance', status: 'completed', result: { healthy: true, checks: { workers: { ok: true } } } });
    const optimize = await finished(await submit('/maintenance/optimize-db'));
    expect(optimize.result.commands.length).toBeGreaterThan(0);
    const cleanup = await finished(await submit('/maintenance/cleanup?older_than_days=90'));
    expect(cleanup.result).toMatchObject({ older_than_days: 90, deleted_jobs: 0 });
  });

  it('reports statistics that match the store', async () => {
    const { status: code, body } = await call('GET', '/statistics');
    expect(code).toBe(200);
    const counts = await target.store().countJobs();
    const sum = (state: 'waiting' | 'delayed' | 'active' | 'completed' | 'failed' | 'cancelled') => counts.reduce((n, q) => n + q.counts[state], 0);
    expect(body.by_status).toEqual({
      pending: sum('waiting'), retry: sum('delayed'), running: sum('active'),
      completed: sum('completed'), failed: sum('failed'), cancelled: sum('cancelled'),
    });
    // the walkthrough above: 10 completed, 1 failed, 1 cancelled (plus any maintenance fire that came due meanwhile)
    expect(body.by_status.completed).toBeGreaterThanOrEqual(10);
    expect(body.by_status).toMatchObject({ failed: 1, cancelled: 1 });
    expect(body.total_jobs).toBe(counts.reduce((n, q) => n + Object.values(q.counts).reduce((a, b) => a + b, 0), 0));
    expect(Object.keys(body.queue_lengths)).toEqual(['scraping', 'processing', 'analytics', 'maintenance']);
    const { completed, failed } = body.last_hour;
    expect(body.last_hour.success_rate).toBeCloseTo(completed / (completed + failed), 3);
    expect(body.average_execution_ms['scrape-company']).toEqual(expect.any(Number));
  });
}
