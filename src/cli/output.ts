/**
 * Human output: aligned plain-text tables and short formats for times,
 * durations and progress. (`--json` output is JSON.stringify of the result.)
 */
import type { JobProgress } from '../core/job.js';

export interface Io {
  stdout: { write(chunk: string): unknown; isTTY?: boolean };
  stderr: { write(chunk: string): unknown; isTTY?: boolean };
}

export interface Column<Row> {
  header: string;
  value: (row: Row) => string;
  /** Longer cells are cut with an ellipsis. Default 60. */
  max?: number;
  align?: 'left' | 'right';
}

/** A table with a header row; columns sized to their widest cell. No trailing spaces. */
export function table<Row>(rows: readonly Row[], columns: ReadonlyArray<Column<Row>>): string {
  const cells = rows.map((row) => columns.map((c) => clip(oneLine(c.value(row)), c.max ?? 60)));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => (columns[i]!.align === 'right' ? v.padStart(widths[i]!) : i === values.length - 1 ? v : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)].join('\n') + '\n';
}

/** `key: value` lines with the keys aligned; later lines of a multi-line value are indented under it. */
export function fields(pairs: ReadonlyArray<readonly [string, string]>): string {
  const width = Math.max(0, ...pairs.map(([k]) => k.length)) + 2;
  return pairs.map(([k, v]) => `${`${k}:`.padEnd(width)}${v.replace(/\n/g, `\n${' '.repeat(width)}`)}`.trimEnd()).join('\n') + '\n';
}

export function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ↵ ');
}

export function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, Math.max(0, max - 1))}…`;
}

/** `2026-03-08 14:03:11` in UTC (scripts wanting exact instants use --json). */
export function formatTime(d: Date | null | undefined): string {
  if (!d) return '-';
  return d.toISOString().replace('T', ' ').slice(0, 19);
}

/** `1.2s`, `350ms`, `4m05s`, `15m`, `2h10m`, `1h`, `3d4h`. */
export function formatDuration(ms: number): string {
  const a = Math.abs(ms);
  const sign = ms < 0 ? '-' : '';
  if (a < 1_000) return `${Math.round(ms)}ms`;
  if (a < 60_000) return `${(ms / 1_000).toFixed(a < 10_000 ? 1 : 0)}s`;
  const s = Math.round(a / 1_000);
  const two = (big: number, bigUnit: string, small: number, smallUnit: string, pad: boolean) =>
    `${sign}${big}${bigUnit}${small === 0 ? '' : `${pad ? String(small).padStart(2, '0') : small}${smallUnit}`}`;
  if (s < 3_600) return two(Math.floor(s / 60), 'm', s % 60, 's', true);
  if (s < 86_400) return two(Math.floor(s / 3_600), 'h', Math.floor((s % 3_600) / 60), 'm', true);
  return two(Math.floor(s / 86_400), 'd', Math.floor((s % 86_400) / 3_600), 'h', false);
}

/** `5s ago`, `in 2m00s`, `now`. */
export function formatRelative(d: Date | null | undefined, now: number): string {
  if (!d) return '-';
  const ms = d.getTime() - now;
  if (Math.abs(ms) < 1_000) return 'now';
  return ms > 0 ? `in ${formatDuration(ms)}` : `${formatDuration(-ms)} ago`;
}

/** `3/5 60% resizing` or `42` (no total). */
export function formatProgress(p: JobProgress | null): string {
  if (!p) return '-';
  const main = p.total ? `${p.current}/${p.total} ${Math.round((p.current / p.total) * 100)}%` : String(p.current);
  return p.message ? `${main} ${p.message}` : main;
}

/** JSON on one line when it fits in `wrapAt` characters, else indented. */
export function formatJson(value: unknown, wrapAt = 0): string {
  if (value === undefined) return '-';
  const flat = JSON.stringify(value) ?? '-';
  return wrapAt > 0 && flat.length > wrapAt ? JSON.stringify(value, null, 2) : flat;
}

/** `0.123` -> `12.3%`; null -> `-`. */
export function formatRate(r: number | null): string {
  return r === null ? '-' : `${(r * 100).toFixed(1)}%`;
}

export function formatNumber(n: number | null, digits = 0): string {
  if (n === null || !Number.isFinite(n)) return '-';
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/** Writes `value` as pretty JSON (the `--json` form of every command). */
export function writeJson(io: Io, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
