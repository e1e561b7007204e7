import { validate, compileErrors } from '@readme/openapi-parser';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterEach, describe, expect, it } from 'vitest';
import { PermanentError } from '../../../core/errors.js';
import { drain } from '../../../testing/index.js';
import { ADMIN_KEY, READ_KEY, adminFixture, type Fixture } from '../../test-support/admin-fixture.js';

let f: Fixture;
afterEach(async () => {
  await f?.close();
});

describe('GET /healthz', () => {
  it('answers 200 without a key while the store answers, 503 once it is closed', async () => {
    f = adminFixture();
    const ok = await f.call('GET', '/healthz', { key: null });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ status: 'ok', store: 'sqlite' });
    await f.docket.store.close();
    const down = await f.call('GET', '/healthz', { key: null });
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({ code: 'STORE_ERROR', detail: 'the store did not answer' });
  });
});

describe('GET /metrics', () => {
  function family(text: string, name: string) {
    const fam = parsePrometheusTextFormat(text).find((m) => m.name === name);
    if (!fam) throw new Error(`metric ${name} missing`);
    return fam;
  }
  /**
   * Samples of `name` (e.g. a histogram's `_count` series) with their labels. The
   * parser folds a labelled histogram into one unlabelled sample, so the series
   * are read from a second parse with the TYPE lines removed (every series untyped).
   */
  function series(text: string, name: string) {
    return parsePrometheusTextFormat(text.replace(/^# TYPE .*$/gm, ''))
      .filter((m) => m.name === name)
      .flatMap((m) => m.metrics);
  }

  it('exposes counters, histograms and gauges that a Prometheus text parser accepts', async () => {
    f = adminFixture();
    f.docket.defineJob('ok', { queue: 'work', async handler() {} });
    f.docket.defineJob('bad', { queue: 'work', maxAttempts: 2, retry: { backoff: { type: 'fixed', delayMs: 0 } }, async handler() {
      throw new Error('nope');
    } });
    f.docket.defineJob('fatal', { queue: 'work', async handler() {
      throw new PermanentError('no');
    } });
    await f.docket.enqueue('ok', {});
    await f.docket.enqueue('ok', {});
    await f.docket.enqueue('bad', {});
    await f.docket.enqueue('fatal', {});
    await f.docket.enqueue('ok', {}, { delayMs: 3_600_000 });
    await drain(f.docket);

    const r = await f.call('GET', '/metrics', { key: READ_KEY });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = r.text;

    const enq = family(text, 'docket_jobs_enqueued_total');
    expect(enq.type).toBe('COUNTER');
    expect(enq.metrics).toContainEqual({ labels: { queue: 'work', name: 'ok' }, value: '3' });
    const fin = family(text, 'docket_jobs_finished_total').metrics;
    expect(fin).toContainEqual({ labels: { queue: 'work', name: 'ok', outcome: 'completed' }, value: '2' });
    expect(fin).toContainEqual({ labels: { queue: 'work', name: 'bad', outcome: 'failed' }, value: '1' });
    expect(fin).toContainEqual({ labels: { queue: 'work', name: 'fatal', outcome: 'failed' }, value: '1' });
    expect(family(text, 'docket_job_retries_total').metrics).toContainEqual({ labels: { queue: 'work', name: 'bad' }, value: '1' });

    expect(family(text, 'docket_job_run_seconds').type).toBe('HISTOGRAM');
    const runCounts = series(text, 'docket_job_run_seconds_count');
    expect(runCounts).toContainEqual({ labels: { queue: 'work', name: 'ok', outcome: 'completed' }, value: '2' });
    expect(runCounts).toContainEqual({ labels: { queue: 'work', name: 'bad', outcome: 'retrying' }, value: '1' });
    expect(runCounts).toContainEqual({ labels: { queue: 'work', name: 'bad', outcome: 'failed' }, value: '1' });
    expect(runCounts).toContainEqual({ labels: { queue: 'work', name: 'fatal', outcome: 'failed' }, value: '1' });
    expect(series(text, 'docket_job_run_seconds_bucket')).toContainEqual({ labels: { queue: 'work', name: 'ok', outcome: 'completed', le: '+Inf' }, value: '2' });
    // wait time: one observation per attempt started, taken from job:started (retried attempts too)
    expect(family(text, 'docket_job_wait_seconds').type).toBe('HISTOGRAM');
    const waits = series(text, 'docket_job_wait_seconds_count');
    expect(waits).toContainEqual({ labels: { queue: 'work', name: 'ok' }, value: '2' });
    expect(waits).toContainEqual({ labels: { queue: 'work', name: 'bad' }, value: '2' });
    expect(waits).toContainEqual({ labels: { queue: 'work', name: 'fatal' }, value: '1' });
    // the delayed job never started: no wait observed beyond these 5
    expect(waits.reduce((n, m) => n + Number(m.value), 0)).toBe(5);

    const depth = family(text, 'docket_queue_jobs').metrics;
    expect(depth).toContainEqual({ labels: { queue: 'work', state: 'completed' }, value: '2' });
    expect(depth).toContainEqual({ labels: { queue: 'work', state: 'failed' }, value: '2' });
    expect(depth).toContainEqual({ labels: { queue: 'work', state: 'delayed' }, value: '1' });
    expect(family(text, 'docket_store_up').metrics).toEqual([{ value: '1' }]);
    // idle: the queue keeps its series at 0 (src/admin/api/metrics.test.ts)
    expect(family(text, 'docket_active_jobs').metrics).toEqual([{ labels: { queue: 'work' }, value: '0' }]);
    // schedule series exist before any fire (fed by schedule events: src/admin/api/routes/schedules.test.ts)
    expect(family(text, 'docket_schedule_lateness_seconds').type).toBe('HISTOGRAM');
    expect(family(text, 'docket_schedule_misfires_total').type).toBe('COUNTER');
    expect(family(text, 'docket_schedule_skipped_fires_total').type).toBe('COUNTER');
  });

  it('needs a read key unless publicMetrics is set; apps keep separate registries', async () => {
    f = adminFixture();
    expect((await f.call('GET', '/metrics', { key: null })).status).toBe(401);
    const open = adminFixture({ app: { publicMetrics: true } });
    try {
      const r = await open.call('GET', '/metrics', { key: null });
      expect(r.status).toBe(200);
      expect(parsePrometheusTextFormat(r.text).length).toBeGreaterThan(5);
      expect(open.app.metrics.registry).not.toBe(f.app.metrics.registry);
    } finally {
      await open.close();
    }
  });

  it('reports docket_store_up 0 when the store does not answer', async () => {
    f = adminFixture();
    await f.call('GET', '/healthz'); // migrated
    await f.docket.store.close();
    const r = await f.call('GET', '/metrics');
    expect(r.status).toBe(200);
    expect(family(r.text, 'docket_store_up').metrics).toEqual([{ value: '0' }]);
  });
});

describe('GET /api/v1/openapi.json', () => {
  it('is a valid OpenAPI 3.1 document covering every route, each with its scope', async () => {
    f = adminFixture();
    const r = await f.call('GET', '/api/v1/openapi.json', { key: null });
    expect(r.status).toBe(200);
    const doc = r.body;
    const result = await validate(structuredClone(doc));
    expect(result.valid, result.valid ? '' : compileErrors(result)).toBe(true);
    expect(doc.openapi).toBe('3.1.0');
    const ops = Object.entries(doc.paths as Record<string, Record<string, { 'x-docket-scope': string; security: unknown[] }>>).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({ route: `${method.toUpperCase()} ${path}`, scope: op['x-docket-scope'], security: op.security })),
    );
    expect(ops.map((o) => o.route).sort()).toEqual(
      [
        'GET /healthz',
        'GET /metrics',
        'GET /api/v1/events',
        'GET /api/v1/queues',
        'GET /api/v1/queues/{queue}',
        'PATCH /api/v1/queues/{queue}',
        'POST /api/v1/queues/{queue}/pause',
        'POST /api/v1/queues/{queue}/resume',
        'GET /api/v1/jobs',
        'POST /api/v1/jobs',
        'GET /api/v1/jobs/{id}',
        'DELETE /api/v1/jobs/{id}',
        'POST /api/v1/jobs/{id}/cancel',
        'POST /api/v1/jobs/{id}/retry',
        'POST /api/v1/jobs/{id}/run',
        'GET /api/v1/workers',
        'GET /api/v1/stats',
        'GET /api/v1/schedules',
        'GET /api/v1/schedules/{name}',
        'POST /api/v1/schedules/{name}/trigger',
        'POST /api/v1/schedules/{name}/pause',
        'POST /api/v1/schedules/{name}/resume',
        'DELETE /api/v1/schedules/{name}',
      ].sort(),
    );
    for (const op of ops) {
      const expected = op.route === 'GET /healthz' ? 'public' : op.route.startsWith('GET ') ? 'read' : 'admin';
      expect(op.scope, op.route).toBe(expected);
      expect(op.security.length, op.route).toBe(expected === 'public' ? 0 : 2);
    }
  });

  it('answers unknown routes with a 404 problem', async () => {
    f = adminFixture();
    const r = await f.call('GET', '/api/v1/nope', { key: ADMIN_KEY });
    expect(r.status).toBe(404);
    expect(r.body.code).toBe('ROUTE_NOT_FOUND');
  });
});
