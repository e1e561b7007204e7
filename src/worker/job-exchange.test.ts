import { describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../core/clock.js';
import type { ClaimedJob } from '../core/job.js';
import type { LeasedTransition, TransitionResult } from '../core/outcome.js';
import type { ApplyAndClaimParams, ClaimParams, Store } from '../store/store.js';
import { JobExchange, type ExchangeHooks } from './job-exchange.js';

const t = (jobId: string): LeasedTransition => ({ jobId, leaseToken: 'tok', outcome: { kind: 'complete', resultJson: null } });
const claimParams: ClaimParams = { workerId: 'w', queues: [{ queue: 'q', limit: 5 }], names: ['j'], leaseMs: 1_000 };
const job = (id: string) => ({ id }) as ClaimedJob;
const tick = () => new Promise((r) => setImmediate(r));

function setup(store: Partial<Store>, claim: (withWrites: boolean) => ClaimParams | null = () => null) {
  const clock = new ManualClock();
  const written: Array<[string, TransitionResult]> = [];
  const started: Array<[string, TransitionResult]> = [];
  const claimed: ClaimedJob[][] = [];
  const hooks: ExchangeHooks<string> = {
    beforeWrite: vi.fn(async () => undefined),
    claim: vi.fn(claim),
    claimed: vi.fn((jobs: ClaimedJob[]) => void claimed.push(jobs)),
    claimFailed: vi.fn(),
    written: (tag, r) => void written.push([tag, r]),
    started: (tag, r) => void started.push([tag, r]),
    lost: vi.fn(),
    writeFailed: vi.fn(),
  };
  const exchange = new JobExchange<string>(store as Store, clock, 100, hooks);
  return { clock, hooks, exchange, written, started, claimed };
}

describe('JobExchange', () => {
  it('writes the outcomes of one tick with one call, after flushing progress', async () => {
    const applyTransitions = vi.fn(async ({ transitions }: { transitions: LeasedTransition[] }) => transitions.map((x) => (x.jobId === '2' ? 'lease_lost' : 'applied')) as TransitionResult[]);
    const { exchange, hooks, written } = setup({ applyTransitions });
    for (const id of ['1', '2', '3']) exchange.submit(t(id), `tag${id}`);
    await tick();
    await tick();
    expect(applyTransitions).toHaveBeenCalledOnce();
    expect(hooks.beforeWrite).toHaveBeenCalledOnce();
    expect(written).toEqual([['tag1', 'applied'], ['tag2', 'lease_lost'], ['tag3', 'applied']]);
  });

  it('writes and claims in ONE applyAndClaim call when both are due', async () => {
    const applyAndClaim = vi.fn(async (p: ApplyAndClaimParams) => ({ results: p.transitions.map(() => 'applied' as const), jobs: [job('7')] }));
    const applyTransitions = vi.fn();
    const claimJobs = vi.fn();
    const { exchange, hooks, written, claimed } = setup({ applyAndClaim, applyTransitions, claimJobs }, () => claimParams);
    exchange.submit(t('1'), 'a');
    await tick();
    await tick();
    expect(applyAndClaim).toHaveBeenCalledExactlyOnceWith({ transitions: [t('1')], claim: claimParams });
    expect(applyTransitions).not.toHaveBeenCalled();
    expect(claimJobs).not.toHaveBeenCalled();
    expect(hooks.claim).toHaveBeenCalledWith(true);
    expect(written).toEqual([['a', 'applied']]);
    expect(claimed).toEqual([[job('7')]]);
  });

  it('a claim alone is claimJobs; writes alone are applyTransitions', async () => {
    const calls: string[] = [];
    const applyTransitions = vi.fn(async () => (calls.push('apply'), ['applied' as const]));
    const claimJobs = vi.fn(async () => (calls.push('claim'), [job('8')]));
    let wantClaim = false;
    const { exchange, claimed } = setup({ applyTransitions, claimJobs }, () => (wantClaim ? claimParams : null));
    exchange.submit(t('1'), 'a');
    await tick();
    await tick();
    expect(calls).toEqual(['apply']);
    wantClaim = true;
    exchange.request();
    await tick();
    await tick();
    expect(calls).toEqual(['apply', 'claim']);
    expect(claimed).toHaveLength(1);
  });

  it('writes a start with the next round, dated back by the time since the handler started', async () => {
    const applyTransitions = vi.fn(async ({ transitions }: { transitions: LeasedTransition[] }) => transitions.map(() => 'applied' as const));
    const { exchange, clock, started } = setup({ applyTransitions });
    exchange.submitStart('5', 'tok5', clock.now(), 's5');
    await clock.advance(7);
    await tick();
    await tick();
    expect(applyTransitions).toHaveBeenCalledExactlyOnceWith({ transitions: [{ jobId: '5', leaseToken: 'tok5', outcome: null, startedAgoMs: 7 }] });
    expect(started).toEqual([['s5', 'applied']]);
  });

  it("an outcome decided before its start was written carries the start: one write, outcomes before starts", async () => {
    const applyTransitions = vi.fn(async ({ transitions }: { transitions: LeasedTransition[] }) => transitions.map(() => 'applied' as const));
    const { exchange, clock, written, started } = setup({ applyTransitions });
    const t0 = clock.now();
    exchange.submitStart('1', 'tok', t0, 'start1');
    exchange.submitStart('2', 'tok', t0, 'start2');
    exchange.submit(t('1'), 'end1', t0);
    await clock.advance(3);
    await tick();
    await tick();
    expect(applyTransitions).toHaveBeenCalledExactlyOnceWith({
      transitions: [
        { ...t('1'), startedAgoMs: 3 },
        { jobId: '2', leaseToken: 'tok', outcome: null, startedAgoMs: 3 },
      ],
    });
    expect(written).toEqual([['end1', 'applied']]);
    expect(started).toEqual([['start2', 'applied']]);
  });

  it('a start waits while an earlier outcome is in another round in flight (the store never shows more running than run)', async () => {
    const rounds: Array<{ transitions: LeasedTransition[]; finish: () => void }> = [];
    const applyTransitions = vi.fn(
      ({ transitions }: { transitions: LeasedTransition[] }) =>
        new Promise<TransitionResult[]>((resolve) => rounds.push({ transitions, finish: () => resolve(transitions.map(() => 'applied')) })),
    );
    const { exchange, clock } = setup({ applyTransitions });
    // Two lanes: pretend the store waits on I/O.
    (exchange as unknown as { blockingShare: number }).blockingShare = 0;
    exchange.submit(t('1'), 'end1', clock.now());
    await tick();
    expect(rounds).toHaveLength(1);
    // The slot job 1 freed is taken by job 2: its start must not overtake job 1's outcome.
    exchange.submitStart('2', 'tok', clock.now(), 'start2');
    await tick();
    await tick();
    expect(rounds).toHaveLength(1);
    rounds[0]!.finish();
    await tick();
    await tick();
    await tick();
    expect(rounds).toHaveLength(2);
    expect(rounds[1]!.transitions.map((x) => [x.jobId, x.outcome])).toEqual([['2', null]]);
    rounds[1]!.finish();
  });

  it('nothing to write and nothing to claim: no store call', async () => {
    const claimJobs = vi.fn();
    const { exchange, hooks } = setup({ claimJobs });
    exchange.request();
    await tick();
    expect(hooks.claim).toHaveBeenCalledWith(false);
    expect(claimJobs).not.toHaveBeenCalled();
  });

  it('a failed write is kept and retried after retryMs; a failed combined call reports its claim failed once', async () => {
    const applyAndClaim = vi.fn<NonNullable<Store['applyAndClaim']>>().mockRejectedValueOnce(new Error('busy')).mockResolvedValue({ results: ['applied'], jobs: [] });
    const applyTransitions = vi.fn(async () => ['applied' as const]);
    // One claim only: the retry round then writes alone.
    let claims = 1;
    const { exchange, hooks, clock, written } = setup({ applyAndClaim, applyTransitions }, () => (claims-- > 0 ? claimParams : null));
    exchange.submit(t('1'), 'a');
    await tick();
    await tick();
    expect(hooks.claimFailed).toHaveBeenCalledExactlyOnceWith(new Error('busy'), claimParams, 'applyAndClaim');
    expect(hooks.writeFailed).not.toHaveBeenCalled();
    expect(written).toEqual([]);
    await clock.advance(100);
    await tick();
    await tick();
    expect(written).toEqual([['a', 'applied']]);
    expect(applyTransitions).toHaveBeenCalledOnce();
  });

  it('close() waits for the round in flight, writes what is pending once, and reports what could not be written', async () => {
    const applyTransitions = vi.fn<Store['applyTransitions']>().mockRejectedValue(new Error('down'));
    const { exchange, hooks } = setup({ applyTransitions });
    exchange.submit(t('1'), 'a');
    await exchange.close();
    expect(hooks.lost).toHaveBeenCalledExactlyOnceWith(['a'], new Error('down'));
    expect(applyTransitions).toHaveBeenCalledOnce();
  });

  it('one round in flight for a store that blocks this thread, two for one that waits on I/O', async () => {
    const busyWait = (ms: number) => {
      const end = performance.now() + ms;
      while (performance.now() < end);
    };
    const blocking = setup({
      claimJobs: async () => {
        busyWait(2);
        return [];
      },
    }, () => claimParams);
    blocking.exchange.request();
    await tick();
    await tick();
    expect(blocking.exchange.lanes).toBe(1);
    const io = setup({ claimJobs: () => new Promise((r) => setTimeout(() => r([]), 5)) }, () => claimParams);
    io.exchange.request();
    await new Promise((r) => setTimeout(r, 20));
    expect(io.exchange.lanes).toBe(2);
  });
});
