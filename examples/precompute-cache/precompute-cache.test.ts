import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from 'docket/testing';
import { startExample, type RunningExample } from '../test-support/spawn-example.js';
import { redisUnavailable, startRedisServer, type RedisServer } from '../test-support/redis-server.js';
import { postgresAvailability, startPostgresServer, type PostgresServer } from '../../test/support/postgres/postgres-server.js';
import { createPrecomputeApp } from './app.js';
import { selectCities } from './cities.js';
import { loadConfig } from './config.js';
import { addDays } from './panchang.js';

const KEY = 'test-admin-key-0123456789';
const DAY_S = 86_400;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'precompute-cache-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const todayIST = () => new Date(Date.now() + 5.5 * 3_600_000).toISOString().slice(0, 10);

async function waitForJob(url: string, id: string): Promise<{ state: string; result: Record<string, unknown> }> {
  for (let i = 0; i < 600; i++) {
    const job = (await (await fetch(`${url}/precompute/jobs/${id}`)).json()) as { state: string; result: Record<string, unknown> };
    if (['completed', 'failed', 'cancelled'].includes(job.state)) return job;
    await sleep(50);
  }
  throw new Error(`job ${id} did not finish`);
}

/** What an IN_TOP10 × `days` run must leave in the cache: the keys, each with its TTL. */
function expectedKeys(from: string, days: number) {
  const dates = Array.from({ length: days }, (_, i) => addDays(from, i));
  const months = [...new Set(dates.map((d) => d.slice(0, 7).replace('-', ':')))];
  const cities = selectCities('IN_TOP10').map((c) => c.name);
  return {
    panchangam: cities.flatMap((c) => dates.map((d) => `panchangam:${c}:${d}`)).sort(),
    festivals: cities.flatMap((c) => months.map((m) => `festivals:${c}:${m}`)).sort(),
  };
}

/** Runs the documented flow against a started example; `cacheKeys`/`ttl` read the cache directly. */
async function precomputeTop10(app: RunningExample, cache: { keys(prefix: string): Promise<string[]>; ttl(key: string): Promise<number | null> }) {
  const run = await fetch(`${app.url}/precompute/run`, { method: 'POST', headers: { 'x-api-key': KEY, 'content-type': 'application/json' }, body: JSON.stringify({ days: 3 }) });
  expect(run.status).toBe(202);
  const { jobId } = (await run.json()) as { jobId: string };
  const job = await waitForJob(app.url, jobId);
  expect(job.state).toBe('completed');
  const from = job.result.from as string;
  expect([todayIST(), addDays(todayIST(), -1)]).toContain(from); // the test may straddle midnight IST
  expect(job.result).toMatchObject({ cityPrecompute: 'IN_TOP10', days: 3, cities: 10, citiesSucceeded: 10, citiesFailed: 0, panchangamKeys: 30 });

  const want = expectedKeys(from, 3);
  expect(await cache.keys('panchangam:')).toEqual(want.panchangam);
  expect(await cache.keys('festivals:')).toEqual(want.festivals);
  for (const [key, ttl] of [[want.panchangam[0]!, 7 * DAY_S], [want.festivals[0]!, 30 * DAY_S], ['precompute:summary', DAY_S]] as const) {
    const left = await cache.ttl(key);
    expect(left, key).toBeGreaterThan(ttl - 120);
    expect(left, key).toBeLessThanOrEqual(ttl);
  }

  // Served from the cache, with a computed fallback for a day outside the precomputed window.
  const hit = await fetch(`${app.url}/panchangam/mumbai?date=${from}`);
  expect(hit.headers.get('x-cache')).toBe('HIT');
  const body = (await hit.json()) as { source: string; key: string; panchangam: { tithi: { name: string }; sunrise: string } };
  expect(body).toMatchObject({ source: 'cache', key: `panchangam:mumbai:${from}` });
  expect(body.panchangam.sunrise).toMatch(/^\d{4}-\d\d-\d\dT0[0-2]:\d\d:\d\dZ$/); // 05:30–08:30 IST
  // The seed's spelling finds its city (GeoNames says Bengaluru), from the cache IN_TOP10 filled.
  for (const [asked, slug] of [['Bangalore', 'bangalore'], ['Bengaluru', 'bangalore'], ['Jaipur', 'jaipur']]) {
    const seedCity = await fetch(`${app.url}/panchangam/${asked}?date=${from}`);
    expect(seedCity.status, asked).toBe(200);
    expect(seedCity.headers.get('x-cache'), asked).toBe('HIT');
    expect(((await seedCity.json()) as { key: string }).key).toBe(`panchangam:${slug}:${from}`);
  }
  const miss = await fetch(`${app.url}/panchangam/mumbai?date=2030-06-01`);
  expect(((await miss.json()) as { source: string }).source).toBe('computed');
  expect(((await (await fetch(`${app.url}/panchangam/mumbai?date=2030-06-01`)).json()) as { source: string }).source).toBe('cache');
  return from;
}

