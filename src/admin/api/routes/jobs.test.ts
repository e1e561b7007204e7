import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../core/clock.js';
import { PermanentError } from '../../../core/errors.js';
import { drain } from '../../../testing/index.js';
import { ADMIN_KEY, READ_KEY, adminFixture, nextEvent, type Fixture } from '../../test-support/admin-fixture.js';

let f: Fixture;
afterEach(async () => {
  await f?.close();
});

function withJobs(options: Parameters<typeof adminFixture>[0] = {}): Fixture {
  f = adminFixture(options);
  f.docket.defineJob('send-email', { queue: 'emails', async handler(data: { to?: string }) {
    return { sent: data?.to ?? null };
  } });
  f.docket.defineJob('explode', { maxAttempts: 1, async handler() {
    throw new PermanentError('kaboom');
  } });
  f.docket.defineJob('report', { async handler(_data, ctx) {
    await ctx.progress(3, 4, 'almost');
    return 'done';
  } });
  f.docket.defineJob('hang', { async handler(_data, ctx) {
    await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
    ctx.signal.throwIfAborted();
  } });
  return f;
}

const enqueue = (body: unknown, key?: string | null) => f.call('POST', '/api/v1/jobs', { body, key });

describe('POST /api/v1/jobs (enqueue)', () => {
  it('creates a job (201 + Location) and returns the holder for a held idempotency key (200)', async () => {
    withJobs();
    const first = await enqueue({ name: 'send-email', data: { to: 'a@b' }, idempotencyKey: 'k1', priority: 5 });
    expect(first.status).toBe(201);
    expect(first.headers.get('location')).toBe(`/api/v1/jobs/${first.body.id}`);
    expect(first.body).toMatchObject({ created: true, job: { name: 'send-email', queue: 'emails', state: 'waiting', data: { to: 'a@b' }, priority: 5, idempotencyKey: 'k1' } });
    expect(first.body.job).not.toHaveProperty('leaseToken');

    const again = await enqueue({ name: 'send-email', data: { to: 'other' }, idempotencyKey: 'k1' });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ id: first.body.id, created: false, job: { data: { to: 'a@b' } } });
  });

  it('honours queue, delayMs and runAt; data defaults to null', async () => {
    withJobs();
    const delayed = await enqueue({ name: 'send-email', queue: 'bulk', delayMs: 60_000 });
    expect(delayed.status).toBe(201);
    expect(delayed.body.job).toMatchObject({ queue: 'bulk', state: 'delayed', data: null });
    const runAt = new Date(Date.now() + 3_600_000).toISOString();
    const at = await enqueue({ name: 'send-email', runAt });
    expect(at.body.job).toMatchObject({ state: 'delayed', runAt });
    const opts = await enqueue({ name: 'send-email', maxAttempts: 7, timeoutMs: 5_000, idempotencyKey: 'kept', keepKeyForever: true });
    expect(opts.body.job).toMatchObject({ maxAttempts: 7, timeoutMs: 5_000, idempotencyKey: 'kept' });
  });

  it.each([
    [{ name: 'bad name!' }, 'INVALID_NAME', 'name'],
    [{ name: 'send-email', queue: '-x' }, 'INVALID_NAME', 'queue'],
    [{ name: 'send-email', delayMs: 10, runAt: new Date().toISOString() }, 'INVALID_OPTION', 'runAt'],
    [{ name: 'send-email', priority: 1.5 }, 'INVALID_OPTION', 'priority'],
    [{ name: 'send-email', runAt: 'tomorrow' }, 'INVALID_OPTION', 'runAt'],
    [{ name: 'send-email', bogus: true }, 'INVALID_OPTION', 'body'],
    [[1, 2], 'INVALID_REQUEST', 'body'],
  ])('refuses %j with 400 %s naming %s, writing nothing', async (body, code, field) => {
    withJobs();
    const r = await enqueue(body);
    expect(r.status).toBe(400);
    expect(r.headers.get('content-type')).toBe('application/problem+json');
    expect(r.body).toMatchObject({ status: 400, code, field, type: `urn:docket:problem:${code}` });
    expect((await f.docket.store.listJobs({ limit: 10 })).jobs).toHaveLength(0);
  });

  it('answers malformed JSON with 400 and a non-JSON content type with 415', async () => {
    withJobs();
    expect((await enqueue('{"name":')).body.code).toBe('INVALID_REQUEST');
    const r = await f.call('POST', '/api/v1/jobs', { body: '{"name":"send-email"}', headers: { 'content-type': 'text/plain' } });
    expect(r.status).toBe(415);
    expect(r.body.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('answers 422 UNKNOWN_JOB for a name this process has not defined', async () => {
    withJobs();
    const r = await enqueue({ name: 'not-defined' });
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ code: 'UNKNOWN_JOB', details: { jobName: 'not-defined' } });
  });

  it('answers 413 for a body over the cap and for data over the payload cap, writing nothing', async () => {
    withJobs({ docket: { maxPayloadBytes: 2_000 }, app: { maxBodyBytes: 8_192 } });
    const huge = await enqueue({ name: 'send-email', data: { pad: 'x'.repeat(10_000) } });
    expect(huge.status).toBe(413);
    expect(huge.body.code).toBe('PAYLOAD_TOO_LARGE');
    const overPayload = await enqueue({ name: 'send-email', data: { pad: 'x'.repeat(4_000) } });
    expect(overPayload.status).toBe(413);
    expect(overPayload.body).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', field: 'data' });
    expect((await f.docket.store.listJobs({ limit: 10 })).jobs).toHaveLength(0);
  });

  it('needs a key (401), the admin scope (403), and accepts Authorization: Bearer', async () => {
    withJobs();
    const none = await enqueue({ name: 'send-email' }, null);
    expect(none.status).toBe(401);
    expect(none.body.code).toBe('UNAUTHORIZED');
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await enqueue({ name: 'send-email' }, 'wrong-key-0123456789abcdef')).status).toBe(401);
    const read = await enqueue({ name: 'send-email' }, READ_KEY);
    expect(read.status).toBe(403);
    expect(read.body.code).toBe('FORBIDDEN');
    const bearer = await f.call('POST', '/api/v1/jobs', { key: null, body: { name: 'send-email' }, headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    expect(bearer.status).toBe(201);
    for (const r of [none, read, bearer]) expect(r.text).not.toContain(ADMIN_KEY);
  });

  it('rate limits per key with a token bucket: 429 + Retry-After, refilled as time passes', async () => {
    const clock = new ManualClock();
    withJobs({ app: { clock, enqueueRateLimit: { perSecond: 2, burst: 2 }, keys: { admin: [ADMIN_KEY, 'second-admin-key-0123456789'] } } });
    expect((await enqueue({ name: 'send-email' })).status).toBe(201);
    expect((await enqueue({ name: 'send-email' })).status).toBe(201);
    const limited = await enqueue({ name: 'send-email' });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(limited.body).toMatchObject({ code: 'RATE_LIMITED', retryAfter: 1 });
    // another key has its own bucket
    expect((await enqueue({ name: 'send-email' }, 'second-admin-key-0123456789')).status).toBe(201);
    await clock.advance(500); // one token back at 2/s
    expect((await enqueue({ name: 'send-email' })).status).toBe(201);
    expect((await enqueue({ name: 'send-email' })).status).toBe(429);
    // only enqueue is limited
    expect((await f.call('GET', '/api/v1/jobs')).status).toBe(200);
  });
});

