// Shared setup of the scheduler's tests: Dockets on one in-memory SQLite store, all on one ManualClock.
import { ManualClock } from '../../core/clock.js';
import type { Docket } from '../../docket.js';
import type { DocketEventName, DocketEvents } from '../../runtime/events.js';
import { createMemoryStore, createTestDocket, type TestDocketOptions } from '../../testing/test-docket.js';

export const SECOND = 1_000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;

export interface SchedulerFixture {
  clock: ManualClock;
  store: ReturnType<typeof createMemoryStore>;
  /** A Docket on the shared store and clock, with job `tick` defined; worker and maintenance off unless asked. */
  docket(options?: TestDocketOptions & { handler?: (data: unknown) => unknown }): Docket;
  /** Moves the clock to `t` (firing due timers), then waits until every docket's scheduler pass is done. */
  at(t: number | string): Promise<void>;
  /** `fireTime`s of the schedule's jobs, ISO, oldest first. */
  fireTimes(schedule: string): Promise<string[]>;
  close(): Promise<void>;
}

export function schedulerFixture(start: number | string): SchedulerFixture {
  const clock = new ManualClock(time(start));
  const store = createMemoryStore({ clock });
  const dockets: Docket[] = [];
  const settle = async (): Promise<void> => {
    // A pass may start another (a nudge); settle until none runs.
    for (let i = 0; i < 5; i++) await Promise.all(dockets.map((d) => d.scheduler.idle()));
  };
  return {
    clock,
    store,
    docket(options = {}) {
      const { handler, ...rest } = options;
      const d = createTestDocket({ clock, store, worker: { enabled: false }, maintenance: { enabled: false }, ...rest });
      d.defineJob('tick', { handler: async (data: unknown) => (handler ? handler(data) : null) });
      dockets.push(d);
      return d;
    },
    async at(t) {
      await settle();
      await clock.set(time(t));
      await settle();
    },
    async fireTimes(schedule) {
      const page = await store.listJobs({ scheduleName: schedule, order: 'asc', limit: 1_000 });
      return page.jobs.map((j) => j.fireTime!.toISOString());
    },
    async close() {
      for (const d of dockets) await d.stop({ graceMs: 0 });
      await store.close();
    },
  };
}

export function time(t: number | string): number {
  return typeof t === 'number' ? t : Date.parse(t);
}

/** Collects every event of one kind a docket emits. */
export function collect<E extends DocketEventName>(docket: Docket, event: E): Array<DocketEvents[E]> {
  const out: Array<DocketEvents[E]> = [];
  docket.on(event, (e) => out.push(e));
  return out;
}
