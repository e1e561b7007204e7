import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../core/clock.js';
import { AbortReason, HandlerCrashedError, JobTimeoutError, OutOfMemoryError, ValidationError } from '../core/errors.js';
import type { ClaimedJob } from '../core/job.js';
import { decideNextState, toFailure } from '../core/next-state.js';
import type { AttemptOutcome } from '../core/outcome.js';
import { checkJsonText } from '../core/validate.js';
import type { JobDefinition } from '../jobs/job-definition.js';
import { validateWithSchema } from '../jobs/standard-schema.js';
import type { AttemptUsage } from '../runtime/events.js';
import { createJobContext, type JobContext, type ProgressInput } from './job-context.js';
import type { HostExit } from './isolation/host-handle.js';
import type { Isolation, IsolatedRun } from './isolation/isolation.js';
import { deserializeError, type HostMessage } from './isolation/protocol.js';

export type AbortKind = AbortReason['kind'];

/** parseData's answer when the attempt already failed on its data. */
const UNPARSABLE: unique symbol = Symbol('unparsable');

export interface AttemptDeps {
  clock: Clock;
  logger: Logger;
  cancelGraceMs: number;
  maxResultBytes: number;
  onProgress(attempt: Attempt, progress: ProgressInput): void;
  /**
   * Called once when the attempt's outcome is decided: by the handler
   * settling, or by a grace running out after an abort. `null` means
   * "nothing to apply" (the lease was lost).
   */
  onSettled(attempt: Attempt, outcome: AttemptOutcome | null, result: unknown): void;
  /** Threads and child processes for isolated handlers, and the lag watch for in-process ones (absent: everything in-process). */
  isolation?: Isolation;
}

/**
 * One execution of a job: runs the handler with an AbortSignal, enforces the
 * job's timeout, and turns whatever happened into an AttemptOutcome.
 *
 * After an abort for timeout or cancel the outcome is fixed (a timeout
 * failure, `cancel`) whatever the handler does next; if the handler ignores
 * its signal, that outcome is recorded once `cancelGraceMs` has passed, so
 * a stuck handler cannot hold the job forever.
 */
export class Attempt {
  readonly startedAt: number;
  abortKind: AbortKind | null = null;
  /** The outcome is decided; later handler results are ignored. */
  settled = false;
  handlerDone = false;
  /** What was decided (null: nothing to record, the lease was lost), and the handler's value for events. */
  outcome: AttemptOutcome | null = null;
  result: unknown = undefined;
  /** CPU time and peak memory of an isolated attempt, once its handler returned (null in-process). */
  usage: AttemptUsage | null = null;
  /**
   * Made on first use: most handlers of a busy worker never look at their
   * signal, and an AbortController costs more than the rest of an attempt.
   */
  private controller: AbortController | null = null;
  private abortReason: AbortReason | null = null;
  private timeoutTimer: TimerHandle | null = null;
  private graceTimer: TimerHandle | null = null;
  private cancelReason = 'cancelled';
  /** The job running in a thread or child process (isolation 'thread' / 'process'). */
  private isolated: IsolatedRun | null = null;
  private killTimer: TimerHandle | null = null;