describe('precompute-cache, started with npm run (SQLite cache)', { timeout: 120_000 }, () => {
  let app: RunningExample;
  afterEach(async () => {
    await app?.stop();
  });

  it('precomputes IN_TOP10 × 3 days with the seed keys and TTLs, serves from the cache, refuses bad input with 4xx', async () => {
    const db = join(dir, 'sqlite.db');
    app = await startExample('precompute-cache', { CITY_PRECOMPUTE: 'IN_TOP10', PRECOMPUTE_DAYS: '3', DOCKET_DB: db, PORT: '0', ADMIN_API_KEY: KEY, REDIS_URL: '' });
    const sqlite = new Database(db, { readonly: true });
    const now = () => Date.now();
    const cache = {
      keys: async (prefix: string) => (sqlite.prepare('SELECT key FROM precompute_cache WHERE key LIKE ? AND expires_at > ? ORDER BY key').all(`${prefix}%`, now()) as { key: string }[]).map((r) => r.key),
      ttl: async (key: string) => {
        const row = sqlite.prepare('SELECT expires_at FROM precompute_cache WHERE key = ?').get(key) as { expires_at: number } | undefined;
        return row ? Math.round((row.expires_at - now()) / 1000) : null;
      },
    };
    try {
      await precomputeTop10(app, cache);
    } finally {
      sqlite.close();
    }

    const status = (await (await fetch(`${app.url}/precompute/status`)).json()) as { schedule: { description: string; nextFires: string[] }; summary: { cities: number } };
    expect(status.schedule.description).toBe('cron 30 2 * * * (Asia/Kolkata)');
    expect(status.schedule.nextFires[0]).toMatch(/T21:00:00\.000Z$/); // 02:30 IST
    expect(status.summary.cities).toBe(10);

    const post = (path: string, init: RequestInit = {}) => fetch(`${app.url}${path}`, { method: 'POST', ...init });
    const json = { 'content-type': 'application/json' };
    const bad: [string, Promise<Response>, number][] = [
      ['no key', post('/precompute/run'), 401],
      ['wrong key', post('/precompute/run', { headers: { 'x-api-key': 'wrong-key-wrong-key-wrong' } }), 401],
      ['malformed JSON', post('/precompute/run', { headers: { ...json, 'x-api-key': KEY }, body: '{"days":' }), 400],
      ['not an object', post('/precompute/run', { headers: { ...json, 'x-api-key': KEY }, body: '[1]' }), 400],
      ['unknown option', post('/precompute/run', { headers: { ...json, 'x-api-key': KEY }, body: '{"cityPrecompute":"IN_TOP5"}' }), 400],
      ['unknown field', post('/precompute/run', { headers: { ...json, 'x-api-key': KEY }, body: '{"cities":10}' }), 400],
      ['days out of range', post('/precompute/run', { headers: { ...json, 'x-api-key': KEY }, body: '{"days":0}' }), 400],
      ['not JSON', post('/precompute/run', { headers: { 'content-type': 'text/plain', 'x-api-key': KEY }, body: 'days=3' }), 415],
      ['unknown city', fetch(`${app.url}/panchangam/atlantis`), 404],
      ['bad date', fetch(`${app.url}/panchangam/mumbai?date=2026-02-30`), 400],
      ['date far out', fetch(`${app.url}/panchangam/mumbai?date=2500-01-01`), 400],
      ['bad month', fetch(`${app.url}/festivals/mumbai/2026/13`), 400],
      ['unknown job', fetch(`${app.url}/precompute/jobs/999999`), 404],
      ['non-numeric job', fetch(`${app.url}/precompute/jobs/abc`), 404],
      ['clear cache without key', fetch(`${app.url}/precompute/cache`, { method: 'DELETE' }), 401],
      ['unknown route', fetch(`${app.url}/nope`), 404],
    ];
    for (const [what, response, status] of bad) {
      const r = await response;
      expect(r.status, what).toBe(status);
      expect(((await r.json()) as { error: { code: string } }).error.code, what).toMatch(/^[A-Z_]+$/);
    }
  });
});

