import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterEach, describe, expect, it } from 'vitest';
import type { Docket } from '../../../docket.js';
import { schedulerFixture, type SchedulerFixture } from '../../../scheduler/test-support/scheduler-fixture.js';
import type { AdminAppOptions } from '../app.js';
import type { AdminDocket } from '../../kit/admin-port.js';
import { READ_KEY, adminFixtureOn, type Fixture } from '../../test-support/admin-fixture.js';
import { SseReader } from '../../test-support/sse-reader.js';

let sf: SchedulerFixture;
let f: Fixture;
const readers: SseReader[] = [];
afterEach(async () => {
  for (const r of readers.splice(0)) await r.cancel().catch(() => undefined);
  await f?.close();
  await sf?.close();
});

const T0 = '2026-01-01T00:00:30Z';
const iso = (hhmmss: string) => `2026-01-01T${hhmmss}.000Z`;

/** An admin app on a Docket of the scheduler fixture (worker off, scheduler on, job `tick` defined). */
function serve(d: Docket, app: Partial<AdminAppOptions> = {}): Fixture {
  f = adminFixtureOn(d, { clock: sf.clock, ...app }, false);
  return f;
}

/** `etl` (every 15m) and `nightly` (cron in Asia/Kolkata), started at T0 on the app's Docket. */
async function twoSchedules(app: Partial<AdminAppOptions> = {}): Promise<Docket> {
  sf = schedulerFixture(T0);
  const d = sf.docket();
  await d.schedule('etl', { every: '15m' }, { job: 'tick', data: { full: false }, priority: 5, catchUp: 'all', maxRunning: 2 });
  await d.schedule('nightly', { cron: '30 2 * * *', timezone: 'Asia/Kolkata' }, { job: 'tick' });
  await d.start();
  serve(d, app);
  return d;
}

/**
 * Schedules stored at T0 by a process without a scheduler; nothing fires until
 * 00:03:30, when the app's Docket (same declarations) starts its scheduler:
 * - `skip` (every 1m, catchUp skip): 00:01 and 00:02 misfire, 00:03 fires 30 s late;
 * - `busy` (every 1m, maxRunning 1, grace 10 min): 00:03 fires, 00:01 and 00:02 are skipped.
 */
async function afterDowntime(): Promise<Docket> {
  sf = schedulerFixture(T0);
  const declare = async (d: Docket) => {
    await d.schedule('skip', { every: '1m' }, { job: 'tick', catchUp: 'skip' });
    await d.schedule('busy', { every: '1m' }, { job: 'tick', maxRunning: 1, misfireGraceMs: 600_000 });
  };
  const before = sf.docket({ scheduler: { enabled: false } });
  await declare(before);
  await before.start();
  await before.stop();
  await sf.clock.set(Date.parse('2026-01-01T00:03:30Z'));
  const d = sf.docket();
  await declare(d);
  serve(d, { publicMetrics: true });
  await d.start();
  await sf.at('2026-01-01T00:03:30Z');
  return d;
}

