import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, READ_KEY, adminFixture, type Fixture } from '../test-support/admin-fixture.js';
import { documentOperations, type DocOperation } from '../test-support/openapi-requests.js';
import { serveAdmin } from './serve.js';

/**
 * Issue 11, finding 8: the HTTP contract is the OpenAPI document. For every
 * operation of `/api/v1/openapi.json`: the statuses its kind of input, auth
 * and body can produce are declared, and requests that provoke each of them
 * (no key, a read key on an admin operation, an unknown query parameter, a bad
 * path parameter, a missing resource, an oversized or non-JSON body, another
 * method) answer a declared status with a problem+json body. Unsupported
 * methods answer 405 with Allow (TRACE too, over a real socket); the
 * x-api-key / Authorization: Bearer rule is pinned.
 * (openapi-fuzz.test.ts sends generated requests against the same document.)
 */

let f: Fixture;
let ops: DocOperation[];

beforeAll(async () => {
  f = adminFixture({ app: { maxBodyBytes: 4_096 } });
  f.docket.defineJob('echo', { handler: (d) => d });
  await f.docket.schedule('hourly', { every: '1h' }, { job: 'echo' });
  await f.docket.start();
  const doc = (await f.call('GET', '/api/v1/openapi.json', { key: null })).body;
  ops = documentOperations(doc);
});

afterAll(async () => {
  await f?.close();
});

/** A path of the operation with its parameters filled: `value` for each. */
const fill = (op: DocOperation, value: string) => op.path.replace(/\{[^}]+\}/g, encodeURIComponent(value));

async function expectDeclared(op: DocOperation, method: string, path: string, init: Parameters<Fixture['call']>[2], why: string, wanted?: number) {
  // HTTP methods are case-sensitive and fetch upper-cases all but PATCH: send what clients send.
  const r = await f.call(method.toUpperCase(), path, init);
  const label = `${method} ${path} (${why}) answered ${r.status} ${r.text.slice(0, 200)}`;
  expect(op.statuses, label).toContain(r.status);
  if (wanted !== undefined) expect(r.status, label).toBe(wanted);
  if (r.status >= 400) {
    expect(r.headers.get('content-type'), label).toMatch(/^application\/problem\+json/);
    expect(r.body, label).toMatchObject({ status: r.status, code: expect.any(String) });
  }
  return r;
}

