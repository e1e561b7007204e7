/**
 * What `enqueue --wait` shows while the job runs. The job may run in any
 * process, so its progress is read from the store (`watchJob`, every 250 ms
 * by default: progress writes are coalesced to about that anyway) and shown
 * on stderr, so stdout still carries only the result:
 *
 * - `bar`  (stderr is a terminal, no --json): one line redrawn in place, with
 *   a bar, percent, count and the job's progress message, cut to the width;
 * - `lines` (stderr is not a terminal: logs, CI): one line per change;
 * - `json` (--json): one JSON event object per line per change, on stderr
 *   beside the errors, so stdout stays one JSON document.
 *
 * Drawn by hand rather than with cli-progress (used for bulk enqueue): its
 * timer-driven redraw ties output to the wall clock, and a job's bar needs a
 * free-text message and a state that cli-progress's format does not model.
 */
import type { JobProgress, JobRecord } from '../core/job.js';
import { clip, formatProgress, type Io } from './output.js';

export type JobViewMode = 'bar' | 'lines' | 'json';

export type WatchedJob = Pick<JobRecord, 'id' | 'state' | 'attempt' | 'progress'>;

export interface JobView {
  /** Shows the job as last read; a read with nothing new writes nothing. */
  show(job: WatchedJob): void;
  /** Ends the bar's line (the result follows on stdout). */
  end(): void;
}

const BAR_WIDTH = 20;
const DEFAULT_COLUMNS = 80;
export const WATCH_INTERVAL_MS = 250;

export function jobViewMode(io: Io, json: boolean): JobViewMode {
  if (json) return 'json';
  return io.stderr.isTTY ? 'bar' : 'lines';
}

/** `job 42 active [######--------------]  30% 3/10 resizing images`, at most `columns` wide. */
export function renderBar(job: WatchedJob, columns: number): string {
  if (job.state === 'waiting') return clip(`job ${job.id} waiting for a worker…`, columns);
  if (job.state === 'delayed') return clip(`job ${job.id} delayed (runs later)…`, columns);
  const p = job.progress;
  let line = `job ${job.id} ${job.state}`;
  if (p) {
    if (p.total === null) line += ` ${p.current}`;
    else {
      const ratio = p.total > 0 ? Math.min(1, Math.max(0, p.current / p.total)) : 0;
      const filled = Math.round(ratio * BAR_WIDTH);
      line += ` [${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${`${Math.round(ratio * 100)}%`.padStart(4)} ${p.current}/${p.total}`;
    }
    if (p.message) line += ` ${p.message}`;
  }
  return clip(line.replace(/\s*\n\s*/g, ' '), columns);
}

export function createJobView(io: Io, mode: JobViewMode): JobView {
  let last: string | null = null;
  let drawn = false;
  const changed = (job: WatchedJob): boolean => {
    const key = JSON.stringify([job.state, job.attempt, progressKey(job.progress)]);
    if (key === last) return false;
    last = key;
    return true;
  };
  switch (mode) {
    case 'bar':
      return {
        show(job) {
          if (!changed(job)) return;
          const columns = (io.stderr as { columns?: number }).columns ?? DEFAULT_COLUMNS;
          // -1: a line exactly as wide as the terminal wraps on some terminals
          io.stderr.write(`\r\x1b[2K${renderBar(job, Math.max(20, columns - 1))}`);
          drawn = true;
        },
        end() {
          if (drawn) io.stderr.write('\n');
          drawn = false;
        },
      };
    case 'lines':
      return {
        show(job) {
          if (!changed(job)) return;
          const attempt = job.attempt > 0 ? ` (attempt ${job.attempt})` : '';
          io.stderr.write(`job ${job.id}: ${job.state}${attempt}${job.progress ? ` ${formatProgress(job.progress)}` : ''}\n`);
        },
        end() {},
      };
    case 'json':
      return {
        show(job) {
          if (!changed(job)) return;
          io.stderr.write(`${JSON.stringify({ event: 'progress', id: job.id, state: job.state, attempt: job.attempt, progress: job.progress })}\n`);
        },
        end() {},
      };
  }
}

function progressKey(p: JobProgress | null): unknown {
  return p === null ? null : [p.current, p.total, p.message];
}

/**
 * Reads the job every `intervalMs` and shows each read until stopped. A failed
 * read is skipped: the wait beside it reads the same store and reports its errors.
 */
export function watchJob(options: { read: () => Promise<WatchedJob | null>; show: (job: WatchedJob) => void; intervalMs?: number }): { stop(): Promise<void> } {
  const intervalMs = options.intervalMs ?? WATCH_INTERVAL_MS;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let inFlight: Promise<void> = Promise.resolve();
  const tick = (): void => {
    timer = null;
    inFlight = (async () => {
      try {
        const job = await options.read();
        if (job && !stopped) options.show(job);
      } catch {
        // skipped (see above)
      }
      if (!stopped) timer = setTimeout(tick, intervalMs);
    })();
  };
  tick();
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await inFlight;
    },
  };
}
