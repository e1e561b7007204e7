import { describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../core/clock.js';
import type { Store } from '../store/store.js';
import { ProgressBuffer } from './progress-buffer.js';

function setup(saveProgress: Store['saveProgress'] = vi.fn(async () => [])) {
  const clock = new ManualClock();
  const hooks = { onSaved: vi.fn(), onLost: vi.fn(), onError: vi.fn() };
  const store = { saveProgress } as unknown as Store;
  return { clock, hooks, store, buffer: new ProgressBuffer(store, clock, 250, hooks) };
}

const entry = (jobId: string, current: number) => ({ jobId, leaseToken: `t${jobId}`, progress: { current, total: 100, message: null } });

describe('ProgressBuffer', () => {
  it('writes the latest value per job once per flush interval', async () => {
    const { clock, store, buffer, hooks } = setup();
    for (let i = 1; i <= 100; i++) buffer.record(entry('1', i));
    buffer.record(entry('2', 7));
    await clock.advance(249);
    expect(store.saveProgress).not.toHaveBeenCalled();
    await clock.advance(1);
    expect(store.saveProgress).toHaveBeenCalledOnce();
    expect(store.saveProgress).toHaveBeenCalledWith({ updates: [entry('1', 100), entry('2', 7)] });
    expect(hooks.onSaved).toHaveBeenCalledWith([entry('1', 100), entry('2', 7)]);
    buffer.record(entry('1', 101));
    await clock.advance(250);
    expect(store.saveProgress).toHaveBeenCalledTimes(2);
  });

  it('flush() writes at once; forget() drops a job', async () => {
    const { store, buffer } = setup();
    buffer.record(entry('1', 1));
    buffer.record(entry('2', 2));
    buffer.forget('2');
    await buffer.flush();
    expect(store.saveProgress).toHaveBeenCalledWith({ updates: [entry('1', 1)] });
    expect(buffer.hasPending()).toBe(false);
  });

  it('reports jobs whose lease was lost, and store errors', async () => {
    const saves = vi.fn<Store['saveProgress']>().mockResolvedValueOnce(['1']).mockRejectedValueOnce(new Error('disk'));
    const { buffer, hooks } = setup(saves);
    buffer.record(entry('1', 1));
    buffer.record(entry('2', 1));
    await buffer.flush();
    expect(hooks.onLost).toHaveBeenCalledWith(['1']);
    expect(hooks.onSaved).toHaveBeenCalledWith([entry('2', 1)]);
    buffer.record(entry('2', 2));
    await buffer.flush();
    expect(hooks.onError).toHaveBeenCalledWith(new Error('disk'));
  });
});
