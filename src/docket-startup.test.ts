import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from './core/clock.js';
import { DocketError } from './core/errors.js';
import { Docket } from './docket.js';
import type { Store } from './store/store.js';
import { createMemoryStore } from './testing/index.js';

/**
 * Issue 11, finding 5: a Docket started while its store is unreachable waits
 * for it (one warning, retries with the outage backoff) instead of failing;
 * `failFast: true` keeps the immediate failure. The store here refuses
 * `migrate` with the transient STORE_ERROR a PostgreSQL store gives for a
 * refused connection until `up()` is called; time is a ManualClock.
 * (test/api/startup-outage.test.ts does the same against a real PostgreSQL.)
 */

const unreachable = () => new DocketError('STORE_ERROR', 'postgres unreachable during migrate: connect ECONNREFUSED 127.0.0.1:1', { transient: true, operation: 'migrate' });

function flakyStore(clock: ManualClock): { store: Store; up(): void; tries(): number } {
  const inner = createMemoryStore({ clock });
  let reachable = false;
  let tries = 0;
  const store = new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'migrate') {
        return async () => {
          tries++;
          if (!reachable) throw unreachable();
          return target.migrate();
        };
      }
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { store, up: () => (reachable = true), tries: () => tries };
}

interface Line {
  level: number;
  msg: string;
}

const dockets: Docket[] = [];
afterEach(async () => {
  for (const d of dockets.splice(0)) await d.close({ graceMs: 0 }).catch(() => undefined);
});

function build(options: { failFast?: boolean } = {}) {
  const clock = new ManualClock(1_000_000);
  const flaky = flakyStore(clock);
  const lines: Line[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as Line) });
  const docket = new Docket({ store: flaky.store, clock, logger, worker: { pollIntervalMs: 10 }, ...options });
  dockets.push(docket);
  return { docket, clock, flaky, lines };
}

/** Lets promise chains run (the store calls here are async but never wait on timers). */
const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};

describe('Docket.start() with the store unreachable', () => {
  it('waits (one warning, backoff), starts when the store answers, and the job runs', async () => {
    const { docket, clock, flaky, lines } = build();
    let ran = 0;
    docket.defineJob('ping', { handler: () => void ran++ });
    let started = false;
    const start = docket.start().then(() => (started = true));
    await settle();
    expect(docket.waitingForStore).toBe(true);
    // 10 s of outage: a handful of tries (250 ms doubling, capped at 5 s), not one per poll
    for (let i = 0; i < 100; i++) {
      await clock.advance(100);
      await settle();
    }
    expect(started).toBe(false);
    expect(flaky.tries()).toBeGreaterThan(2);
    expect(flaky.tries()).toBeLessThan(12);
    expect(lines.filter((l) => l.level === 40)).toHaveLength(1);
    expect(lines.find((l) => l.level === 40)!.msg).toMatch(/docket: store unreachable \(start failed\); retrying with backoff/);

    flaky.up();
    while (!started) {
      await clock.advance(250);
      await settle();
    }
    await start;
    expect(docket.waitingForStore).toBe(false);
    expect(docket.isRunning).toBe(true);
    expect(lines.some((l) => l.level === 30 && /docket: store reachable again after \d+ ms/.test(l.msg))).toBe(true);

    const job = await docket.enqueue('ping', {});
    while ((await docket.getJob(job.id))?.state !== 'completed') {
      await clock.advance(10);
      await settle();
    }
    expect(ran).toBe(1);
  });

  it('failFast: true rejects at once with the STORE_ERROR', async () => {
    const { docket, flaky, lines } = build({ failFast: true });
    await expect(docket.start()).rejects.toMatchObject({ code: 'STORE_ERROR', details: { transient: true } });
    expect(flaky.tries()).toBe(1);
    expect(docket.isRunning).toBe(false);
    expect(lines.filter((l) => l.level === 40)).toHaveLength(0);
  });

  it('stop() while waiting gives the start up (NOT_STARTED); nothing keeps running', async () => {
    const { docket, clock, flaky } = build();
    const start = docket.start();
    const outcome = start.then(
      () => 'resolved',
      (e: unknown) => e,
    );
    await settle();
    await clock.advance(1_000);
    await settle();
    await docket.stop();
    expect(await outcome).toMatchObject({ code: 'NOT_STARTED' });
    const tries = flaky.tries();
    await clock.advance(60_000);
    await settle();
    expect(flaky.tries()).toBe(tries);
    expect(docket.isRunning).toBe(false);
  });

  it('a failure that waiting cannot cure (not transient) rejects at once', async () => {
    const clock = new ManualClock(0);
    const inner = createMemoryStore({ clock });
    const store = new Proxy(inner, {
      get(target, prop, receiver) {
        if (prop === 'migrate') return async () => Promise.reject(new DocketError('STORE_ERROR', 'permission denied for schema docket', { transient: false }));
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const docket = new Docket({ store, clock, logger: false });
    dockets.push(docket);
    await expect(docket.start()).rejects.toMatchObject({ code: 'STORE_ERROR', message: /permission denied/ });
  });

  it('failFast must be a boolean', () => {
    expect(() => new Docket({ store: createMemoryStore(), logger: false, failFast: 'yes' as never })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG', field: 'failFast' }));
  });
});