const noRedis = redisUnavailable();
describe.skipIf(noRedis)('precompute-cache with REDIS_URL', { timeout: 120_000 }, () => {
  let redis: RedisServer;
  let app: RunningExample;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await app?.stop();
    await redis?.stop();
  });

  it('writes the same keys and TTLs to Redis', async () => {
    app = await startExample('precompute-cache', { CITY_PRECOMPUTE: 'IN_TOP10', PRECOMPUTE_DAYS: '3', DOCKET_DB: join(dir, 'redis.db'), PORT: '0', ADMIN_API_KEY: KEY, REDIS_URL: redis.url });
    expect(app.output()).toContain('cache: redis');
    const client = new Redis(redis.url);
    try {
      await precomputeTop10(app, {
        keys: async (prefix) => (await client.keys(`${prefix}*`)).sort(),
        ttl: async (key) => {
          const t = await client.ttl(key);
          return t < 0 ? null : t;
        },
      });
      expect(JSON.parse((await client.get('precompute:summary'))!)).toMatchObject({ cities: 10, days: 3 });
    } finally {
      client.disconnect();
    }
  });
});

const postgres = postgresAvailability();
if (!postgres.available) console.warn(`\n*** SKIPPING the precompute-cache DATABASE_URL test: ${postgres.reason} ***\n`);
describe.skipIf(!postgres.available)('precompute-cache with DATABASE_URL', { timeout: 120_000 }, () => {
  let server: PostgresServer;
  let app: RunningExample;
  beforeAll(async () => {
    server = await startPostgresServer();
  });
  afterAll(async () => {
    await app?.stop();
    await server?.stop();
  });

  it('also writes PanchangDay and FestivalDay rows, once per city and day across two runs', async () => {
    app = await startExample('precompute-cache', { CITY_PRECOMPUTE: 'IN_TOP10', PRECOMPUTE_DAYS: '2', DOCKET_DB: join(dir, 'pg.db'), PORT: '0', ADMIN_API_KEY: KEY, REDIS_URL: '', DATABASE_URL: server.url });
    for (let run = 0; run < 2; run++) {
      const r = await fetch(`${app.url}/precompute/run`, { method: 'POST', headers: { 'x-api-key': KEY } });
      expect((await waitForJob(app.url, ((await r.json()) as { jobId: string }).jobId)).state).toBe('completed');
    }
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    try {
      const days = await client.query<{ n: string; cities: string; mumbai: { tithi: { name: string } } | null }>(
        `SELECT count(*) AS n, count(DISTINCT city) AS cities, (SELECT data FROM "PanchangDay" WHERE city = 'mumbai' ORDER BY date LIMIT 1) AS mumbai FROM "PanchangDay"`,
      );
      expect(days.rows[0]).toMatchObject({ n: '20', cities: '10' });
      expect(days.rows[0]!.mumbai!.tithi.name).toMatch(/^(Shukla|Krishna) |^Purnima$|^Amavasya$/);
      const festivals = await client.query<{ n: string; dup: string }>(`SELECT count(*) AS n, count(*) - count(DISTINCT (city, date, name)) AS dup FROM "FestivalDay"`);
      expect(Number(festivals.rows[0]!.n)).toBeGreaterThan(10 * 4); // ≥ 4 observances per city and month
      expect(festivals.rows[0]!.dup).toBe('0');
      const indexes = await client.query<{ indexname: string }>(`SELECT indexname FROM pg_indexes WHERE tablename IN ('PanchangDay', 'FestivalDay') ORDER BY 1`);
      expect(indexes.rows.map((r) => r.indexname)).toEqual(expect.arrayContaining(['PanchangDay_date_lat_lon', 'FestivalDay_date', 'FestivalDay_type', 'FestivalDay_region']));
    } finally {
      await client.end();
    }
  });
});