function series(text: string, name: string) {
  return parsePrometheusTextFormat(text.replace(/^# TYPE .*$/gm, ''))
    .filter((m) => m.name === name)
    .flatMap((m) => m.metrics);
}

describe('GET /api/v1/schedules', () => {
  it('lists every schedule with trigger, time zone, policy, paused, removed, next fires, last fire and last miss', async () => {
    await twoSchedules();
    await sf.at('2026-01-01T00:15:00Z');
    const r = await f.call('GET', '/api/v1/schedules', { key: READ_KEY });
    expect(r.status).toBe(200);
    expect(r.body.schedules.map((s: { name: string }) => s.name)).toEqual(['etl', 'nightly']);
    const [etl, nightly] = r.body.schedules;
    expect(etl).toEqual({
      name: 'etl',
      description: 'every 15m',
      trigger: { kind: 'every', intervalMs: 900_000, anchor: '1970-01-01T00:00:00.000Z' },
      timezone: null,
      policy: { misfireGraceMs: 60_000, catchUp: 'all', catchUpMax: 100, maxRunning: 2, jitterMs: 0 },
      job: { name: 'tick', queue: 'default', data: { full: false }, priority: 5, maxAttempts: expect.any(Number), timeoutMs: null },
      paused: false,
      removed: false,
      removedAt: null,
      declaredHere: true,
      nextFireAt: iso('00:30:00'),
      nextFires: ['00:30:00', '00:45:00', '01:00:00', '01:15:00', '01:30:00'].map(iso),
      lastFire: {
        outcome: 'fired',
        manual: false,
        catchUp: false,
        fireAt: iso('00:15:00'),
        lastFireAt: iso('00:15:00'),
        count: 1,
        countExact: true,
        jobId: expect.any(String),
        lateMs: 0,
        recordedAt: iso('00:15:00'),
      },
      lastMissed: null,
      createdAt: iso('00:00:30'),
      updatedAt: iso('00:00:30'),
    });
    expect(nightly).toMatchObject({
      description: 'cron 30 2 * * * (Asia/Kolkata)',
      trigger: { kind: 'cron', expression: '30 2 * * *', timezone: 'Asia/Kolkata' },
      timezone: 'Asia/Kolkata',
      lastFire: null,
      nextFires: ['2026-01-01T21:00:00.000Z', '2026-01-02T21:00:00.000Z', '2026-01-03T21:00:00.000Z', '2026-01-04T21:00:00.000Z', '2026-01-05T21:00:00.000Z'],
    });
  });

  it('takes ?next= (0 to 100); refuses a bad value (400) and a missing key (401)', async () => {
    await twoSchedules();
    const two = await f.call('GET', '/api/v1/schedules?next=2');
    expect(two.body.schedules[0].nextFires).toEqual([iso('00:15:00'), iso('00:30:00')]);
    expect((await f.call('GET', '/api/v1/schedules?next=0')).body.schedules[0].nextFires).toEqual([]);
    for (const bad of ['101', '-1', 'x', '1.5']) {
      const r = await f.call('GET', `/api/v1/schedules?next=${bad}`);
      expect(r.status, bad).toBe(400);
      expect(r.body, bad).toMatchObject({ code: 'INVALID_OPTION', field: 'next' });
      expect(r.headers.get('content-type')).toBe('application/problem+json');
    }
    expect((await f.call('GET', '/api/v1/schedules', { key: null })).status).toBe(401);
  });

  it('flags a schedule no process declares any more as removed, with no next fires', async () => {
    sf = schedulerFixture(T0);
    const v1 = sf.docket({ scheduler: { enabled: false } });
    for (const name of ['kept', 'dropped']) await v1.schedule(name, { every: '1m' }, { job: 'tick' });
    await v1.start();
    await v1.stop();
    const v2 = sf.docket();
    await v2.schedule('kept', { every: '1m' }, { job: 'tick' });
    await v2.start();
    serve(v2);
    const r = await f.call('GET', '/api/v1/schedules');
    expect(r.body.schedules).toEqual([
      expect.objectContaining({ name: 'dropped', removed: true, removedAt: iso('00:00:30'), declaredHere: false, nextFires: [] }),
      expect.objectContaining({ name: 'kept', removed: false, removedAt: null, declaredHere: true }),
    ]);
  });
});

describe('GET /api/v1/schedules/{name}', () => {
  it('shows recent fires newest first with outcome and lateness: fired, misfired, skipped, paused', async () => {
    await afterDowntime();
    await f.call('POST', '/api/v1/schedules/skip/pause');
    await sf.at('2026-01-01T00:06:30Z');
    await f.call('POST', '/api/v1/schedules/skip/resume');

    const skip = await f.call('GET', '/api/v1/schedules/skip', { key: READ_KEY });
    expect(skip.status).toBe(200);
    expect(skip.body.recentFires).toEqual([
      expect.objectContaining({ outcome: 'paused', count: 3, fireAt: iso('00:04:00'), lastFireAt: iso('00:06:00'), jobId: null, lateMs: null }),
      // one claim at 00:03:30 recorded the fire, then the summary of the two it dropped
      expect.objectContaining({ outcome: 'misfired', count: 2, countExact: true, fireAt: iso('00:01:00'), lastFireAt: iso('00:02:00'), jobId: null }),
      expect.objectContaining({ outcome: 'fired', manual: false, fireAt: iso('00:03:00'), lateMs: 30_000, jobId: expect.any(String), recordedAt: iso('00:03:30') }),
    ]);
    expect(skip.body).toMatchObject({ paused: false, nextFireAt: iso('00:07:00'), lastMissed: { outcome: 'paused' }, lastFire: { outcome: 'fired' } });
    expect(skip.body.nextFires).toHaveLength(5);

    const busy = await f.call('GET', '/api/v1/schedules/busy?recent=2&next=1');
    expect(busy.body.nextFires).toEqual([iso('00:07:00')]);
    expect(busy.body.recentFires).toHaveLength(2);
    // its one job (worker off) stays waiting, so every later fire is skipped by maxRunning 1
    const all = (await f.call('GET', '/api/v1/schedules/busy')).body.recentFires as Array<{ outcome: string; fireAt: string }>;
    expect(all.map((x) => [x.outcome, x.fireAt.slice(11, 16)])).toEqual([
      ['skipped', '00:06'],
      ['skipped', '00:05'],
      ['skipped', '00:04'],
      ['skipped', '00:02'],
      ['skipped', '00:01'],
      ['fired', '00:03'],
    ]);
  });

  it('answers 404 SCHEDULE_NOT_FOUND, 400 for a bad name or query, 401 without a key', async () => {
    await twoSchedules();
    const missing = await f.call('GET', '/api/v1/schedules/nope');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ code: 'SCHEDULE_NOT_FOUND', details: { scheduleName: 'nope' } });
    expect((await f.call('GET', '/api/v1/schedules/-bad')).body).toMatchObject({ code: 'INVALID_NAME', field: 'name' });
    expect((await f.call('GET', '/api/v1/schedules/etl?recent=1001')).body).toMatchObject({ code: 'INVALID_OPTION', field: 'recent' });
    expect((await f.call('GET', '/api/v1/schedules/etl', { key: null })).status).toBe(401);
  });
});

