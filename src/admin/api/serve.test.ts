import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../../core/errors.js';
import type { Docket } from '../../docket.js';
import { createTestDocket } from '../../testing/index.js';
import { createAdminApp } from './app.js';
import { serveAdmin, type AdminServer } from './serve.js';
import { SseReader } from '../test-support/sse-reader.js';

const ADMIN = 'serve-admin-key-0123456789';
const READ = 'serve-read-key-0123456789';

let docket: Docket;
let server: AdminServer | null = null;
afterEach(async () => {
  await server?.close({ graceMs: 100 });
  server = null;
  await docket?.close({ graceMs: 0 });
});

/** A pino logger writing JSON lines into an array. */
function capture(): { logger: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

describe('serveAdmin', () => {
  it('refuses a non-loopback bind without keys with a typed error, and listens on nothing', async () => {
    docket = createTestDocket();
    for (const host of ['0.0.0.0', '::', '10.0.0.1']) {
      const attempt = serveAdmin({ docket, keys: {}, host, port: 0, logger: false });
      await expect(attempt).rejects.toBeInstanceOf(ValidationError);
      await expect(attempt).rejects.toMatchObject({ code: 'INVALID_CONFIG', field: 'host' });
    }
    const app = createAdminApp({ docket, keys: { admin: [] }, logger: false });
    await expect(serveAdmin({ app, host: '0.0.0.0', port: 0, logger: false })).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
    app.close();
  });

  it('without keys binds 127.0.0.1 by default and says so in the log', async () => {
    docket = createTestDocket();
    const { logger, lines } = capture();
    server = await serveAdmin({ docket, keys: {}, port: 0, logger });
    expect(server.host).toBe('127.0.0.1');
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.app.authEnabled).toBe(false);
    expect(lines.join('')).toContain('no API key configured, listening on loopback (127.0.0.1) only');
    // no key needed then
    expect((await fetch(`${server.url}/api/v1/queues`)).status).toBe(200);
  });

  it('with keys serves over HTTP; keys never appear in logs or responses', async () => {
    docket = createTestDocket();
    docket.defineJob('ping', { async handler() {
      return 'pong';
    } });
    const { logger, lines } = capture();
    server = await serveAdmin({ docket, keys: { admin: [ADMIN], read: [READ] }, host: '127.0.0.1', port: 0, logger });
    expect(server.app.authEnabled).toBe(true);
    const bodies: string[] = [];
    const get = async (path: string, init: RequestInit = {}) => {
      const res = await fetch(`${server!.url}${path}`, init);
      bodies.push(JSON.stringify([...res.headers]), await res.text());
      return res;
    };
    expect((await get('/healthz')).status).toBe(200);
    expect((await get('/api/v1/jobs', { headers: { 'x-api-key': `${ADMIN}-wrong` } })).status).toBe(401);
    expect((await get('/api/v1/jobs', { method: 'POST', headers: { 'x-api-key': READ, 'content-type': 'application/json' }, body: '{"name":"ping"}' })).status).toBe(403);
    const created = await get('/api/v1/jobs', { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: '{"name":"ping"}' });
    expect(created.status).toBe(201);
    expect((await get('/api/v1/nope', { headers: { 'x-api-key': ADMIN } })).status).toBe(404);
    // a handler fault is logged (with the request) but the key is not
    await docket.store.close();
    expect((await get('/api/v1/jobs/1', { headers: { 'x-api-key': ADMIN } })).status).toBe(503);
    const everything = lines.join('\n') + bodies.join('\n');
    expect(lines.length).toBeGreaterThan(0);
    for (const key of [ADMIN, READ]) expect(everything).not.toContain(key);
  });

  it('answers over a real socket with SSE, and close() ends open streams', async () => {
    docket = createTestDocket();
    server = await serveAdmin({ docket, keys: { read: [READ] }, host: '127.0.0.1', port: 0, logger: false });
    const res = await fetch(`${server.url}/api/v1/events`, { headers: { 'x-api-key': READ } });
    expect(res.status).toBe(200);
    const sse = new SseReader(res.body!);
    expect(await sse.until('counts')).not.toBeNull();
    // a long grace: close() must not need it, because it ends the stream itself
    const closed = server.close({ graceMs: 60_000 });
    expect(await sse.until('never')).toBeNull();
    await closed;
    server = null;
  });

  it('end to end over HTTP: enqueue, watch it complete on the event stream, read the result', async () => {
    docket = createTestDocket();
    docket.defineJob('add', { async handler(data: { a: number; b: number }) {
      return data.a + data.b;
    } });
    await docket.start();
    server = await serveAdmin({ docket, keys: { admin: [ADMIN] }, host: '127.0.0.1', port: 0, logger: false });
    const headers = { 'x-api-key': ADMIN };
    const events = new SseReader((await fetch(`${server.url}/api/v1/events?name=add`, { headers })).body!);
    await events.until('counts');
    const res = await fetch(`${server.url}/api/v1/jobs`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'add', data: { a: 2, b: 3 } }) });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    for (;;) {
      const frame = await events.until('job:completed');
      expect(frame).not.toBeNull();
      if (JSON.parse(frame!.data!).jobId === id) break;
    }
    await events.cancel();
    const job = (await (await fetch(`${server.url}/api/v1/jobs/${id}`, { headers })).json()) as { state: string; result: unknown };
    expect(job).toMatchObject({ state: 'completed', result: 5 });
  });

  it('closes the connection after a 413, so a keep-alive client\'s next request goes through', async () => {
    docket = createTestDocket();
    docket.defineJob('noop', { handler: async () => null });
    server = await serveAdmin({ docket, keys: {}, port: 0, logger: false, maxBodyBytes: 1_024 });
    const post = (pad: number) =>
      fetch(`${server!.url}/api/v1/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'noop', data: { pad: 'x'.repeat(pad) } }),
      });
    const tooBig = await post(10_000);
    expect(tooBig.status).toBe(413);
    expect(tooBig.headers.get('connection')).toBe('close');
    await tooBig.text();
    expect((await post(10)).status).toBe(201);
  });

  it('reports a busy port as an error', async () => {
    docket = createTestDocket();
    server = await serveAdmin({ docket, keys: {}, port: 0, logger: false });
    await expect(serveAdmin({ docket, keys: {}, port: server.port, logger: false })).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });
});
