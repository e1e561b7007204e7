import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH } from '../../src/core/validate.js';
import type { Docket } from '../../src/docket.js';
import { adminFixtureOn } from '../../src/admin/test-support/admin-fixture.js';
import { serveAdmin } from '../../src/admin/api/serve.js';
import { invalidUtf8At } from '../../src/admin/api/utf8-body.js';
import type { Store } from '../../src/store/store.js';
import { PostgresStore } from '../../src/stores/postgres/postgres-store.js';
import { postgresAvailability, startPostgresServer, uniqueSchema, type PostgresServer } from '../support/postgres/postgres-server.js';
import { createMemoryStore, createTestDocket, drain } from '../../src/testing/index.js';

/**
 * Issue 11, findings 1-4, through the library and the admin API, on every store:
 * payloads too deep for a store to read back, NUL and lone surrogates, invalid UTF-8.
 * Refused with a typed error before anything is written; other jobs run on.
 */

/** `depth` arrays inside each other, built without recursion. */
function nested(depth: number): unknown {
  let v: unknown = 'leaf';
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

const pg = postgresAvailability();
let server: PostgresServer | null = null;
beforeAll(async () => {
  if (pg.available) server = await startPostgresServer();
}, 60_000);
afterAll(async () => {
  await server?.stop();
});
if (!pg.available) process.stderr.write(`\n*** SKIPPING the PostgreSQL half of input-limits.test.ts: ${pg.reason} ***\n\n`);

const stores: Array<[string, () => Promise<Store>]> = [
  ['sqlite', () => Promise.resolve(createMemoryStore())],
  ...(pg.available ? [['postgres', () => Promise.resolve(new PostgresStore({ connectionString: server!.url, schema: uniqueSchema('lim'), maxConnections: 4 }))] as [string, () => Promise<Store>]] : []),
];

describe.each(stores)('input limits through the library and the API (%s)', (_name, makeStore) => {
  async function withDocket(fn: (docket: Docket) => Promise<void>): Promise<void> {
    const store = await makeStore();
    await store.migrate();
    const docket = createTestDocket({ store });
    docket.defineJob('echo', { queue: 'a', maxAttempts: 1, async handler(data: unknown) {
      return data;
    } });
    docket.defineJob('deep-result', { queue: 'b', maxAttempts: 3, async handler(depth: number) {
      return nested(depth);
    } });
    try {
      await fn(docket);
    } finally {
      await docket.close({ graceMs: 0 });
    }
  }

  it('docket.enqueue refuses 1,001- and 100,000-deep data with INVALID_DATA, writes nothing, and the other queues run on', async () => {
    await withDocket(async (docket) => {
      for (const depth of [MAX_JSON_DEPTH + 1, 1_001, 1_800, 100_000]) {
        await expect(docket.enqueue('echo', { deep: nested(depth) })).rejects.toMatchObject({ name: 'ValidationError', code: 'INVALID_DATA', field: 'data' });
        await expect(docket.enqueueMany([{ name: 'echo', data: 1 }, { name: 'echo', data: nested(depth) }])).rejects.toMatchObject({ code: 'INVALID_DATA' });
      }
      expect((await docket.store.listJobs({ limit: 10 })).jobs).toEqual([]);
      const ok = await docket.enqueue('echo', { deep: nested(MAX_JSON_DEPTH - 1) });
      await drain(docket);
      expect(await docket.getJob(ok.id)).toMatchObject({ state: 'completed', result: { deep: nested(MAX_JSON_DEPTH - 1) } });
    });
  });

  it('a handler result nested too deep fails its attempt with INVALID_DATA (no retry) instead of storing unreadable JSON; other jobs complete', async () => {
    await withDocket(async (docket) => {
      const bad = await Promise.all([1_001, 100_000].map((depth) => docket.enqueue('deep-result', depth)));
      const fine = await docket.enqueue('deep-result', MAX_JSON_DEPTH);
      const other = await docket.enqueue('echo', 'still runs');
      await drain(docket);
      for (const job of bad) {
        const stored = await docket.getJob(job.id);
        expect(stored).toMatchObject({ state: 'failed', attempt: 1, result: null, error: { code: 'INVALID_DATA' } });
        expect(stored!.error!.message).toMatch(/nested more than 100 levels deep|call stack/);
      }
      expect(await docket.getJob(fine.id)).toMatchObject({ state: 'completed', result: nested(MAX_JSON_DEPTH) });
      expect(await docket.getJob(other.id)).toMatchObject({ state: 'completed', result: 'still runs' });
      expect((await docket.store.listJobs({ limit: 10 })).jobs).toHaveLength(4); // listing reads every row back
    });
  });

  it('NUL and lone surrogates are refused the same way on every store (idempotency key, data, cancel reason)', async () => {
    await withDocket(async (docket) => {
      for (const key of ['k\u0000', 'k\ud800', '\udc00k']) {
        await expect(docket.enqueue('echo', 1, { idempotencyKey: key })).rejects.toMatchObject({ code: 'INVALID_OPTION', field: 'options.idempotencyKey' });
      }
      for (const data of ['a\u0000b', { s: '\ud83d' }, { ['k\u0000']: 1 }]) {
        await expect(docket.enqueue('echo', data)).rejects.toMatchObject({ code: 'INVALID_DATA', field: 'data' });
      }
      expect((await docket.store.listJobs({ limit: 10 })).jobs).toEqual([]);
      const job = await docket.enqueue('echo', '😀', { idempotencyKey: 'k😀' });
      await expect(docket.cancel(job.id, { reason: 'why\u0000' })).rejects.toMatchObject({ code: 'INVALID_OPTION', field: 'options.reason' });
      // A long reason is clipped without leaving half a surrogate pair.
      const reason = new Promise((resolve) => docket.once('job:cancelled', (e) => resolve(e.reason)));
      await docket.cancel(job.id, { reason: `${'x'.repeat(499)}😀` });
      expect(await reason).toBe('x'.repeat(499));
      expect((await docket.store.getJob({ jobId: job.id }))!.idempotencyKey).toBe('k😀');
    });
  });

  it('the API answers 400 problem+json (never 5xx) to deep, NUL and lone-surrogate input, and stores nothing', async () => {
    await withDocket(async (docket) => {
      const f = adminFixtureOn(docket, {}, false);
      try {
        const post = (body: string) => f.call('POST', '/api/v1/jobs', { body });
        for (const depth of [1_001, 1_800, 100_000]) {
          const r = await post(`{"name":"echo","data":${'['.repeat(depth)}${']'.repeat(depth)}}`);
          expect([r.status, r.headers.get('content-type'), r.body.code, r.body.field]).toEqual([400, 'application/problem+json', 'INVALID_DATA', 'data']);
        }
        const nul = await post('{"name":"echo","data":"a\\u0000b"}');
        expect([nul.status, nul.body.code]).toEqual([400, 'INVALID_DATA']);
        const lone = await post('{"name":"echo","data":{"s":"\\ud800"}}');
        expect([lone.status, lone.body.code]).toEqual([400, 'INVALID_DATA']);
        const key = await post('{"name":"echo","idempotencyKey":"a\\u0000"}');
        expect([key.status, key.body.code, key.body.field]).toEqual([400, 'INVALID_OPTION', 'idempotencyKey']);
        expect((await docket.store.listJobs({ limit: 10 })).jobs).toEqual([]);
        const list = await f.call('GET', '/api/v1/jobs');
        expect(list.status).toBe(200);
      } finally {
        f.close();
      }
    });
  });
});

describe('invalid UTF-8 in a request body (issue 11, finding 3)', () => {
  it('invalidUtf8At finds the first bad sequence', () => {
    const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
    expect(invalidUtf8At(enc('plain é 😀 中'))).toBe(-1);
    expect(invalidUtf8At(Uint8Array.of(0x61, 0xc3, 0x28))).toBe(1);
    expect(invalidUtf8At(Uint8Array.of(0xc0, 0xaf))).toBe(0); // overlong '/'
    expect(invalidUtf8At(Uint8Array.of(0xed, 0xa0, 0x80))).toBe(0); // an encoded surrogate (CESU-8)
    expect(invalidUtf8At(Uint8Array.of(0xf4, 0x90, 0x80, 0x80))).toBe(0); // above U+10FFFF
    expect(invalidUtf8At(Uint8Array.of(0x61, 0xe2, 0x82))).toBe(1); // truncated
    expect(invalidUtf8At(Uint8Array.of(0xff))).toBe(0);
  });

  it('a raw HTTP request carrying 0xC3 0x28 gets 400 INVALID_REQUEST and nothing is stored; valid UTF-8 is kept exactly', async () => {
    const docket = createTestDocket();
    docket.defineJob('echo', { async handler(data: unknown) {
      return data;
    } });
    const admin = await serveAdmin({ docket, keys: {}, port: 0, logger: false });
    const send = (body: Buffer): Promise<{ status: number; json: { code?: string; job?: { data: unknown } } }> =>
      new Promise((resolve, reject) => {
        const req = request(`${admin.url}/api/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': body.length } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode!, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) as never }));
        });
        req.on('error', reject);
        req.end(body);
      });
    try {
      const bad = await send(Buffer.concat([Buffer.from('{"name":"echo","data":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]));
      expect(bad.status).toBe(400);
      expect(bad.json).toMatchObject({ code: 'INVALID_REQUEST', field: 'body', details: { byteOffset: 23 } });
      expect((await docket.store.listJobs({ limit: 10 })).jobs).toEqual([]);
      const good = await send(Buffer.from('{"name":"echo","data":"é😀"}'));
      expect(good.status).toBe(201);
      expect(good.json.job!.data).toBe('é😀');
    } finally {
      await admin.close({ graceMs: 0 });
      await docket.close({ graceMs: 0 });
    }
  });
});