describe('POST /api/v1/schedules/{name}/trigger', () => {
  it('enqueues the job now (201 + Location), recorded as a manual fire, slots untouched; streamed as schedule:fired', async () => {
    await twoSchedules();
    const res = await f.app.request('/api/v1/events', { headers: { 'x-api-key': READ_KEY } });
    const sse = new SseReader(res.body!);
    readers.push(sse);
    await sse.until('counts');

    const r = await f.call('POST', '/api/v1/schedules/etl/trigger');
    expect(r.status).toBe(201);
    expect(r.headers.get('location')).toBe(`/api/v1/jobs/${r.body.id}`);
    expect(r.body).toMatchObject({ created: true, job: { id: r.body.id, name: 'tick', state: 'waiting', data: { full: false }, priority: 5, scheduleName: 'etl' } });
    const one = (await f.call('GET', '/api/v1/schedules/etl')).body;
    expect(one.recentFires).toEqual([expect.objectContaining({ outcome: 'fired', manual: true, jobId: r.body.id, fireAt: iso('00:00:30') })]);
    expect(one.nextFireAt).toBe(iso('00:15:00'));
    const fired = JSON.parse((await sse.until('schedule:fired'))!.data!);
    expect(fired).toMatchObject({ schedule: 'etl', jobId: r.body.id, manual: true, fireAt: iso('00:00:30') });
  });

  it('works on a paused schedule; 401 / 403 / 404 / 400', async () => {
    await twoSchedules();
    await f.call('POST', '/api/v1/schedules/nightly/pause');
    expect((await f.call('POST', '/api/v1/schedules/nightly/trigger')).status).toBe(201);
    expect((await f.call('POST', '/api/v1/schedules/etl/trigger', { key: null })).status).toBe(401);
    const forbidden = await f.call('POST', '/api/v1/schedules/etl/trigger', { key: READ_KEY });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.code).toBe('FORBIDDEN');
    expect((await f.call('POST', '/api/v1/schedules/nope/trigger')).body).toMatchObject({ status: 404, code: 'SCHEDULE_NOT_FOUND' });
    expect((await f.call('POST', '/api/v1/schedules/a%20b/trigger')).body).toMatchObject({ status: 400, code: 'INVALID_NAME' });
    expect((await f.docket.listJobs({ name: 'tick' })).jobs).toHaveLength(1);
  });

  it('shares the enqueue rate limit (429 with Retry-After)', async () => {
    await twoSchedules({ enqueueRateLimit: { perSecond: 1, burst: 1 } });
    expect((await f.call('POST', '/api/v1/schedules/etl/trigger')).status).toBe(201);
    const limited = await f.call('POST', '/api/v1/schedules/etl/trigger');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
  });
});

