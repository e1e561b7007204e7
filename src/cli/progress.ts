/**
 * Progress bars for long work (bulk enqueue, bench), on stderr and only on a
 * terminal: piped or `--json` runs get the final summary alone.
 */
import cliProgress from 'cli-progress';
import type { Io } from './output.js';

export interface Progress {
  /** Sets the done count (and optionally a new total). */
  update(done: number, total?: number): void;
  stop(): void;
}

const SILENT: Progress = { update() {}, stop() {} };

export function startProgress(io: Io, options: { label: string; total: number; unit?: string; quiet?: boolean }): Progress {
  if (options.quiet || !io.stderr.isTTY) return SILENT;
  const bar = new cliProgress.SingleBar(
    {
      stream: io.stderr as unknown as NodeJS.WritableStream,
      format: `${options.label.padEnd(10)} [{bar}] {percentage}% | {value}/{total} ${options.unit ?? ''} | {rate}/s | eta {eta_formatted}`,
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 50,
      fps: 10,
    },
    cliProgress.Presets.shades_classic,
  );
  const started = Date.now();
  bar.start(options.total, 0, { rate: '0' });
  return {
    update(done, total) {
      if (total !== undefined) bar.setTotal(total);
      const secs = (Date.now() - started) / 1_000;
      bar.update(done, { rate: secs > 0 ? Math.round(done / secs).toLocaleString('en-US') : '0' });
    },
    stop() {
      bar.stop();
    },
  };
}
