/**
 * `enqueue --wait` shows the job's progress while it runs (issue 12): a
 * redrawn bar on a terminal, one line per change when stderr is not a
 * terminal, one JSON event per change with --json. Driven by hand here
 * (each `show` is one store read); test/cli/enqueue-wait.test.ts runs it.
 */
import { describe, expect, it } from 'vitest';
import type { JobState } from '../core/job.js';
import { createJobView, jobViewMode, renderBar, watchJob, type WatchedJob } from './job-progress.js';
import { captureStream } from './test-support/run-cli.js';

const at = new Date('2026-03-08T14:00:00Z');
const job = (state: JobState, current?: number, total?: number | null, message?: string | null): WatchedJob => ({
  id: '42',
  state,
  attempt: state === 'waiting' ? 0 : 1,
  progress: current === undefined ? null : { current, total: total ?? null, message: message ?? null, updatedAt: at },
});

describe('jobViewMode', () => {
  it('--json -> json; a terminal -> bar; else lines', () => {
    expect(jobViewMode({ stdout: captureStream(), stderr: captureStream({ isTTY: true }) }, true)).toBe('json');
    expect(jobViewMode({ stdout: captureStream(), stderr: captureStream({ isTTY: true }) }, false)).toBe('bar');
    expect(jobViewMode({ stdout: captureStream(), stderr: captureStream() }, false)).toBe('lines');
  });
});

describe('renderBar', () => {
  it('a bar with percent, count and message; a count alone without a total', () => {
    expect(renderBar(job('active', 3, 10, 'resizing images'), 80)).toBe('job 42 active [######--------------]  30% 3/10 resizing images');
    expect(renderBar(job('active', 17, null, 'rows'), 80)).toBe('job 42 active 17 rows');
    expect(renderBar(job('waiting'), 80)).toBe('job 42 waiting for a worker…');
    expect(renderBar(job('delayed'), 80)).toBe('job 42 delayed (runs later)…');
    expect(renderBar(job('active', 10, 10), 80)).toBe('job 42 active [####################] 100% 10/10');
  });

  it('is cut to the terminal width so a redraw never wraps', () => {
    const line = renderBar(job('active', 1, 2, 'x'.repeat(200)), 60);
    expect(line).toHaveLength(60);
    expect(line.endsWith('…')).toBe(true);
  });

  it('keeps a total of 0 or progress past the total inside 0-100 %', () => {
    expect(renderBar(job('active', 0, 0), 80)).toContain('  0%');
    expect(renderBar(job('active', 12, 10), 80)).toContain('100%');
  });
});

describe('createJobView', () => {
  it('bar: redraws one line in place (carriage return, clear line) and ends it with a newline', () => {
    const stderr = captureStream({ isTTY: true });
    const view = createJobView({ stdout: captureStream(), stderr }, 'bar');
    view.show(job('waiting'));
    view.show(job('active', 3, 10, 'resizing'));
    view.show(job('active', 3, 10, 'resizing')); // unchanged: nothing written
    view.show(job('active', 7, 10, 'resizing'));
    view.end();
    const frames = stderr.text().split('\r\x1b[2K');
    expect(frames.slice(1)).toEqual(['job 42 waiting for a worker…', 'job 42 active [######--------------]  30% 3/10 resizing', 'job 42 active [##############------]  70% 7/10 resizing\n']);
  });

  it('lines: one line per change, nothing for a repeat', () => {
    const stderr = captureStream();
    const view = createJobView({ stdout: captureStream(), stderr }, 'lines');
    view.show(job('waiting'));
    view.show(job('active'));
    view.show(job('active', 3, 10, 'resizing'));
    view.show(job('active', 3, 10, 'resizing'));
    view.show(job('completed', 10, 10, 'done'));
    view.end();
    expect(stderr.text()).toBe(['job 42: waiting', 'job 42: active (attempt 1)', 'job 42: active (attempt 1) 3/10 30% resizing', 'job 42: completed (attempt 1) 10/10 100% done', ''].join('\n'));
  });

  it('json: one event object per line per change', () => {
    const stderr = captureStream();
    const view = createJobView({ stdout: captureStream(), stderr }, 'json');
    view.show(job('active', 3, 10, 'resizing'));
    view.show(job('active', 3, 10, 'resizing'));
    view.show(job('active', 4, 10, 'resizing'));
    view.end();
    const events = stderr.text().trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(events).toEqual([
      { event: 'progress', id: '42', state: 'active', attempt: 1, progress: { current: 3, total: 10, message: 'resizing', updatedAt: at.toISOString() } },
      { event: 'progress', id: '42', state: 'active', attempt: 1, progress: { current: 4, total: 10, message: 'resizing', updatedAt: at.toISOString() } },
    ]);
  });
});

describe('watchJob', () => {
  it('reads until stopped, shows each read, and stop() waits for a read in flight', async () => {
    const seen: WatchedJob[] = [];
    let reads = 0;
    let reachedThird!: () => void;
    const third = new Promise<void>((resolve) => (reachedThird = resolve));
    const watch = watchJob({
      read: async () => {
        reads++;
        if (reads === 3) reachedThird();
        return job('active', reads, 10);
      },
      show: (j) => seen.push(j),
      intervalMs: 1,
    });
    await third;
    await watch.stop();
    const after = reads;
    await new Promise((r) => setImmediate(r));
    expect(reads).toBe(after);
    expect(seen.map((j) => j.progress?.current)).toEqual(Array.from({ length: seen.length }, (_, i) => i + 1));
    expect(seen.length).toBeGreaterThanOrEqual(2);
  });

  it('a failed read is skipped, not fatal (the wait itself reports store errors)', async () => {
    let reads = 0;
    let shown!: (job: WatchedJob) => void;
    const first = new Promise<WatchedJob>((resolve) => (shown = resolve));
    const watch = watchJob({
      read: async () => {
        if (++reads === 1) throw new Error('store hiccup');
        return job('active', 1, 2);
      },
      show: (j) => shown(j),
      intervalMs: 1,
    });
    expect((await first).progress?.current).toBe(1);
    await watch.stop();
    expect(reads).toBeGreaterThanOrEqual(2);
  });
});