describe('POST /api/v1/schedules/{name}/pause and /resume', () => {
  it('pauses (no fires) and resumes from the next fire after now without replaying', async () => {
    await twoSchedules();
    const paused = await f.call('POST', '/api/v1/schedules/etl/pause');
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({ name: 'etl', paused: true, nextFireAt: iso('00:15:00') });
    expect(paused.body.nextFires).toHaveLength(5);
    await sf.at('2026-01-01T00:31:00Z');
    expect(await sf.fireTimes('etl')).toEqual([]);
    expect((await f.call('GET', '/api/v1/schedules', { key: READ_KEY })).body.schedules[0].paused).toBe(true);
    const resumed = await f.call('POST', '/api/v1/schedules/etl/resume');
    expect(resumed.status).toBe(200);
    expect(resumed.body).toMatchObject({ paused: false, nextFireAt: iso('00:45:00'), lastMissed: { outcome: 'paused', count: 2 } });
    await sf.at('2026-01-01T00:45:00Z');
    expect(await sf.fireTimes('etl')).toEqual([iso('00:45:00')]);
  });

  it('refuses a read key (403), no key (401), an unknown schedule (404) and resuming a removed one (409)', async () => {
    sf = schedulerFixture(T0);
    const v1 = sf.docket({ scheduler: { enabled: false } });
    for (const name of ['kept', 'dropped']) await v1.schedule(name, { every: '1m' }, { job: 'tick' });
    await v1.start();
    await v1.stop();
    const v2 = sf.docket();
    await v2.schedule('kept', { every: '1m' }, { job: 'tick' });
    await v2.start();
    serve(v2);
    for (const action of ['pause', 'resume']) {
      expect((await f.call('POST', `/api/v1/schedules/kept/${action}`, { key: READ_KEY })).status).toBe(403);
      expect((await f.call('POST', `/api/v1/schedules/kept/${action}`, { key: null })).status).toBe(401);
      expect((await f.call('POST', `/api/v1/schedules/nope/${action}`)).body).toMatchObject({ status: 404, code: 'SCHEDULE_NOT_FOUND' });
    }
    expect((await f.call('POST', '/api/v1/schedules/dropped/pause')).body).toMatchObject({ paused: true, removed: true });
    const refused = await f.call('POST', '/api/v1/schedules/dropped/resume');
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'SCHEDULE_REMOVED', details: { schedule: 'dropped' } });
    expect((await f.call('GET', '/api/v1/schedules/dropped')).body.paused).toBe(true);
  });
});

