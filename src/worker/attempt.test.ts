import pino from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../core/clock.js';
import { AbortReason, PermanentError } from '../core/errors.js';
import type { ClaimedJob } from '../core/job.js';
import type { AttemptOutcome } from '../core/outcome.js';
import { resolveJobDefinition, type JobHandler } from '../jobs/job-definition.js';
import { Attempt } from './attempt.js';

const logger = pino({ enabled: false });

function claimed(over: Partial<ClaimedJob> = {}): ClaimedJob {
  const now = new Date(0);
  return {
    id: '1', name: 'j', queue: 'default', data: { x: 1 }, state: 'active', priority: 0, runAt: now, createdAt: now, startedAt: now, finishedAt: null,
    attempt: 1, maxAttempts: 3, timeoutMs: null, reserved: false, stalls: 0, leaseToken: 'tok', leaseExpiresAt: new Date(30_000), workerId: 'w', cancelRequested: false,
    progress: null, result: null, error: null, idempotencyKey: null, scheduleName: null, fireTime: null, ...over,
  };
}

function run(handler: JobHandler<unknown, unknown>, job = claimed(), retry = { backoff: { type: 'fixed' as const, delayMs: 1_000 }, jitter: 0 }) {
  const clock = new ManualClock(0);
  let settledOnce!: () => void;
  const settledPromise = new Promise<void>((r) => (settledOnce = r));
  const settled = vi.fn<(a: Attempt, o: AttemptOutcome | null, r: unknown) => void>(() => settledOnce());
  const onProgress = vi.fn();
  const def = resolveJobDefinition('j', { handler, retry });
  const attempt = new Attempt(job, def as never, { clock, logger, cancelGraceMs: 500, maxResultBytes: 1_000, onProgress, onSettled: settled });
  attempt.run();
  const outcome = async () => {
    await settledPromise;
    expect(settled).toHaveBeenCalledOnce();
    return settled.mock.calls[0]![1];
  };
  return { clock, attempt, outcome, settled, onProgress };
}

/** A handler that resolves `aborted` with the signal's reason and then never settles unless `settle` is true. */
function abortable(settle: boolean) {
  let reason!: (r: unknown) => void;
  const aborted = new Promise<unknown>((r) => (reason = r));
  const handler = (_: unknown, ctx: { signal: AbortSignal }) =>
    new Promise((_resolve, reject) => {
      ctx.signal.addEventListener('abort', () => {
        reason(ctx.signal.reason);
        if (settle) reject(ctx.signal.reason);
      });
    });
  return { handler, aborted };
}

describe('Attempt', () => {
  it('completes with the JSON of the handler result', async () => {
    const { outcome, settled } = run(async (data) => ({ got: data }));
    expect(await outcome()).toEqual({ kind: 'complete', resultJson: '{"got":{"x":1}}' });
    expect(settled.mock.calls[0]![2]).toEqual({ got: { x: 1 } });
  });

  it('completes with null for undefined, and fails for good on a result JSON cannot hold', async () => {
    expect(await run(async () => undefined).outcome()).toEqual({ kind: 'complete', resultJson: null });
    const bad = await run(async () => 10n).outcome();
    expect(bad).toMatchObject({ kind: 'fail', failure: { code: 'INVALID_DATA' } });
    const big = await run(async () => 'x'.repeat(2_000)).outcome();
    expect(big).toMatchObject({ kind: 'fail', failure: { code: 'PAYLOAD_TOO_LARGE' } });
  });

  it('retries a thrown error with backoff, fails a PermanentError, snoozes', async () => {
    expect(await run(() => Promise.reject(new Error('flaky'))).outcome()).toMatchObject({ kind: 'retry', delayMs: 1_000, failure: { message: 'flaky', attempt: 1 } });
    expect(await run(() => { throw new PermanentError('bad input'); }).outcome()).toMatchObject({ kind: 'fail', failure: { name: 'PermanentError' } });
    expect(await run((_, ctx) => ctx.snooze(250)).outcome()).toEqual({ kind: 'snooze', delayMs: 250 });
    expect(await run(() => Promise.reject(new Error('last')), claimed({ attempt: 3 })).outcome()).toMatchObject({ kind: 'fail' });
  });

  it('aborts on timeout with a timeout reason and records a retryable JOB_TIMEOUT failure', async () => {
    const { handler, aborted } = abortable(true);
    const { clock, outcome } = run(handler, claimed({ timeoutMs: 100 }));
    await clock.advance(99);
    let fired = false;
    void aborted.then(() => (fired = true));
    await clock.advance(0);
    expect(fired).toBe(false);
    await clock.advance(1);
    const reason = await aborted;
    expect(reason).toBeInstanceOf(AbortReason);
    expect(reason).toMatchObject({ kind: 'timeout' });
    expect(await outcome()).toMatchObject({ kind: 'retry', failure: { name: 'JobTimeoutError', code: 'JOB_TIMEOUT' } });
  });

  it('records the timeout after the grace when the handler ignores its signal', async () => {
    const { handler, aborted } = abortable(false);
    const { clock, outcome, settled } = run(handler, claimed({ timeoutMs: 100 }));
    await clock.advance(100);
    await aborted;
    await clock.advance(499);
    expect(settled).not.toHaveBeenCalled();
    await clock.advance(1);
    expect(await outcome()).toMatchObject({ kind: 'retry', failure: { code: 'JOB_TIMEOUT' } });
  });

  it('cancel aborts with a cancel reason; the outcome is cancel whatever the handler does', async () => {
    const { handler, aborted } = abortable(true);
    const { attempt, outcome } = run(handler);
    attempt.abort('cancel', 'operator said so');
    expect(await aborted).toMatchObject({ kind: 'cancel' });
    expect(await outcome()).toEqual({ kind: 'cancel', reason: 'operator said so' });
  });

  it('lease-lost settles at once with nothing to apply', async () => {
    const { handler, aborted } = abortable(false);
    const { attempt, outcome } = run(handler);
    attempt.abort('lease-lost', 'gone');
    expect(await aborted).toMatchObject({ kind: 'lease-lost' });
    expect(await outcome()).toBeNull();
  });

  it('shutdown releases the job, then fires the signal', async () => {
    const { handler, aborted } = abortable(true);
    const { attempt, outcome } = run(handler);
    attempt.releaseForShutdown();
    expect(await aborted).toMatchObject({ kind: 'shutdown' });
    expect(await outcome()).toEqual({ kind: 'release' });
  });

  it('passes progress through the context, validated', async () => {
    const { onProgress, outcome } = run(async (_, ctx) => {
      ctx.progress(1, 2, 'half');
      expect(() => ctx.progress(NaN)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    });
    await outcome();
    expect(onProgress).toHaveBeenCalledWith(expect.any(Attempt), { current: 1, total: 2, message: 'half' });
  });
});
