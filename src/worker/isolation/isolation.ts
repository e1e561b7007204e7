import type { Logger } from 'pino';
import type { WorkerConfig } from '../../core/config.js';
import type { ClaimedJob } from '../../core/job.js';
import type { JobDefinition } from '../../jobs/job-definition.js';
import { HostPool, type IsolatedRun, type RunListener } from './host-pool.js';
import { LoopLagWatch } from './loop-lag.js';

export type { IsolatedRun, RunListener } from './host-pool.js';

/**
 * What one worker's attempts use to run handlers away from its event loop:
 * the pool of threads and child processes (host-pool.ts) and, for handlers
 * that stay in-process, the event-loop lag watch (loop-lag.ts).
 */
export class Isolation {
  private readonly pool: HostPool;
  private readonly lag: LoopLagWatch;
  private readonly logLevel: string;

  constructor(config: WorkerConfig, logger: Logger) {
    this.pool = new HostPool(config.concurrency, config.isolation, logger);
    this.lag = new LoopLagWatch(config.eventLoopLagWarnMs, config.leaseMs, logger);
    this.logLevel = logger.level;
    this.lag.start();
  }

  /** Threads and processes alive now (busy and idle). */
  get hosts(): number {
    return this.pool.size;
  }

  run(job: ClaimedJob, def: JobDefinition<never, unknown>, listener: RunListener): IsolatedRun {
    const ref = def.handlerModule!;
    return this.pool.run(
      {
        isolation: def.isolation as 'thread' | 'process',
        memoryLimitMb: def.memoryLimitMb,
        handler: { url: ref.url, exportName: ref.exportName, options: ref.options },
        job,
        logLevel: this.logLevel,
      },
      listener,
    );
  }

  inProcessStarted(job: ClaimedJob): void {
    this.lag.started(job);
  }

  inProcessEnded(job: ClaimedJob): void {
    this.lag.ended(job);
  }

  /** Shutdown: running handlers get `graceMs` after their signal, then every thread and process is ended. */
  async close(graceMs: number): Promise<void> {
    this.lag.stop();
    await this.pool.close(graceMs);
  }
}