describe('DELETE /api/v1/schedules/{name}', () => {
  it('deletes a removed schedule (204); a declared one only with force=true (else 409)', async () => {
    sf = schedulerFixture(T0);
    const v1 = sf.docket({ scheduler: { enabled: false } });
    for (const name of ['kept', 'dropped']) await v1.schedule(name, { every: '1m' }, { job: 'tick' });
    await v1.start();
    await v1.stop();
    const v2 = sf.docket();
    await v2.schedule('kept', { every: '1m' }, { job: 'tick' });
    await v2.start();
    serve(v2);

    expect((await f.call('DELETE', '/api/v1/schedules/dropped', { key: READ_KEY })).status).toBe(403);
    expect((await f.call('DELETE', '/api/v1/schedules/dropped', { key: null })).status).toBe(401);
    const gone = await f.call('DELETE', '/api/v1/schedules/dropped');
    expect(gone.status).toBe(204);
    expect(gone.text).toBe('');
    expect((await f.call('GET', '/api/v1/schedules/dropped')).status).toBe(404);
    expect((await f.call('DELETE', '/api/v1/schedules/dropped')).body).toMatchObject({ status: 404, code: 'SCHEDULE_NOT_FOUND' });

    const declared = await f.call('DELETE', '/api/v1/schedules/kept');
    expect(declared.status).toBe(409);
    expect(declared.body).toMatchObject({ code: 'SCHEDULE_DECLARED', details: { schedule: 'kept', declaredHere: true } });
    expect((await f.call('DELETE', '/api/v1/schedules/kept?force=yes')).body).toMatchObject({ status: 400, code: 'INVALID_OPTION', field: 'force' });
    expect((await f.call('GET', '/api/v1/schedules/kept')).status).toBe(200);
    expect((await f.call('DELETE', '/api/v1/schedules/kept?force=true')).status).toBe(204);
    expect((await f.call('GET', '/api/v1/schedules')).body.schedules).toEqual([]);
  });
});

describe('schedule metrics', () => {
  it('lateness from schedule:fired (trigger-now excluded), misfires and skipped fires by schedule and reason', async () => {
    await afterDowntime();
    await f.call('POST', '/api/v1/schedules/skip/trigger'); // manual: no lateness sample
    await f.call('POST', '/api/v1/schedules/skip/pause');
    await sf.at('2026-01-01T00:06:30Z');
    await f.call('POST', '/api/v1/schedules/skip/resume');
    const text = (await f.call('GET', '/metrics', { key: null })).text;

    const lateCount = series(text, 'docket_schedule_lateness_seconds_count');
    expect(lateCount).toContainEqual({ labels: { schedule: 'skip' }, value: '1' });
    expect(series(text, 'docket_schedule_lateness_seconds_sum')).toContainEqual({ labels: { schedule: 'skip' }, value: '30' });
    expect(series(text, 'docket_schedule_lateness_seconds_bucket')).toContainEqual({ labels: { schedule: 'skip', le: '10' }, value: '0' });
    expect(series(text, 'docket_schedule_lateness_seconds_bucket')).toContainEqual({ labels: { schedule: 'skip', le: '30' }, value: '1' });
    expect(lateCount).toContainEqual({ labels: { schedule: 'busy' }, value: '1' });

    const misfires = parsePrometheusTextFormat(text).find((m) => m.name === 'docket_schedule_misfires_total')!;
    expect(misfires.type).toBe('COUNTER');
    expect(misfires.metrics).toEqual([{ labels: { schedule: 'skip', reason: 'misfire' }, value: '2' }]);
    const skipped = parsePrometheusTextFormat(text).find((m) => m.name === 'docket_schedule_skipped_fires_total')!.metrics;
    expect(skipped).toContainEqual({ labels: { schedule: 'skip', reason: 'paused' }, value: '3' });
    expect(skipped).toContainEqual({ labels: { schedule: 'busy', reason: 'max-running' }, value: '5' }); // 00:01, 00:02, then 00:04 to 00:06
  });
});

describe('a Docket wrapper without the schedule operations', () => {
  it('gets the rest of the API; the schedules routes are not mounted (404 ROUTE_NOT_FOUND)', async () => {
    sf = schedulerFixture(T0);
    const d = sf.docket();
    const bare: AdminDocket = {
      jobs: d.jobs,
      enqueue: (name, data, options) => d.enqueue(name, data, options),
      on: (event, listener) => d.on(event, listener),
    };
    f = adminFixtureOn(bare as Docket, { clock: sf.clock }, false);
    expect((await f.call('GET', '/api/v1/queues')).status).toBe(200);
    expect((await f.call('GET', '/api/v1/schedules')).body).toMatchObject({ status: 404, code: 'ROUTE_NOT_FOUND' });
  });
});
