import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, READ_KEY, adminFixture, type Fixture } from '../test-support/admin-fixture.js';
import { documentOperations, Gen, generateRequest, seededRandom, type DocOperation, type GeneratedRequest, type ValueContext } from '../test-support/openapi-requests.js';

/**
 * Issue 11, finding 8: seeded property-based requests generated from the
 * API's own OpenAPI document (valid and invalid path and query parameters,
 * bodies, content types, auth headers; random methods; unknown paths) against
 * the admin app on a fresh in-memory SQLite store with a started Docket.
 * Properties: no 5xx; every status is one its operation declares (an unknown
 * path 404; a known path with another method 405 with Allow, OPTIONS 204);
 * every error body is application/problem+json whose `status` is the
 * response's.
 *
 * `npm test` sends 300 requests; DOCKET_FUZZ_REQUESTS=20000 sends more, and
 * DOCKET_FUZZ_SEED replays a run (a failure names its seed and request).
 */
const REQUESTS = Number(process.env.DOCKET_FUZZ_REQUESTS ?? 300);
const SEED = Number(process.env.DOCKET_FUZZ_SEED ?? 11);

let f: Fixture;
let ops: DocOperation[];
const ctx: ValueContext = { components: {}, known: { ids: [], names: ['hourly', 'echo', 'default', 'emails'], jobs: ['echo', 'boom'] } };

beforeAll(async () => {
  // a small body cap, so 413 costs little to reach
  f = adminFixture({ app: { maxBodyBytes: 4_096 } });
  f.docket.defineJob('echo', { handler: (d) => d });
  f.docket.defineJob('boom', { maxAttempts: 1, handler: () => Promise.reject(new Error('boom')) });
  await f.docket.schedule('hourly', { every: '1h' }, { job: 'echo' });
  await f.docket.start();
  for (let i = 0; i < 5; i++) ctx.known.ids.push((await f.docket.enqueue(i % 2 ? 'boom' : 'echo', { i })).id);
  const doc = (await f.call('GET', '/api/v1/openapi.json', { key: null })).body;
  ctx.components = doc.components?.schemas ?? {};
  ops = documentOperations(doc);
});

afterAll(async () => {
  await f?.close();
});

function allowedFor(req: GeneratedRequest, pathOnly: string): { op: DocOperation | null; methods: string[] } {
  const matching = ops.filter((o) => o.pattern.test(pathOnly));
  const method = req.method.toUpperCase();
  const op = matching.find((o) => o.method.toUpperCase() === method || (method === 'HEAD' && o.method === 'get')) ?? null;
  return { op, methods: matching.map((o) => o.method.toUpperCase()) };
}

describe('generated requests against the OpenAPI document', () => {
  it(`${REQUESTS} requests (seed ${SEED}): no 5xx, every status declared, every error problem+json`, { timeout: Math.max(60_000, REQUESTS * 50) }, async () => {
    const g = new Gen(seededRandom(SEED));
    const statuses = new Map<number, number>();
    const failures: string[] = [];
    let serverErrors = 0;
    for (let i = 0; i < REQUESTS; i++) {
      const req = generateRequest(g, ops, ctx, { admin: ADMIN_KEY, read: READ_KEY });
      const res = await f.app.request(req.path, { method: req.method, headers: req.headers, ...(req.body === undefined || ['GET', 'HEAD'].includes(req.method.toUpperCase()) ? {} : { body: req.body as BodyInit }) });
      const type = res.headers.get('content-type') ?? '';
      const text = type.startsWith('text/event-stream') ? (await res.body?.cancel(), '') : await res.text();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      // as the server sees it: `..` and `.` segments are resolved by the URL parser
      const pathOnly = new URL(req.path, 'http://localhost').pathname;
      const { op, methods } = allowedFor(req, pathOnly);
      const problems: string[] = [];
      if (res.status >= 500) {
        serverErrors++;
        problems.push('5xx');
      }
      if (op) {
        if (!op.statuses.includes(res.status)) problems.push(`status ${res.status} not declared (declared: ${op.statuses.join(', ')})`);
      } else if (methods.length > 0) {
        const expected = req.method.toUpperCase() === 'OPTIONS' ? 204 : 405;
        if (res.status !== expected) problems.push(`expected ${expected} for a method the path does not have, got ${res.status}`);
        else if (!res.headers.get('allow')) problems.push('no Allow header');
      } else if (res.status !== 404 && !(req.kind === 'unknown path' && [405, 204].includes(res.status))) {
        // a random "unknown" path can still hit a dashboard route; only API paths are judged strictly
        if (pathOnly.startsWith('/api/')) problems.push(`expected 404 for an unknown path, got ${res.status}`);
      }
      if (res.status >= 400 && req.method.toUpperCase() !== 'HEAD') {
        if (!type.startsWith('application/problem+json')) problems.push(`error body is ${type || 'untyped'}, not application/problem+json`);
        else {
          try {
            const body = JSON.parse(text) as { status?: number; code?: unknown };
            if (body.status !== res.status || typeof body.code !== 'string') problems.push(`problem body ${text.slice(0, 200)}`);
          } catch {
            problems.push(`problem body is not JSON: ${text.slice(0, 200)}`);
          }
        }
      }
      if (problems.length > 0) {
        const body = req.body === undefined ? '' : typeof req.body === 'string' ? req.body.slice(0, 300) : `<${req.body.length} bytes>`;
        failures.push(`#${i} (seed ${SEED}) ${req.method} ${req.path.slice(0, 300)} [${req.kind}] headers ${JSON.stringify(req.headers)} body ${body} -> ${res.status} ${text.slice(0, 300)}: ${problems.join('; ')}`);
      }
    }
    const histogram = [...statuses.entries()].sort(([a], [b]) => a - b).map(([s, n]) => `${s}: ${n}`).join(', ');
    process.stdout.write(`openapi fuzz: ${REQUESTS} requests, seed ${SEED}, 5xx ${serverErrors}; statuses ${histogram}\n`);
    expect(failures.slice(0, 10)).toEqual([]);
    expect(serverErrors).toBe(0);
    // the generator reaches the interesting statuses, not only 200s and 401s
    if (REQUESTS >= 300) for (const s of [200, 400, 401, 404, 405]) expect(statuses.get(s) ?? 0, `status ${s} reached`).toBeGreaterThan(0);
  });
});
