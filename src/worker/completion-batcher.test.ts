import { describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../core/clock.js';
import type { LeasedTransition } from '../core/outcome.js';
import type { Store } from '../store/store.js';
import { CompletionBatcher } from './completion-batcher.js';

const t = (jobId: string): LeasedTransition => ({ jobId, leaseToken: 'tok', outcome: { kind: 'complete', resultJson: null } });

function setup(applyTransitions: Store['applyTransitions']) {
  const clock = new ManualClock();
  const hooks = { beforeFlush: vi.fn(async () => undefined), onError: vi.fn() };
  const batcher = new CompletionBatcher({ applyTransitions } as unknown as Store, clock, 100, hooks);
  return { clock, hooks, batcher };
}

describe('CompletionBatcher', () => {
  it('applies outcomes submitted in the same tick with one call, after flushing progress', async () => {
    const apply = vi.fn(async ({ transitions }: { transitions: LeasedTransition[] }) => transitions.map((x) => (x.jobId === '2' ? 'lease_lost' : 'applied')) as never);
    const { batcher, hooks } = setup(apply);
    const results = await Promise.all(['1', '2', '3'].map((id) => batcher.submit(t(id))));
    expect(results).toEqual(['applied', 'lease_lost', 'applied']);
    expect(apply).toHaveBeenCalledOnce();
    expect(hooks.beforeFlush).toHaveBeenCalledOnce();
  });

  it('retries after a store error, after retryMs', async () => {
    const apply = vi.fn<Store['applyTransitions']>().mockRejectedValueOnce(new Error('busy')).mockResolvedValue(['applied']);
    const { batcher, hooks, clock } = setup(apply);
    const result = batcher.submit(t('1'));
    await new Promise((r) => setImmediate(r));
    expect(hooks.onError).toHaveBeenCalledWith(new Error('busy'));
    expect(apply).toHaveBeenCalledTimes(1);
    await clock.advance(100);
    await expect(result).resolves.toBe('applied');
    expect(apply).toHaveBeenCalledTimes(2);
  });

  it('close() applies what is pending once and refuses new outcomes', async () => {
    const apply = vi.fn<Store['applyTransitions']>().mockRejectedValue(new Error('down'));
    const { batcher } = setup(apply);
    const pending = batcher.submit(t('1'));
    await batcher.close();
    await expect(pending).rejects.toThrow('down');
    await expect(batcher.submit(t('2'))).rejects.toMatchObject({ code: 'STORE_CLOSED' });
  });
});
