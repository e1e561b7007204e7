import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../core/clock.js';
import { AbortReason, JobTimeoutError, ValidationError } from '../core/errors.js';
import type { ClaimedJob } from '../core/job.js';
import { decideNextState, toFailure } from '../core/next-state.js';
import type { AttemptOutcome } from '../core/outcome.js';
import { checkJsonText } from '../core/validate.js';
import type { JobDefinition } from '../jobs/job-definition.js';
import { validateWithSchema } from '../jobs/standard-schema.js';
import { createJobContext, type JobContext, type ProgressInput } from './job-context.js';

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
  /**
   * Made on first use: most handlers of a busy worker never look at their
   * signal, and an AbortController costs more than the rest of an attempt.
   */
  private controller: AbortController | null = null;
  private abortReason: AbortReason | null = null;
  private timeoutTimer: TimerHandle | null = null;
  private graceTimer: TimerHandle | null = null;
  private cancelReason = 'cancelled';

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
    void this.execute(def, createJobContext(job, this, deps.logger));
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
    if (this.abortKind === 'cancel') {
      this.settle({ kind: 'cancel', reason: this.cancelReason }, undefined);
    } else if (this.abortKind === 'timeout') {
      this.settle(this.decideFailure(new JobTimeoutError(this.job.id, this.job.timeoutMs ?? 0)), undefined);
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
