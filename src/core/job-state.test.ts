import { describe, expect, it } from 'vitest';
import { InvalidTransitionError } from './errors.js';
import { JOB_STATES } from './job.js';
import {
  assertTransition,
  CANCELLABLE_STATES,
  canTransition,
  decideRescue,
  OPERATIONS,
  publicState,
  STORED_STATES,
  storedStatesOf,
  TRANSITIONS,
  type OperationName,
} from './job-state.js';
import { attemptDelta, outcomeRefundsAttempt, outcomeState, transitionOperation, type AttemptOutcome, type LeasedTransition } from './outcome.js';

const edge = (from: string, to: string): string => `${from} -> ${to}`;

describe('the transition table', () => {
  it('covers every stored state: the public ones and reserved', () => {
    expect(Object.keys(TRANSITIONS).sort()).toEqual([...JOB_STATES, 'reserved'].sort());
  });

  it('is exactly the edges the operations produce: none missing, none extra', () => {
    const table = new Set(STORED_STATES.flatMap((from) => TRANSITIONS[from].map((to) => edge(from, to))));
    const produced = new Set(
      (Object.keys(OPERATIONS) as OperationName[]).flatMap((op) => OPERATIONS[op].from.flatMap((from) => OPERATIONS[op].to.map((to) => edge(from, to)))),
    );
    expect([...produced].filter((e) => !table.has(e))).toEqual([]);
    expect([...table].filter((e) => !produced.has(e))).toEqual([]);
  });

  it('lets no finished job go anywhere but back to waiting', () => {
    for (const s of ['completed', 'failed', 'cancelled'] as const) expect(TRANSITIONS[s]).toEqual(['waiting']);
  });

  it('starts a handler only from reserved, and makes nothing active otherwise', () => {
    const intoActive = STORED_STATES.filter((s) => TRANSITIONS[s].includes('active'));
    expect(intoActive).toEqual(['reserved']);
  });

  it('rejects an edge it lacks with a typed error', () => {
    expect(canTransition('waiting', 'completed')).toBe(false);
    expect(canTransition('waiting', 'active')).toBe(false);
    expect(() => assertTransition('waiting', 'completed', '7')).toThrow(InvalidTransitionError);
    try {
      assertTransition('completed', 'active');
    } catch (e) {
      expect((e as InvalidTransitionError).code).toBe('INVALID_TRANSITION');
    }
  });

  it('cancels at once only jobs not running', () => {
    expect([...CANCELLABLE_STATES].sort()).toEqual(['delayed', 'waiting']);
  });

  it('shows a reserved job as waiting, and waiting covers reserved', () => {
    expect(publicState('reserved')).toBe('waiting');
    expect(publicState('active')).toBe('active');
    expect(storedStatesOf('waiting')).toEqual(['waiting', 'reserved']);
    expect(storedStatesOf('active')).toEqual(['active']);
  });
});

describe('outcomes and leased writes', () => {
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

  it('maps every outcome to an edge of its operation', () => {
    expect(outcomes.map(outcomeState)).toEqual(['completed', 'waiting', 'delayed', 'failed', 'delayed', 'waiting', 'cancelled']);
    for (const o of outcomes) {
      for (const from of OPERATIONS.end.from) expect(canTransition(from, outcomeState(o))).toBe(true);
    }
    expect(outcomes.filter(outcomeRefundsAttempt).map((o) => o.kind)).toEqual(['snooze', 'release']);
  });

  it('tells a start from an end', () => {
    const t = (outcome: AttemptOutcome | null, startedAgoMs?: number): LeasedTransition => ({ jobId: '1', leaseToken: 't', outcome, ...(startedAgoMs === undefined ? {} : { startedAgoMs }) });
    expect(transitionOperation(t(null, 3))).toBe('start');
    expect(transitionOperation(t({ kind: 'complete', resultJson: null }))).toBe('end');
    expect(transitionOperation(t({ kind: 'release' }))).toBe('end');
  });

  it('counts an attempt once, whether its start is written alone or with its end', () => {
    const t = (outcome: AttemptOutcome | null, startedAgoMs?: number): LeasedTransition => ({ jobId: '1', leaseToken: 't', outcome, startedAgoMs });
    // start, then complete: +1, then 0
    expect(attemptDelta(t(null, 0), 'reserved') + attemptDelta(t({ kind: 'complete', resultJson: null }, 0), 'active')).toBe(1);
    // start and complete together
    expect(attemptDelta(t({ kind: 'complete', resultJson: null }, 0), 'reserved')).toBe(1);
    // snoozed or released after starting: given back
    expect(attemptDelta(t({ kind: 'snooze', delayMs: 5 }, 0), 'reserved')).toBe(0);
    expect(attemptDelta(t({ kind: 'release' }, 0), 'active')).toBe(-1);
    // never started: nothing
    expect(attemptDelta({ jobId: '1', leaseToken: 't', outcome: { kind: 'release' } }, 'reserved')).toBe(0);
    expect(attemptDelta({ jobId: '1', leaseToken: 't', outcome: { kind: 'cancel', reason: 'r' } }, 'reserved')).toBe(0);
    // released while active (its start written earlier): given back
    expect(attemptDelta({ jobId: '1', leaseToken: 't', outcome: { kind: 'release' } }, 'active')).toBe(-1);
  });
});

describe('decideRescue', () => {
  const now = new Date(Date.UTC(2026, 0, 1));
  it('unreserves a reserved job: no stall, no attempt', () => {
    expect(decideRescue({ state: 'reserved', stalls: 2, attempt: 1, workerId: 'w', cancelRequested: false }, 0, now)).toEqual({ op: 'unreserve', to: 'waiting' });
    expect(decideRescue({ state: 'reserved', stalls: 0, attempt: 0, workerId: 'w', cancelRequested: true }, 0, now)).toEqual({ op: 'unreserve', to: 'cancelled' });
  });
  it('requeues an active job counting a stall, fails it past maxStalls, cancels it when asked', () => {
    const job = { state: 'active' as const, stalls: 0, attempt: 1, workerId: 'w', cancelRequested: false };
    expect(decideRescue(job, 1, now)).toMatchObject({ op: 'rescue', to: 'waiting', stalls: 1, failure: { code: 'LEASE_EXPIRED', attempt: 1 } });
    expect(decideRescue({ ...job, stalls: 1 }, 1, now)).toMatchObject({ op: 'rescue', to: 'failed', stalls: 2, failure: { code: 'STALLED' } });
    expect(decideRescue({ ...job, cancelRequested: true }, 1, now)).toEqual({ op: 'rescue', to: 'cancelled', stalls: 1 });
  });
  it('produces only edges of the rescue operations', () => {
    for (const to of ['waiting', 'failed', 'cancelled'] as const) expect(OPERATIONS.rescue.to).toContain(to);
    expect(OPERATIONS.unreserve.to).toEqual(['waiting', 'cancelled']);
  });
});