describe('precompute-cache schedule (ManualClock)', { timeout: 60_000 }, () => {
  it('fires daily at PRECOMPUTE_TIME in Asia/Kolkata, once per day across a restart, and the cache expires after 7 days', async () => {
    const clock = new ManualClock(Date.parse('2026-01-14T20:00:00Z')); // 01:30 IST on 15 January
    const config = loadConfig({ CITY_PRECOMPUTE: 'IN_TOP10', PRECOMPUTE_DAYS: '2', DOCKET_DB: join(dir, 'clock.db') });
    expect(config.precomputeTime).toBe('02:30');
    let app = createPrecomputeApp(config, { clock, logger: false });
    await app.start();
    const completed = () => new Promise<{ jobId: string; usage: { isolation: string } | null }>((resolve) => app.docket.once('job:completed', resolve));
    // Moves the clock, then lets the scheduler pass that a due timer started finish.
    const advance = async (ms: number) => {
      await clock.advance(ms);
      for (let i = 0; i < 5; i++) await app.docket.scheduler.idle();
    };

    let done = completed();
    await advance(59 * 60_000);
    expect((await app.docket.listJobs({ name: 'precompute_panchangam' })).jobs).toHaveLength(0); // 02:29 IST: not yet
    await advance(60_000); // 02:30 IST = 21:00 UTC
    expect((await done).usage?.isolation).toBe('thread'); // CPU-bound: run in a worker thread
    expect(await app.cache.keys('panchangam:mumbai:')).toEqual(['panchangam:mumbai:2026-01-15', 'panchangam:mumbai:2026-01-16']);
    expect(await app.cache.keys('festivals:delhi:')).toEqual(['festivals:delhi:2026:01']);
    expect(await app.cache.ttl('panchangam:mumbai:2026-01-15')).toBe(7 * DAY_S);

    // A restart the same night does not run it again; the next night's fire still comes.
    await app.close();
    await clock.advance(3_600_000);
    app = createPrecomputeApp(config, { clock, logger: false });
    await app.start();
    await advance(0); // the scheduler's first pass
    expect((await app.docket.listJobs({ name: 'precompute_panchangam' })).jobs).toHaveLength(1);
    await app.close();

    // Down until just before the next night's slot (a stopped docket has no timers to replay); it still fires.
    await clock.set(Date.parse('2026-01-15T20:59:00Z'));
    app = createPrecomputeApp(config, { clock, logger: false });
    await app.start();
    done = completed();
    await advance(60_000);
    await done;
    const jobs = (await app.docket.listJobs({ name: 'precompute_panchangam', order: 'asc' })).jobs;
    expect(jobs.map((j) => j.fireTime?.toISOString())).toEqual(['2026-01-14T21:00:00.000Z', '2026-01-15T21:00:00.000Z']);
    expect(await app.cache.keys('panchangam:mumbai:')).toEqual(['panchangam:mumbai:2026-01-15', 'panchangam:mumbai:2026-01-16', 'panchangam:mumbai:2026-01-17']);

    // Without further runs, the panchangam keys expire after 7 days; the month's festivals stay 30.
    await app.close();
    await clock.advance(8 * DAY_S * 1000);
    app = createPrecomputeApp({ ...config, schedEnabled: false }, { clock, logger: false });
    await app.start();
    expect(await app.cache.keys('panchangam:')).toEqual([]);
    expect(await app.cache.keys('festivals:mumbai:')).toEqual(['festivals:mumbai:2026:01']);
    await app.close();
  });

  it('rejects a bad environment with the variable named', () => {
    expect(() => loadConfig({ CITY_PRECOMPUTE: 'IN_TOP5' })).toThrow(/CITY_PRECOMPUTE/);
    expect(() => loadConfig({ PRECOMPUTE_TIME: '2:30' })).toThrow(/PRECOMPUTE_TIME/);
    expect(() => loadConfig({ PRECOMPUTE_DAYS: 'thirty' })).toThrow(/PRECOMPUTE_DAYS/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL/);
  });
});
