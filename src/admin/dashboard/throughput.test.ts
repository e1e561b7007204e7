import pino from 'pino';
import { describe, expect, test } from 'vitest';
import { ManualClock } from '../../core/clock.js';
import { JobAdmin } from '../../jobs/job-admin.js';
import { DocketEventEmitter } from '../../runtime/events.js';
import type { Store } from '../../store/store.js';
import { claimJob, enqueueOne, failure, settle } from '../../store/conformance/helpers.js';
import { createMemoryStore } from '../../testing/index.js';
import { lastHourThroughput, THROUGHPUT_BUCKETS } from './throughput.js';

const MIN = 60_000;

/** The job admin a Docket on `store` has (the dashboard reads through it). */
const jobsOn = (store: Store) => new JobAdmin({ store, events: new DocketEventEmitter(pino({ enabled: false })), ready: () => store.migrate() });
const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);

/** Jobs finished at known times before NOW (store clock); returns the store at NOW. */
async function storeWithHistory(): Promise<Store> {
  const clock = new ManualClock(NOW - 90 * MIN);
  const store = createMemoryStore({ clock });
  await store.migrate();
  const finishAt = async (minutesAgo: number, kind: 'complete' | 'fail' | 'cancel') => {
    const job = await enqueueOne(store);
    const claimed = await claimJob(store, job);
    await clock.set(NOW - minutesAgo * MIN);
    const outcome = kind === 'complete' ? { kind, resultJson: null } : kind === 'fail' ? { kind, failure: failure() } : { kind, reason: 'test' };
    expect(await settle(store, claimed, outcome)).toBe('applied');
  };
  await finishAt(75, 'complete'); // before the hour: left out
  await finishAt(59.5, 'complete'); // oldest bucket
  await finishAt(30.2, 'fail');
  await finishAt(30.1, 'complete');
  await finishAt(5.5, 'cancel');
  await finishAt(0.4, 'complete'); // newest bucket
  await finishAt(0.3, 'complete');
  await clock.set(NOW);
  return store;
}

function expectHistory(t: Awaited<ReturnType<typeof lastHourThroughput>>): void {
  expect(t).not.toBeNull();
  expect(t!.at.getTime()).toBe(NOW);
  expect(t!.t).toHaveLength(THROUGHPUT_BUCKETS);
  expect(t!.t[0]).toBe((NOW - 60 * MIN) / 1000);
  expect(t!.t.at(-1)).toBe((NOW - MIN) / 1000);
  const at = (i: number) => ({ completed: t!.completed[i], failed: t!.failed[i], cancelled: t!.cancelled[i] });
  expect(at(0)).toEqual({ completed: 1, failed: 0, cancelled: 0 });
  expect(at(29)).toEqual({ completed: 1, failed: 1, cancelled: 0 });
  expect(at(54)).toEqual({ completed: 0, failed: 0, cancelled: 1 });
  expect(at(59)).toEqual({ completed: 2, failed: 0, cancelled: 0 });
  const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);
  expect([sum(t!.completed), sum(t!.failed), sum(t!.cancelled)]).toEqual([4, 1, 1]);
}

describe('lastHourThroughput', () => {
  test('per-minute buckets of the last hour from Store.jobTimeline', async () => {
    const store = await storeWithHistory();
    expectHistory(await lastHourThroughput(jobsOn(store)));
    await store.close();
  });

  test('a store without jobTimeline gets the same buckets from jobStats windows', async () => {
    const store = await storeWithHistory();
    const withoutTimeline = Object.create(store, { jobTimeline: { value: undefined } }) as Store;
    let calls = 0;
    const counting = Object.create(withoutTimeline, {
      jobStats: { value: (p: Parameters<NonNullable<Store['jobStats']>>[0]) => (calls++, store.jobStats!(p)) },
    }) as Store;
    expectHistory(await lastHourThroughput(jobsOn(counting)));
    expect(calls).toBe(4);
    await store.close();
  });
});
