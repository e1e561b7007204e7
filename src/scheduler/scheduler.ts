import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../core/clock.js';
import { planDueFires } from '../core/schedule-plan.js';
import type { DocketEventEmitter } from '../runtime/events.js';
import { OutageReporter } from '../runtime/outage-reporter.js';
import type { Service } from '../runtime/service.js';
import type { ScheduleState, ScheduleStore } from '../store/schedule-store.js';
import type { Store } from '../store/store.js';
import { jobForFire } from './fire-jobs.js';
import { reportClaim } from './fire-events.js';
import type { SchedulerConfig } from './scheduler-config.js';

export interface SchedulerDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  events: DocketEventEmitter;
  config: SchedulerConfig;
  /** A number in [0, 1) for jitter (tests pass a fixed one). */
  random?: () => number;
}

/**
 * First retry after a failed look at the store (doubling while it keeps
 * failing, up to max(tickIntervalMs, 5 s)): shorter than the tick, so that
 * fires due during an outage are enqueued soon after the store is back.
 */
export const SCHEDULER_RETRY_MIN_MS = 250;

/** What one pass did, for tests and tooling. */
export interface SchedulerPass {
  /** Schedules planned. */
  planned: number;
  /** Claims this process won / lost to another process (or to a pause, a redeclaration). */
  won: number;
  lost: number;
  failed: number;
  /** Ms until the next pass. */
  waitMs: number;
}

/**
 * Turns schedules into jobs. Each pass reads the due schedules (with the
 * store's `now`), plans each with core's `planDueFires` and asks the store to
 * claim the plan; the store's guarded write makes every (schedule, fire time)
 * produce one job however many processes run this at once, so there is no
 * leader. Between passes it sleeps on the Clock until the earliest next slot
 * (or `tickIntervalMs`, to notice schedules other processes changed): no
 * polling while nothing is due.
 */
export class Scheduler implements Service {
  readonly name = 'scheduler';
  private active = false;
  private timer: TimerHandle | null = null;
  private ticking: Promise<void> | null = null;
  private again = false;
  private readonly log: Logger;
  /** Logs a store outage once (warn) and its end once (info); paces the retries. */
  private readonly outage: OutageReporter;

  constructor(private readonly deps: SchedulerDeps) {
    this.log = deps.logger.child({ service: 'scheduler' });
    this.outage = new OutageReporter({ component: 'scheduler', logger: this.log, clock: deps.clock, maxBackoffMs: Math.max(deps.config.tickIntervalMs, 5_000) });
  }

  get running(): boolean {
    return this.active;
  }

  async start(): Promise<void> {
    if (this.active) return;
    this.active = true;
    this.arm(0);
  }

  async stop(): Promise<void> {
    this.active = false;
    if (this.timer) this.deps.clock.clearTimeout(this.timer);
    this.timer = null;
    await this.ticking;
  }

  /** Plan now rather than at the next wake-up (a schedule changed in this process). */
  nudge(): void {
    if (!this.active) return;
    if (this.ticking) {
      this.again = true;
      return;
    }
    if (this.timer) this.deps.clock.clearTimeout(this.timer);
    this.arm(0);
  }

  /** Resolves when no pass is running (tests step a ManualClock, then await this). */
  async idle(): Promise<void> {
    while (this.ticking) await this.ticking;
  }

  /** One pass now: plan and claim every due schedule. Returns what it did. */
  async pass(): Promise<SchedulerPass> {
    const { store, clock, config } = this.deps;
    const started = clock.now();
    const { now, due, nextFireAt } = await store.listDueSchedules({ lookaheadMs: config.lookaheadMs, limit: config.batchSize });
    this.outage.succeeded();
    const result: SchedulerPass = { planned: due.length, won: 0, lost: 0, failed: 0, waitMs: 0 };
    let next = nextFireAt?.getTime() ?? null;
    for (const schedule of due) {
      let slot: number | null;
      try {
        const claim = await this.claimDue(store, schedule, now);
        if (claim.won) result.won++;
        else result.lost++;
        slot = claim.nextFireAt;
      } catch (error) {
        result.failed++;
        this.report('claimFire', schedule.name, error);
        continue;
      }
      if (slot !== null && (next === null || slot < next)) next = slot;
    }
    // A full batch means more are due; a failing schedule must not turn that into a busy loop.
    if (due.length >= config.batchSize && result.failed === 0) return result;
    const elapsed = clock.now() - started;
    const untilNext = next === null ? Infinity : next - config.lookaheadMs - now.getTime() - elapsed;
    result.waitMs = Math.max(0, Math.min(config.tickIntervalMs, untilNext));
    // Claims failed because the store went away mid-pass: wait out the backoff, not a due slot (which would be now).
    if (result.failed > 0 && this.outage.down) result.waitMs = Math.max(result.waitMs, this.outage.waitMs());
    return result;
  }

  /** Plans one due schedule and claims the plan. Returns whether this process won, and the slot to wake for. */
  private async claimDue(store: ScheduleStore, s: ScheduleState, now: Date): Promise<{ won: boolean; nextFireAt: number | null }> {
    const plan = planDueFires({
      trigger: s.trigger,
      policy: { ...s.policy, paused: s.paused },
      nextFireAt: s.nextFireAt,
      now,
      lookaheadMs: this.deps.config.lookaheadMs,
      ...(this.deps.random ? { random: this.deps.random } : {}),
    });
    if (!plan.changed) return { won: false, nextFireAt: s.nextFireAt?.getTime() ?? null };
    const result = await store.claimFire({
      schedule: s.name,
      expected: { nextFireAt: s.nextFireAt, triggerKey: s.triggerKey, paused: s.paused },
      nextFireAt: plan.nextFireAt,
      fires: plan.enqueue.map((f) => ({ ...f, job: jobForFire(s.name, s.job, f) })),
      missed: plan.missed,
      maxRunning: s.policy.maxRunning,
    });
    if (result.outcome === 'lost') {
      // Another process claimed it (or it was paused, redeclared, removed): wake for its slot as it is now.
      const current = result.schedule;
      const live = current !== null && !current.paused && current.removedAt === null;
      return { won: false, nextFireAt: live ? (current.nextFireAt?.getTime() ?? null) : null };
    }
    reportClaim({ events: this.deps.events, log: this.log }, s.name, s.job, result);
    return { won: true, nextFireAt: plan.nextFireAt?.getTime() ?? null };
  }

  private arm(ms: number): void {
    this.timer = this.deps.clock.setTimeout(() => {
      this.timer = null;
      this.run();
    }, ms);
  }

  private run(): void {
    this.ticking = (async () => {
      let wait = this.deps.config.tickIntervalMs;
      try {
        do {
          this.again = false;
          wait = (await this.pass()).waitMs;
        } while (this.again && this.active);
      } catch (error) {
        wait = this.report('listDueSchedules', null, error);
      } finally {
        this.ticking = null;
        if (this.active) this.arm(wait);
      }
    })();
  }

  /** Every failure is a `scheduler:error` event; the log says it once per outage. Returns the backoff before the next try. */
  private report(operation: string, schedule: string | null, error: unknown): number {
    this.deps.events.emit('scheduler:error', { operation, schedule, error });
    const base = Math.min(this.deps.config.tickIntervalMs, SCHEDULER_RETRY_MIN_MS);
    return this.outage.failed(schedule === null ? operation : `${operation} ${schedule}`, error, base);
  }
}