describe('GET /api/v1/jobs (list)', () => {
  it('filters by state, queue, name, text in data and creation time', async () => {
    withJobs();
    await enqueue({ name: 'send-email', data: { to: 'alice@example.com' } });
    await enqueue({ name: 'send-email', data: { to: 'bob@example.com' }, delayMs: 60_000 });
    await enqueue({ name: 'report', queue: 'reports', data: { month: 5 } });
    const ids = async (qs: string) => ((await f.call('GET', `/api/v1/jobs${qs}`, { key: READ_KEY })).body.jobs as Array<{ data: unknown; name: string }>).map((j) => j.data);
    expect(await ids('?state=delayed')).toEqual([{ to: 'bob@example.com' }]);
    expect(await ids('?state=waiting,delayed&queue=emails')).toHaveLength(2);
    expect(await ids('?name=report')).toEqual([{ month: 5 }]);
    expect(await ids('?search=alice')).toEqual([{ to: 'alice@example.com' }]);
    const future = new Date(Date.now() + 60_000).toISOString();
    expect(await ids(`?createdAfter=${encodeURIComponent(future)}`)).toEqual([]);
    expect(await ids(`?createdBefore=${encodeURIComponent(future)}&order=asc`)).toEqual([{ to: 'alice@example.com' }, { to: 'bob@example.com' }, { month: 5 }]);
  });

  it('pages with an opaque cursor, newest first, without gaps or repeats', async () => {
    withJobs();
    for (let i = 0; i < 5; i++) await enqueue({ name: 'send-email', data: { i } });
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const r: Awaited<ReturnType<Fixture['call']>> = await f.call('GET', `/api/v1/jobs?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(r.status).toBe(200);
      seen.push(...r.body.jobs.map((j: { data: { i: number } }) => j.data.i));
      cursor = r.body.nextCursor;
      pages++;
    } while (cursor);
    expect(seen).toEqual([4, 3, 2, 1, 0]);
    expect(pages).toBe(3);
  });

  it.each([
    ['?state=sleeping', 'INVALID_OPTION', 'state'],
    ['?limit=0', 'INVALID_OPTION', 'limit'],
    ['?queue=no%20spaces', 'INVALID_NAME', 'queue'],
    ['?createdAfter=yesterday', 'INVALID_OPTION', 'createdAfter'],
    ['?cursor=not-a-cursor', 'INVALID_OPTION', 'cursor'],
  ])('refuses %s with 400 %s', async (qs, code, field) => {
    withJobs();
    const r = await f.call('GET', `/api/v1/jobs${qs}`);
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code, field });
  });

  it('needs a key (401) but only the read scope', async () => {
    withJobs();
    expect((await f.call('GET', '/api/v1/jobs', { key: null })).status).toBe(401);
    expect((await f.call('GET', '/api/v1/jobs', { key: READ_KEY })).status).toBe(200);
  });
});

describe('GET /api/v1/jobs/{id}', () => {
  it('shows result and progress of a completed job, error with stack and attempts of a failed one', async () => {
    withJobs();
    const ok = (await enqueue({ name: 'report' })).body.id;
    const bad = (await enqueue({ name: 'explode' })).body.id;
    await drain(f.docket);
    const done = await f.call('GET', `/api/v1/jobs/${ok}`, { key: READ_KEY });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ state: 'completed', result: 'done', attempt: 1, progress: { current: 3, total: 4, message: 'almost' } });
    expect(Date.parse(done.body.finishedAt)).not.toBeNaN();
    const failed = await f.call('GET', `/api/v1/jobs/${bad}`, { key: READ_KEY });
    expect(failed.body).toMatchObject({ state: 'failed', attempt: 1, maxAttempts: 1, error: { message: 'kaboom', name: 'PermanentError', attempt: 1 } });
    expect(failed.body.error.stack).toContain('kaboom');
  });

  it('answers 404 JOB_NOT_FOUND for an unknown id and 400 for a malformed one', async () => {
    withJobs();
    const r = await f.call('GET', '/api/v1/jobs/999');
    expect(r.status).toBe(404);
    expect(r.body).toMatchObject({ code: 'JOB_NOT_FOUND', details: { jobId: '999' } });
    expect((await f.call('GET', '/api/v1/jobs/a%20b')).status).toBe(400);
  });
});

describe('job actions', () => {
  it('cancel: 200 for a waiting job, 409 once finished, 404 for none, 403 for a read key', async () => {
    withJobs();
    const id = (await enqueue({ name: 'send-email' })).body.id;
    expect((await f.call('POST', `/api/v1/jobs/${id}/cancel`, { key: READ_KEY })).status).toBe(403);
    const r = await f.call('POST', `/api/v1/jobs/${id}/cancel`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ outcome: 'cancelled', job: { state: 'cancelled' } });
    const again = await f.call('POST', `/api/v1/jobs/${id}/cancel`);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('INVALID_TRANSITION');
    expect((await f.call('POST', '/api/v1/jobs/424242/cancel')).status).toBe(404);
  });

  it('cancel of an active job answers 202 and the worker records it; delete and run-now of an active job answer 409', async () => {
    withJobs();
    const started = nextEvent<{ jobId: string }>(f.docket, 'job:started');
    await f.docket.start();
    const id = (await enqueue({ name: 'hang' })).body.id;
    await started;
    const del = await f.call('DELETE', `/api/v1/jobs/${id}`);
    expect(del.status).toBe(409);
    expect(del.body.code).toBe('INVALID_TRANSITION');
    expect((await f.call('POST', `/api/v1/jobs/${id}/run`)).status).toBe(409);
    const cancelled = nextEvent(f.docket, 'job:cancelled');
    const r = await f.call('POST', `/api/v1/jobs/${id}/cancel`);
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({ outcome: 'cancel_requested', job: { state: 'active', cancelRequested: true } });
    await cancelled;
    expect((await f.call('GET', `/api/v1/jobs/${id}`)).body.state).toBe('cancelled');
  });

  it('retry: a failed job goes back to waiting with fresh attempts; a waiting one answers 409', async () => {
    withJobs();
    const id = (await enqueue({ name: 'explode' })).body.id;
    expect((await f.call('POST', `/api/v1/jobs/${id}/retry`)).status).toBe(409);
    await drain(f.docket);
    const r = await f.call('POST', `/api/v1/jobs/${id}/retry`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id, state: 'waiting', attempt: 0 });
    expect((await f.call('POST', '/api/v1/jobs/424242/retry')).status).toBe(404);
  });

  it('run now: promotes a delayed job, re-runs a finished one, leaves a waiting one', async () => {
    withJobs();
    const delayed = (await enqueue({ name: 'send-email', delayMs: 3_600_000 })).body.id;
    const promoted = await f.call('POST', `/api/v1/jobs/${delayed}/run`);
    expect(promoted.status).toBe(200);
    expect(promoted.body).toMatchObject({ action: 'promoted', job: { state: 'waiting' } });
    expect((await f.call('POST', `/api/v1/jobs/${delayed}/run`)).body).toMatchObject({ action: 'none', job: { state: 'waiting' } });
    await drain(f.docket);
    const rerun = await f.call('POST', `/api/v1/jobs/${delayed}/run`);
    expect(rerun.body).toMatchObject({ action: 'retried', job: { state: 'waiting', result: null } });
    expect((await f.call('POST', '/api/v1/jobs/424242/run')).status).toBe(404);
  });

  it('delete: 204, then 404; a read key gets 403', async () => {
    withJobs();
    const id = (await enqueue({ name: 'send-email', idempotencyKey: 'once' })).body.id;
    expect((await f.call('DELETE', `/api/v1/jobs/${id}`, { key: READ_KEY })).status).toBe(403);
    const r = await f.call('DELETE', `/api/v1/jobs/${id}`);
    expect(r.status).toBe(204);
    expect(r.text).toBe('');
    expect((await f.call('GET', `/api/v1/jobs/${id}`)).status).toBe(404);
    expect((await f.call('DELETE', `/api/v1/jobs/${id}`)).status).toBe(404);
    // the key was released with the job
    expect((await enqueue({ name: 'send-email', idempotencyKey: 'once' })).status).toBe(201);
  });
});
