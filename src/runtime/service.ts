import type { Clock, TimerHandle } from '../core/clock.js';

/**
 * A long-running part of a Docket (worker, maintenance, later the scheduler).
 * The composition root starts services in order and stops them in reverse.
 */
export interface Service {
  readonly name: string;
  start(): Promise<void>;
  /** Idempotent. `graceMs` bounds how long unfinished work may take. */
  stop(options?: { graceMs?: number }): Promise<void>;
}

/**
 * Runs `task` every `intervalMs` on the Clock, never overlapping itself:
 * the next run is timed from the end of the previous one.
 */
export class IntervalTask {
  private timer: TimerHandle | null = null;
  private running: Promise<void> | null = null;
  private active = false;

  constructor(
    private readonly clock: Clock,
    private readonly intervalMs: number,
    private readonly task: () => Promise<void>,
    private readonly onError: (error: unknown) => void,
  ) {}

  start(options: { immediate?: boolean } = {}): void {
    if (this.active) return;
    this.active = true;
    this.arm(options.immediate ? 0 : this.intervalMs);
  }

  /** Runs the task now (unless it is running), then resumes the interval. */
  async runNow(): Promise<void> {
    if (this.running) return this.running;
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = null;
    await this.run();
  }

  async stop(): Promise<void> {
    this.active = false;
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  private arm(ms: number): void {
    if (!this.active) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      void this.run();
    }, ms);
  }

  private run(): Promise<void> {
    this.running = (async () => {
      try {
        await this.task();
      } catch (error) {
        this.onError(error);
      } finally {
        this.running = null;
        if (this.active && !this.timer) this.arm(this.intervalMs);
      }
    })();
    return this.running;
  }
}
