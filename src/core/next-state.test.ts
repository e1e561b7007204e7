import { describe, expect, it } from 'vitest';
import { PermanentError, SnoozeSignal } from './errors.js';
import { backoffDelay, decideNextState, DEFAULT_RETRY_POLICY, toFailure, type RetryPolicy } from './next-state.js';

const now = new Date('2026-03-01T00:00:00Z');
const noJitter = (backoff: RetryPolicy['backoff'], maxDelayMs = 1e9): RetryPolicy => ({ backoff, jitter: 0, maxDelayMs });

describe('decideNextState', () => {
  it('retries with backoff while attempts remain', () => {
    const out = decideNextState({ attempt: 1, maxAttempts: 3, error: new Error('boom'), policy: noJitter({ type: 'fixed', delayMs: 500 }), now });
    expect(out).toMatchObject({ kind: 'retry', delayMs: 500, failure: { message: 'boom', attempt: 1, name: 'Error' } });
  });

  it('fails when the last attempt fails', () => {
    const out = decideNextState({ attempt: 3, maxAttempts: 3, error: new Error('boom'), policy: DEFAULT_RETRY_POLICY, now });
    expect(out.kind).toBe('fail');
  });

  it('fails at once on a PermanentError, attempts left or not', () => {
    const out = decideNextState({ attempt: 1, maxAttempts: 10, error: new PermanentError('bad input'), policy: DEFAULT_RETRY_POLICY, now });
    expect(out).toMatchObject({ kind: 'fail', failure: { name: 'PermanentError', message: 'bad input' } });
  });

  it('recognises outcomes thrown by a second copy of docket (by brand, not class identity)', () => {
    const foreignPermanent = Object.assign(new Error('no'), { [Symbol.for('docket.PermanentError')]: true });
    const foreignSnooze = Object.assign(new Error('later'), { [Symbol.for('docket.SnoozeSignal')]: true, delayMs: 250 });
    expect(decideNextState({ attempt: 1, maxAttempts: 5, error: foreignPermanent, policy: DEFAULT_RETRY_POLICY, now }).kind).toBe('fail');
    expect(decideNextState({ attempt: 1, maxAttempts: 5, error: foreignSnooze, policy: DEFAULT_RETRY_POLICY, now })).toEqual({ kind: 'snooze', delayMs: 250 });
  });

  it('snoozes without judging attempts', () => {
    const out = decideNextState({ attempt: 3, maxAttempts: 3, error: new SnoozeSignal(2_000), policy: DEFAULT_RETRY_POLICY, now });
    expect(out).toEqual({ kind: 'snooze', delayMs: 2_000 });
  });

  it('keeps a string code from the error', () => {
    const err = Object.assign(new Error('x'), { code: 'ECONNRESET' });
    expect(toFailure(err, 2, now)).toMatchObject({ code: 'ECONNRESET', attempt: 2 });
    expect(toFailure({ weird: true }, 1, now)).toMatchObject({ name: 'NonError', message: '{"weird":true}' });
  });
});

describe('backoffDelay', () => {
  const r = () => 0.5; // the middle of the jitter range
  it('grows exponentially by the factor', () => {
    const p = noJitter({ type: 'exponential', delayMs: 100, factor: 3 });
    expect([1, 2, 3, 4].map((a) => backoffDelay(a, null, p, r))).toEqual([100, 300, 900, 2700]);
  });

  it('caps at maxDelayMs', () => {
    const p = noJitter({ type: 'exponential', delayMs: 1_000 }, 5_000);
    expect(backoffDelay(10, null, p, r)).toBe(5_000);
  });

  it('spreads by the jitter fraction around the delay', () => {
    const p: RetryPolicy = { backoff: { type: 'fixed', delayMs: 1_000 }, jitter: 0.2, maxDelayMs: 1e9 };
    expect(backoffDelay(1, null, p, () => 0)).toBe(800);
    expect(backoffDelay(1, null, p, () => 0.999999)).toBe(1_200);
  });

  it('calls a custom function with the attempt and the error, and clamps bad results to 0', () => {
    const seen: unknown[] = [];
    const p = noJitter((attempt, error) => {
      seen.push([attempt, error]);
      return attempt === 1 ? 42 : -5;
    });
    expect(backoffDelay(1, 'e', p, r)).toBe(42);
    expect(backoffDelay(2, 'e', p, r)).toBe(0);
    expect(seen).toEqual([[1, 'e'], [2, 'e']]);
  });
});
