import type { Logger } from 'pino';
import type { Clock } from '../core/clock.js';
import type { CoreConfig } from '../core/config.js';
import type { DocketEventEmitter } from '../events.js';
import { IntervalTask, type Service } from '../service.js';
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

  constructor(private readonly deps: MaintenanceDeps) {
    this.log = deps.logger.child({ service: 'maintenance' });
  }

  async start(): Promise<void> {
    if (this.rescuer) return;
    const { clock, config, events } = this.deps;
    const m = config.maintenance;
    const report = (task: 'rescue' | 'prune') => (error: unknown) => {
      this.log.error({ err: error }, `${task} failed; it runs again at its next interval`);
      events.emit('maintenance:error', { task, error });
    };
    this.rescuer = new IntervalTask(clock, m.rescueIntervalMs, () => this.rescue().then(() => undefined), report('rescue'));
    this.pruner = new IntervalTask(clock, m.pruneIntervalMs, () => this.prune().then(() => undefined), report('prune'));
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
    const { store, config } = this.deps;
    return pruneFinishedJobs({ store, config, logger: this.log });
  }
}