describe('every operation declares the statuses it can answer', () => {
  it('the document has the operations and the shared statuses', () => {
    expect(ops.length).toBeGreaterThan(20);
    for (const op of ops) {
      const where = `${op.method.toUpperCase()} ${op.path}`;
      expect(op.statuses, where).toEqual(expect.arrayContaining([500, 503]));
      if (op.path.startsWith('/api/v1/')) expect(op.statuses, `${where}: 400 (unknown query parameters)`).toContain(400);
      if (op.params.length > 0) expect(op.statuses, `${where}: 400 (path parameter)`).toContain(400);
      if (op.scope !== 'public') expect(op.statuses, `${where}: 401`).toContain(401);
      if (op.scope === 'admin') expect(op.statuses, `${where}: 403`).toContain(403);
      if (op.body) expect(op.statuses, `${where}: 413, 415`).toEqual(expect.arrayContaining([413, 415]));
      if (/\{(id|name)\}/.test(op.path)) expect(op.statuses, `${where}: 404 (no such job / schedule)`).toContain(404);
    }
  });

  it('401 without a key, 403 with a read key on admin operations', async () => {
    for (const op of ops.filter((o) => o.scope !== 'public')) {
      const path = fill(op, 'hourly');
      await expectDeclared(op, op.method, path, { key: null }, 'no key', 401);
      await expectDeclared(op, op.method, path, { key: 'not-a-key-0123456789' }, 'unknown key', 401);
      if (op.scope === 'admin') await expectDeclared(op, op.method, path, { key: READ_KEY }, 'read key', 403);
    }
  });

  it('400 INVALID_OPTION for an unknown or repeated query parameter on every /api/v1 operation', async () => {
    for (const op of ops.filter((o) => o.path.startsWith('/api/v1/') && !o.path.endsWith('/events'))) {
      const path = fill(op, 'hourly');
      const r = await expectDeclared(op, op.method, `${path}?bogus=1`, { body: op.body ? { name: 'echo' } : undefined }, 'unknown query parameter', 400);
      expect(r.body).toMatchObject({ code: 'INVALID_OPTION', detail: expect.stringMatching(/unknown query field "bogus"/) });
    }
    const events = ops.find((o) => o.path === '/api/v1/events')!;
    // an event stream that opened would never end: only the refused request is sent
    await expectDeclared(events, 'get', '/api/v1/events?bogus=1', {}, 'unknown query parameter', 400);
  });

  it('400 for a malformed integer (null, empty, exponent, hex, repeated) and for a bad path parameter', async () => {
    const list = ops.find((o) => o.method === 'get' && o.path === '/api/v1/jobs')!;
    for (const q of ['limit=null', 'limit=', 'limit=1e2', 'limit=0x10', 'limit=%205', 'limit=5&limit=6', 'state=waiting&state=failed']) {
      const r = await expectDeclared(list, 'get', `/api/v1/jobs?${q}`, {}, q, 400);
      expect(r.body.code, q).toBe('INVALID_OPTION');
    }
    const schedules = ops.find((o) => o.method === 'get' && o.path === '/api/v1/schedules')!;
    for (const q of ['next=null', 'next=', 'next=-1', 'next=101']) await expectDeclared(schedules, 'get', `/api/v1/schedules?${q}`, {}, q, 400);
    await expectDeclared(schedules, 'get', '/api/v1/schedules?next=3', {}, 'next=3', 200);
    for (const op of ops.filter((o) => o.params.length > 0)) {
      await expectDeclared(op, op.method, fill(op, 'bad name!'), { body: op.body ? {} : undefined }, 'bad path parameter', 400);
    }
  });

  it('404 for a job or schedule that does not exist', async () => {
    for (const op of ops.filter((o) => /\{(id|name)\}/.test(o.path))) {
      const body = op.body ? {} : undefined;
      await expectDeclared(op, op.method, fill(op, 'nope-404'), { body }, 'missing resource', 404);
    }
  });

  it('413 for a body over the cap, 415 for a body that is not JSON, 400 for malformed JSON and for delayMs with runAt', async () => {
    for (const op of ops.filter((o) => o.body)) {
      const path = fill(op, 'hourly');
      await expectDeclared(op, op.method, path, { body: JSON.stringify({ name: 'echo', data: 'x'.repeat(5_000) }) }, 'oversized', 413);
      await expectDeclared(op, op.method, path, { body: 'name=echo', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 'form body', 415);
      await expectDeclared(op, op.method, path, { body: 'hello', headers: { 'content-type': 'text/plain' } }, 'text body', 415);
      await expectDeclared(op, op.method, path, { body: '{"name": "echo",' }, 'malformed JSON', 400);
    }
    const enqueue = ops.find((o) => o.method === 'post' && o.path === '/api/v1/jobs')!;
    const both = await expectDeclared(enqueue, 'post', '/api/v1/jobs', { body: { name: 'echo', delayMs: 10, runAt: '2030-01-01T00:00:00Z' } }, 'delayMs + runAt', 400);
    expect(both.body).toMatchObject({ code: 'INVALID_OPTION', field: 'runAt' });
  });

  it('the schema says that delayMs and runAt exclude each other', async () => {
    const doc = (await f.call('GET', '/api/v1/openapi.json', { key: null })).body;
    const schema = doc.components.schemas.EnqueueRequest;
    expect(schema.not).toMatchObject({ required: ['delayMs', 'runAt'] });
    expect(schema.description).toMatch(/delayMs.*runAt.*400/);
  });
});

describe('methods', () => {
  it('a known path with another method answers 405 with Allow (OPTIONS: 204 with Allow); an unknown path 404', async () => {
    const byPath = new Map<string, Set<string>>();
    for (const op of ops) byPath.set(op.path, new Set([...(byPath.get(op.path) ?? []), op.method.toUpperCase()]));
    for (const [template, methods] of byPath) {
      const path = template.replace(/\{[^}]+\}/g, 'hourly');
      const allow = [...methods, ...(methods.has('GET') ? ['HEAD'] : []), 'OPTIONS'].sort();
      for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'PROPFIND', 'FOO'].filter((m) => !methods.has(m))) {
        const r = await f.call(method, path);
        expect(r.status, `${method} ${path}`).toBe(405);
        expect(r.headers.get('allow'), `${method} ${path}`).toBe(allow.join(', '));
        expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(r.body).toMatchObject({ code: 'METHOD_NOT_ALLOWED', status: 405 });
      }
      const options = await f.call('OPTIONS', path);
      expect(options.status).toBe(204);
      expect(options.headers.get('allow')).toBe(allow.join(', '));
    }
    const unknown = await f.call('GET', '/api/v1/nothing-here');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ code: 'ROUTE_NOT_FOUND' });
  });

  it('TRACE (which fetch cannot send) answers 405 over a real socket', async () => {
    const server = await serveAdmin({ app: f.app, port: 0, host: '127.0.0.1', logger: false });
    try {
      const reply = await new Promise<{ status: number; allow: string | undefined; type: string | undefined }>((resolve, reject) => {
        const req = httpRequest(`${server.url}/api/v1/jobs`, { method: 'TRACE', headers: { 'x-api-key': ADMIN_KEY } }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode!, allow: res.headers.allow, type: res.headers['content-type'] }));
        });
        req.on('error', reject);
        req.end();
      });
      expect(reply).toMatchObject({ status: 405, allow: 'GET, HEAD, OPTIONS, POST' });
      expect(reply.type).toMatch(/^application\/problem\+json/);
    } finally {
      await server.close({ graceMs: 0 });
    }
  });
});

describe('auth headers', () => {
  it('x-api-key and Authorization: Bearer: either alone, both when equal; two different keys answer 401 even if both are valid', async () => {
    const get = (headers: Record<string, string>) => f.call('GET', '/api/v1/queues', { key: null, headers });
    expect((await get({ 'x-api-key': READ_KEY })).status).toBe(200);
    expect((await get({ authorization: `Bearer ${READ_KEY}` })).status).toBe(200);
    expect((await get({ 'x-api-key': READ_KEY, authorization: `Bearer ${READ_KEY}` })).status).toBe(200);
    const conflict = await get({ 'x-api-key': READ_KEY, authorization: `Bearer ${ADMIN_KEY}` });
    expect(conflict.status).toBe(401);
    expect(conflict.body).toMatchObject({ code: 'UNAUTHORIZED', detail: expect.stringMatching(/different keys/) });
    expect((await get({ 'x-api-key': 'wrong-key-0123456789', authorization: `Bearer ${ADMIN_KEY}` })).status).toBe(401);
    // another scheme is not a key: x-api-key decides
    expect((await get({ 'x-api-key': READ_KEY, authorization: 'Basic dXNlcjpwdw==' })).status).toBe(200);
  });
});
