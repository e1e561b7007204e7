import type { Clock } from '../core/clock.js';
import { Docket, type DocketOptions } from '../docket.js';
import { SqliteStore } from '../stores/sqlite/index.js';

export type TestDocketOptions = Partial<DocketOptions>;

/** A private in-memory SQLite store (gone when closed), on `clock` if given. */
export function createMemoryStore(options: { clock?: Clock } = {}): SqliteStore {
  return new SqliteStore({ path: ':memory:', ...(options.clock ? { clock: options.clock } : {}) });
}

/**
 * A Docket on a fresh in-memory SQLite store, silent by default, with a
 * short poll interval. The store shares the Docket's clock, so a ManualClock
 * drives both. Not started: define jobs, then `start()` or `drain()`.
 */
export function createTestDocket(options: TestDocketOptions = {}): Docket {
  const { store, ...rest } = options;
  return new Docket({
    logger: false,
    ...rest,
    worker: { pollIntervalMs: 20, ...rest.worker },
    store: store ?? createMemoryStore(rest.clock ? { clock: rest.clock } : {}),
  });
}
