/** Small numeric and formatting helpers for the benchmark output. */

/** Nearest-rank percentile of an ascending array; null when empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number | null {
  if (sorted.length === 0) return null;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx]!;
}

export function fmt(v: number | null | undefined, digits = 0): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  return digits === 0 ? String(Math.round(v)) : v.toFixed(digits);
}

/** A markdown table: first column left-aligned, the rest right-aligned. */
export function table(head: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(head), `|---|${head.slice(1).map(() => '---:').join('|')}|`, ...rows.map(line)].join('\n');
}
