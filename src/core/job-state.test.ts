import { describe, expect, it } from 'vitest';
import { InvalidTransitionError } from './errors.js';
import { JOB_STATES } from './job.js';
import { assertTransition, canTransition, CANCELLABLE_STATES, TRANSITIONS } from './job-state.js';
import { outcomeRefundsAttempt, outcomeState, type AttemptOutcome } from './outcome.js';

describe('the transition table', () => {
  it('covers every state', () => {
    expect(Object.keys(TRANSITIONS).sort()).toEqual([...JOB_STATES].sort());
  });

  it('lets no finished job go anywhere but back to waiting', () => {
    for (const s of ['completed', 'failed', 'cancelled'] as const) expect(TRANSITIONS[s]).toEqual(['waiting']);
  });

  it('rejects an edge it lacks with a typed error', () => {
    expect(canTransition('waiting', 'completed')).toBe(false);
    expect(() => assertTransition('waiting', 'completed', '7')).toThrow(InvalidTransitionError);
    try {
      assertTransition('completed', 'active');
    } catch (e) {
      expect((e as InvalidTransitionError).code).toBe('INVALID_TRANSITION');
    }
  });

  it('cancels only unfinished jobs', () => {
    expect([...CANCELLABLE_STATES].sort()).toEqual(['active', 'delayed', 'waiting']);
  });

  it('maps every outcome of an active job to an allowed edge', () => {
    const failure = { message: 'x', name: 'Error', code: null, stack: null, attempt: 1, at: new Date() };
    const outcomes: AttemptOutcome[] = [
      { kind: 'complete', resultJson: null },
      { kind: 'retry', delayMs: 0, failure },
      { kind: 'retry', delayMs: 10, failure },
      { kind: 'fail', failure },
      { kind: 'snooze', delayMs: 10 },
      { kind: 'release' },
      { kind: 'cancel', reason: 'asked' },
    ];
    expect(outcomes.map(outcomeState)).toEqual(['completed', 'waiting', 'delayed', 'failed', 'delayed', 'waiting', 'cancelled']);
    for (const o of outcomes) expect(canTransition('active', outcomeState(o))).toBe(true);
    expect(outcomes.filter(outcomeRefundsAttempt).map((o) => o.kind)).toEqual(['snooze', 'release']);
  });
});
