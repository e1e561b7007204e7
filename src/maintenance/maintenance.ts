import type { Logger } from 'pino';
import type { Clock } from '../core/clock.js';
import type { CoreConfig } from '../core/config.js';
import type { DocketEventEmitter } from '../runtime/events.js';
import { OutageReporter } from '../runtime/outage-reporter.js';
import { IntervalTask, type Service } from '../runtime/service.js';
import type { Store } from '../store/store.js';
import { pruneFinishedJobs } from './pruner.js';
import { rescueExpiredJobs } from './rescuer.js';

export interface MaintenanceDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  events: DocketEventEmitter;
  config: CoreConfig;
}

/**
 * The rescuer (every `rescueIntervalMs`) and the pruner (every
 * `pruneIntervalMs`). Both are safe to run in every process at once: each
 * store call is atomic and judged on the store's clock.
 */
export class Maintenance implements Service {
  readonly name = 'maintenance';
  private rescuer: IntervalTask | null = null;
  private pruner: IntervalTask | null = null;
  private readonly log: Logger;
  /** Shared by the rescuer and the pruner: one warning per outage, one backoff. */
  private readonly outage: OutageReporter;

  constructor(private readonly deps: MaintenanceDeps) {
    this.log = deps.logger.child({ service: 'maintenance' });
    this.outage = new OutageReporter({ component: 'maintenance', logger: this.log, clock: deps.clock });
  }

  async start(): Promise<void> {
    if (this.rescuer) return;
    const { clock, config, events } = this.deps;
    const m = config.maintenance;
    // Every failure is a maintenance:error event; the log says it once per outage.
    const report = (task: 'rescue' | 'prune') => (error: unknown) => {
      events.emit('maintenance:error', { task, error });
      this.outage.failed(task, error, m.rescueIntervalMs);
    };
    // While the store keeps failing, the intervals tick on but skip their store calls until the backoff has passed.
    const paced = (pass: () => Promise<number>) => async (): Promise<void> => {
      if (this.outage.waitMs() > 0) return;
      await pass();
      this.outage.succeeded();
    };
    this.rescuer = new IntervalTask(clock, m.rescueIntervalMs, paced(() => this.rescue()), report('rescue'));
    this.pruner = new IntervalTask(clock, m.pruneIntervalMs, paced(() => this.prune()), report('prune'));
    this.rescuer.start({ immediate: true });
    this.pruner.start({ immediate: true });
  }

  async stop(): Promise<void> {
    const { rescuer, pruner } = this;
    this.rescuer = this.pruner = null;
    await Promise.all([rescuer?.stop(), pruner?.stop()]);
  }

  /** One rescue pass now; returns how many jobs it rescued. */
  rescue(): Promise<number> {
    const { store, events, config } = this.deps;
    return rescueExpiredJobs({ store, events, logger: this.log, maxStalls: config.maintenance.maxStalls });
  }

  /** One prune pass now; returns how many jobs it deleted. */
  prune(): Promise<number> {
    return pruneFinishedJobs({ store: this.deps.store, logger: this.log });
  }
}
