import type { Logger } from 'pino';
import type { IsolationConfig } from '../../core/config.js';
import { HostHandle, type HostExit } from './host-handle.js';
import type { HandlerRef, HostMessage, ParentMessage } from './protocol.js';

/** What the pool tells the attempt it runs. */
export interface RunListener {
  message(message: Exclude<HostMessage, { type: 'crash' }>): void;
  /** The thread or process ended before the job did. */
  exited(exit: HostExit): void;
}

export interface RunRequest {
  isolation: 'thread' | 'process';
  memoryLimitMb: number | null;
  handler: HandlerRef;
  job: Extract<ParentMessage, { type: 'run' }>['job'];
  logLevel: string;
}

/** One job running in a host. */
export interface IsolatedRun {
  /** Fires the handler's signal over there. */
  abort(kind: Extract<ParentMessage, { type: 'abort' }>['kind'], message: string): void;
  /** Ends its thread or process now (the grace is over); a fresh one replaces it. */
  terminate(): void;
}

interface Running {
  runId: number;
  listener: RunListener;
}

/**
 * The threads and child processes of one worker. Hosts are keyed by
 * isolation and memory limit (a thread's heap limit is fixed when it
 * starts) and reused one job at a time. At most `concurrency` live hosts in
 * all: an idle host of another key makes room. A host is replaced after
 * `recycleAfterJobs` jobs, when its memory after a job is above
 * `recycleAboveMb`, and when it ends (crash, limit, terminate): the
 * replacement is started at once while the worker runs, so the next job
 * does not pay the start.
 */
export class HostPool {
  private readonly idleByKey = new Map<string, HostHandle[]>();
  private readonly running = new Map<HostHandle, Running>();
  private readonly live = new Set<HostHandle>();
  private nextRunId = 1;
  private closed = false;
  private readonly waiters = new Set<() => boolean>();

  constructor(
    private readonly concurrency: number,
    private readonly config: IsolationConfig,
    private readonly logger: Logger,
  ) {}

  get size(): number {
    return this.live.size;
  }

  run(request: RunRequest, listener: RunListener): IsolatedRun {
    const key = poolKey(request.isolation, request.memoryLimitMb);
    const host = this.takeIdle(key) ?? this.spawn(request.isolation, request.memoryLimitMb);
    const runId = this.nextRunId++;
    this.running.set(host, { runId, listener });
    host.busy();
    host.send({ type: 'run', runId, handler: request.handler, job: request.job, logLevel: request.logLevel });
    return {
      abort: (kind, message) => {
        if (this.running.get(host)?.runId === runId) host.send({ type: 'abort', runId, kind, message });
      },
      terminate: () => {
        if (this.running.get(host)?.runId === runId) host.terminate();
      },
    };
  }

  /**
   * Shutdown: waits up to `graceMs` for running handlers (their signal has
   * fired), then terminates every host.
   */
  async close(graceMs: number): Promise<void> {
    this.closed = true;
    for (const idle of this.idleByKey.values()) for (const h of idle) h.terminate();
    this.idleByKey.clear();
    await this.until(() => this.running.size === 0, graceMs);
    const left = [...this.live];
    for (const h of left) h.terminate();
    await this.until(() => left.every((h) => h.exited));
  }

  /** Resolves when `done()` holds (checked at every host message and exit), or after `timeoutMs`. */
  private until(done: () => boolean, timeoutMs?: number): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = timeoutMs === undefined ? null : setTimeout(() => finish(), timeoutMs);
      const finish = (): boolean => {
        if (timer) clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
        return true;
      };
      const check = (): boolean => done() && finish();
      this.waiters.add(check);
    });
  }

  private takeIdle(key: string): HostHandle | undefined {
    const idle = this.idleByKey.get(key);
    return idle?.pop();
  }

  private spawn(isolation: 'thread' | 'process', memoryLimitMb: number | null): HostHandle {
    if (this.live.size >= this.concurrency) this.evictIdle();
    const host = new HostHandle({
      isolation,
      memoryLimitMb,
      listener: { message: (h, m) => this.onMessage(h, m), exit: (h, e) => this.onExit(h, e) },
    });
    this.live.add(host);
    return host;
  }

  /** Ends an idle host of any key: the slot is wanted for another. */
  private evictIdle(): void {
    for (const idle of this.idleByKey.values()) {
      const h = idle.shift();
      if (h) {
        h.terminate();
        this.live.delete(h);
        return;
      }
    }
  }

  private onMessage(host: HostHandle, message: HostMessage): void {
    const run = this.running.get(host);
    if (!run || message.type === 'crash' || message.runId !== run.runId) return;
    if (message.type !== 'done') {
      run.listener.message(message);
      return;
    }
    this.running.delete(host);
    host.jobs++;
    host.idle();
    const overMemory = this.config.recycleAboveMb !== null && message.memoryBytes > this.config.recycleAboveMb * 1024 * 1024;
    if (this.closed || host.jobs >= this.config.recycleAfterJobs || overMemory) {
      this.logger.debug({ isolation: host.isolation, jobs: host.jobs, memoryMb: Math.round(message.memoryBytes / 1048576) }, 'recycling an isolated handler host');
      this.retire(host);
    } else {
      const key = poolKey(host.isolation, host.memoryLimitMb);
      const idle = this.idleByKey.get(key) ?? [];
      idle.push(host);
      this.idleByKey.set(key, idle);
    }
    run.listener.message(message);
    this.notifyExitWaiters();
  }

  /** Ends a host and starts its replacement (unless closing or already at the cap). */
  private retire(host: HostHandle): void {
    this.live.delete(host);
    host.terminate();
    this.replace(host);
  }

  private replace(host: HostHandle): void {
    if (this.closed || this.live.size >= this.concurrency) return;
    const fresh = this.spawn(host.isolation, host.memoryLimitMb);
    const key = poolKey(host.isolation, host.memoryLimitMb);
    const idle = this.idleByKey.get(key) ?? [];
    idle.push(fresh);
    this.idleByKey.set(key, idle);
  }

  private onExit(host: HostHandle, exit: HostExit): void {
    const wasLive = this.live.delete(host);
    for (const idle of this.idleByKey.values()) {
      const i = idle.indexOf(host);
      if (i >= 0) idle.splice(i, 1);
    }
    const run = this.running.get(host);
    this.running.delete(host);
    if (run) {
      if (!exit.terminated) this.logger.warn({ isolation: host.isolation, detail: exit.detail }, 'an isolated handler host ended under its job; starting a fresh one');
      run.listener.exited(exit);
      if (wasLive) this.replace(host);
    } else if (wasLive && !exit.terminated) {
      this.logger.warn({ isolation: host.isolation, detail: exit.detail }, 'an idle isolated handler host ended');
    }
    this.notifyExitWaiters();
  }

  private notifyExitWaiters(): void {
    for (const check of [...this.waiters]) check();
  }
}

function poolKey(isolation: string, memoryLimitMb: number | null): string {
  return `${isolation}:${memoryLimitMb ?? ''}`;
}