  constructor(
    readonly job: ClaimedJob,
    readonly def: JobDefinition<never, unknown>,
    private readonly deps: AttemptDeps,
  ) {
    this.startedAt = deps.clock.now();
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.abortReason) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }

  private get aborted(): boolean {
    return this.abortReason !== null;
  }

  run(): void {
    const { job, def, deps } = this;
    if (job.timeoutMs !== null && job.timeoutMs > 0) {
      const ms = job.timeoutMs;
      this.timeoutTimer = deps.clock.setTimeout(() => this.abort('timeout', `job timed out after ${ms} ms`), ms);
    }
    if (def.isolation !== 'in-process' && deps.isolation) {
      if (def.schema === null) this.startIsolated(job);
      else void this.parseThenStartIsolated(def.schema);
      return;
    }
    deps.isolation?.inProcessStarted(job);
    void this.execute(def, createJobContext(job, this, deps.logger, def.handlerModule?.options));
  }

  private startIsolated(job: ClaimedJob): void {
    this.isolated = this.deps.isolation!.run(job, this.def, { message: (m) => this.fromHost(m), exited: (e) => this.hostExited(e) });
  }

  /**
   * A schema's output (transforms, defaults) is what the handler gets, on
   * every side: it is parsed here and the output crosses the boundary
   * (structured clone keeps Dates, Maps and the like).
   */
  private async parseThenStartIsolated(schema: NonNullable<JobDefinition['schema']>): Promise<void> {
    const data = await this.parseData(schema);
    if (data === UNPARSABLE || this.settled || this.aborted) return;
    this.startIsolated({ ...this.job, data });
  }

  /** What the isolated handler's thread or process reports: progress, log lines, its end. */
  private fromHost(m: Exclude<HostMessage, { type: 'crash' }>): void {
    if (m.type === 'progress') {
      if (!this.handlerDone) this.reportProgress(m.progress);
    } else if (m.type === 'log') {
      this.relog(m.line);
    } else {
      this.usage = m.usage;
      this.clearKillTimer();
      this.handlerSettled(m.ok, m.ok ? (m.resultJson === undefined ? undefined : JSON.parse(m.resultJson)) : deserializeError(m.error!));
    }
  }

  /** Its thread or process ended before the handler did: out of memory, process.exit, a crash, or terminated by us. */
  private hostExited(exit: HostExit): void {
    this.clearKillTimer();
    const { job, def } = this;
    let error: Error;
    if (exit.outOfMemory) error = new OutOfMemoryError(job.id, def.memoryLimitMb, exit.detail);
    else {
      error = new HandlerCrashedError(job.id, exit.detail, { isolation: def.isolation, exitCode: exit.code, signal: exit.signal });
      if (exit.error?.stack) error.stack = `${error.name}: ${error.message}\ncaused by: ${exit.error.stack}`;
    }
    this.handlerSettled(false, error);
  }

  /** A pino line from the isolated handler's ctx.log, logged here at its level. */
  private relog(line: string): void {
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    const { level, msg, ...fields } = entry;
    const log = this.deps.logger;
    const label = log.levels.labels[Number(level)] ?? 'info';
    const method = (log as unknown as Record<string, unknown>)[label];
    if (typeof method === 'function') (method as (obj: object, msg?: string) => void).call(log, fields, typeof msg === 'string' ? msg : undefined);
  }

  /** Progress from the handler's context. */
  reportProgress(progress: ProgressInput): void {
    this.deps.onProgress(this, progress);
  }

  /** Runs the handler (an async method rather than then-callbacks: no closures per job). */
  private async execute(def: JobDefinition<never, unknown>, ctx: JobContext): Promise<void> {
    let ok = true;
    let value: unknown;
    try {
      const data = def.schema === null ? this.job.data : await this.parseData(def.schema);
      if (data === UNPARSABLE) return;
      value = await def.handler(data as never, ctx);
    } catch (error) {
      ok = false;
      value = error;
      // A handler that threw before returning a promise still ends asynchronously, as every other does.
      await undefined;
    }
    this.deps.isolation?.inProcessEnded(this.job);
    this.handlerSettled(ok, value);
  }

  /**
   * The stored data (the schema's input, checked at enqueue) through the job's
   * schema: the handler gets its output. Data the schema now refuses (it changed
   * since the enqueue) fails the attempt with INVALID_DATA, not retried: the
   * same data would be refused again.
   */
  private async parseData(schema: NonNullable<JobDefinition['schema']>): Promise<unknown> {
    try {
      return await validateWithSchema(schema, 'data', this.job.data);
    } catch (error) {
      this.handlerDone = true;
      if (!this.settled) this.settle({ kind: 'fail', failure: toFailure(error, this.job.attempt, new Date(this.deps.clock.now())) }, undefined);
      return UNPARSABLE;
    }
  }

  /** Fires the signal; for timeout and cancel, arms the grace after which the outcome is recorded anyway. */
  abort(kind: AbortKind, message: string): void {
    if (this.settled || this.aborted) return;
    this.abortKind = kind;
    if (kind === 'cancel') this.cancelReason = message;
    this.clearTimeoutTimer();
    this.fire(new AbortReason(kind, message));
    if (this.isolated && !this.handlerDone) {
      // Over there the signal fires too; a handler that ignores it has its thread or process ended after the grace.
      this.isolated.abort(kind, message);
      this.killTimer = this.deps.clock.setTimeout(() => this.terminateIsolated(), this.deps.cancelGraceMs);
    }
    if (kind === 'lease-lost') {
      // Not ours any more: nothing to record, and the slot is free at once.
      this.settle(null, undefined);
    } else if (kind === 'timeout' || kind === 'cancel') {
      this.graceTimer = this.deps.clock.setTimeout(() => this.settleAborted(), this.deps.cancelGraceMs);
    }
  }

  /** Shutdown: decide the outcome now (put back, or what an earlier abort fixed), then fire the signal. */
  releaseForShutdown(): void {
    if (this.settled) return;
    if (this.abortKind === 'timeout' || this.abortKind === 'cancel') {
      this.settleAborted();
      return;
    }
    this.settle({ kind: 'release' }, undefined);
    this.abortKind = 'shutdown';
    this.fire(new AbortReason('shutdown', 'the worker is shutting down'));
    // The worker's Isolation.close() ends its thread or process after the grace.
    if (this.isolated && !this.handlerDone) this.isolated.abort('shutdown', 'the worker is shutting down');
  }

  /** The grace after an abort is over and the isolated handler still runs: end its thread or process. */
  private terminateIsolated(): void {
    this.killTimer = null;
    if (this.handlerDone || !this.isolated) return;
    this.settleAborted();
    this.isolated.terminate();
  }

  private clearKillTimer(): void {
    if (this.killTimer) this.deps.clock.clearTimeout(this.killTimer);
    this.killTimer = null;
  }

  private fire(reason: AbortReason): void {
    this.abortReason = reason;
    this.controller?.abort(reason);
  }

  private handlerSettled(ok: boolean, value: unknown): void {
    this.handlerDone = true;
    if (this.settled) return;
    if (this.abortKind) {
      this.settleAborted();
      return;
    }
    if (ok) {
      const resultJson = this.serializeResult(value);
      if (typeof resultJson !== 'string' && resultJson !== null) {
        this.settle({ kind: 'fail', failure: toFailure(resultJson, this.job.attempt, new Date(this.deps.clock.now())) }, undefined);
        return;
      }
      this.settle({ kind: 'complete', resultJson }, value);
      return;
    }
    this.settle(this.decideFailure(value), undefined);
  }

  private settleAborted(): void {
    if (this.settled) return;
    // An isolated handler still running now is terminated right after: the reason says so.
    const killed = this.isolated && !this.handlerDone ? `its ${this.def.isolation} was terminated after the ${this.deps.cancelGraceMs} ms grace` : null;
    if (this.abortKind === 'cancel') {
      this.settle({ kind: 'cancel', reason: killed ? `${this.cancelReason}; ${killed}` : this.cancelReason }, undefined);
    } else if (this.abortKind === 'timeout') {
      this.settle(this.decideFailure(new JobTimeoutError(this.job.id, this.job.timeoutMs ?? 0, killed ?? undefined)), undefined);
    }
  }

  private decideFailure(error: unknown): AttemptOutcome {
    return decideNextState({
      attempt: this.job.attempt,
      maxAttempts: this.job.maxAttempts,
      error,
      policy: this.def.retry,
      now: new Date(this.deps.clock.now()),
    });
  }

  /** The result's JSON, null for undefined, or the error that makes it unstorable (the work is done: no retry). */
  private serializeResult(value: unknown): string | null | ValidationError {
    if (value === undefined) return null;
    let json: string | undefined;
    try {
      json = JSON.stringify(value);
      if (json !== undefined) checkJsonText('result', json); // depth, NUL, lone surrogates: what every store can read back
    } catch (error) {
      return new ValidationError('INVALID_DATA', 'result', `the handler's result cannot be stored as JSON: ${(error as Error).message}`);
    }
    if (json === undefined) return new ValidationError('INVALID_DATA', 'result', `the handler's result (${typeof value}) cannot be stored as JSON`);
    if (json.length > this.deps.maxResultBytes / 4) {
      const bytes = Buffer.byteLength(json, 'utf8');
      if (bytes > this.deps.maxResultBytes) {
        return new ValidationError('PAYLOAD_TOO_LARGE', 'result', `the handler's result is ${bytes} bytes; the limit is ${this.deps.maxResultBytes}`);
      }
    }
    return json;
  }

  private settle(outcome: AttemptOutcome | null, result: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.outcome = outcome;
    this.result = result;
    this.clearTimeoutTimer();
    if (this.graceTimer) this.deps.clock.clearTimeout(this.graceTimer);
    this.graceTimer = null;
    this.deps.onSettled(this, outcome, result);
  }

  private clearTimeoutTimer(): void {
    if (this.timeoutTimer) this.deps.clock.clearTimeout(this.timeoutTimer);
    this.timeoutTimer = null;
  }
}
