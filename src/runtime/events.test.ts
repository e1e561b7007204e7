import { describe, expect, it, vi } from 'vitest';
import { DocketEventEmitter } from './events.js';

const started = { jobId: '1', name: 'n', queue: 'q', attempt: 1, workerId: 'w', waitMs: 0 };

describe('DocketEventEmitter', () => {
  it('delivers typed events to listeners until they are removed', () => {
    const events = new DocketEventEmitter();
    const seen: string[] = [];
    const off = events.on('job:started', (e) => seen.push(e.jobId));
    events.emit('job:started', started);
    off();
    events.emit('job:started', { ...started, jobId: '2' });
    expect(seen).toEqual(['1']);
    expect(events.has('job:started')).toBe(false);
  });

  it('once listens for one event only', () => {
    const events = new DocketEventEmitter();
    const fn = vi.fn();
    events.once('worker:stopped', fn);
    events.emit('worker:stopped', { workerId: 'a' });
    events.emit('worker:stopped', { workerId: 'b' });
    expect(fn).toHaveBeenCalledTimes(1);
    expect(fn).toHaveBeenCalledWith({ workerId: 'a' });
  });

  it('a listener that throws is logged and does not stop the others', () => {
    const error = vi.fn();
    const events = new DocketEventEmitter({ error } as never);
    const second = vi.fn();
    events.on('job:started', () => {
      throw new Error('boom');
    });
    events.on('job:started', second);
    expect(() => events.emit('job:started', started)).not.toThrow();
    expect(second).toHaveBeenCalledOnce();
    expect(error).toHaveBeenCalledOnce();
  });
});
