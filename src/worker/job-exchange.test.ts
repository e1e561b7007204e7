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
  const claimed: ClaimedJob[][] = [];
  const hooks: ExchangeHooks<string> = {
    beforeWrite: vi.fn(async () => undefined),
    claim: vi.fn(claim),
    claimed: vi.fn((jobs: ClaimedJob[]) => void claimed.push(jobs)),
    claimFailed: vi.fn(),
    written: (tag, r) => void written.push([tag, r]),
    lost: vi.fn(),
    writeFailed: vi.fn(),
  };
  const exchange = new JobExchange<string>(store as Store, clock, 100, hooks);
  return { clock, hooks, exchange, written, claimed };
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

  it('falls back to applyTransitions then claimJobs for a store without applyAndClaim; a claim alone is claimJobs', async () => {
    const calls: string[] = [];
    const applyTransitions = vi.fn(async () => (calls.push('apply'), ['applied' as const]));
    const claimJobs = vi.fn(async () => (calls.push('claim'), [job('8')]));
    const { exchange, claimed } = setup({ applyTransitions, claimJobs }, () => claimParams);
    exchange.submit(t('1'), 'a');
    await tick();
    await tick();
    expect(calls).toEqual(['apply', 'claim']);
    exchange.request();
    await tick();
    await tick();
    expect(calls).toEqual(['apply', 'claim', 'claim']);
    expect(claimed).toHaveLength(2);
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
