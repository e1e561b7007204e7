/**
 * The one duration grammar of docket: schedule `every` (library and config
 * file) and every CLI flag that takes a duration (`--delay`, `--timeout`,
 * `--wait-timeout`, `--grace`, retention ages, `--since`). Options named
 * `…Ms` stay numbers of milliseconds.
 *
 *   duration := digits                      bare digits: milliseconds ("1500")
 *             | part (spaces? part)*
 *   part     := digits ("." digits)? spaces? unit
 *   unit     := w | d | h | m | s | ms       lowercase (no M/months, no years:
 *                                           their length varies)
 *
 * Parts come largest unit first, each unit at most once (`1h30m`, `1d 12h`;
 * not `30m1h`, which reads like a typo). Decimals are allowed (`1.5h`) as long
 * as the total is a whole number of milliseconds (`0.5ms` is refused, never
 * rounded). No sign: callers bound the value (a schedule needs >= 1 s).
 * Computed in BigInt, so `1.1s` is exactly 1100 and huge inputs are refused
 * rather than rounded.
 */

export const DURATION_UNITS = ['w', 'd', 'h', 'm', 's', 'ms'] as const;
export type DurationUnit = (typeof DURATION_UNITS)[number];

export const DURATION_UNIT_MS: Readonly<Record<DurationUnit, number>> = { w: 604_800_000, d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000, ms: 1 };

/** For messages: what a duration looks like. */
export const DURATION_EXAMPLES = '1500 (ms), 500ms, 10s, 1.5h, 1h30m, 1d 12h, 2w (units w d h m s ms, largest first)';

// ms before m and s, so "5ms" is one part, not "5m" + "s"
const PART = /(\d+)(?:\.(\d+))?\s*(ms|w|d|h|m|s)\s*/y;

/** Milliseconds, or why the text is not a duration (a phrase to put after the value). */
export function readDuration(text: string): { ms: number } | { problem: string } {
  const t = text.trim();
  if (t === '') return { problem: 'is empty' };
  if (/^\d+$/.test(t)) return bounded(BigInt(t));
  let total = 0n;
  let last = -1;
  PART.lastIndex = 0;
  let at = 0;
  while (at < t.length) {
    PART.lastIndex = at;
    const m = PART.exec(t);
    if (!m) return { problem: `is not a duration: write e.g. ${DURATION_EXAMPLES}` };
    const [, whole, fraction, unit] = m as unknown as [string, string, string | undefined, DurationUnit];
    const rank = DURATION_UNITS.indexOf(unit);
    if (rank <= last) return { problem: `gives units out of order: each unit once, largest first (e.g. 1h30m, 1d 12h)` };
    last = rank;
    const size = BigInt(DURATION_UNIT_MS[unit]);
    total += BigInt(whole) * size;
    if (fraction !== undefined) {
      const scale = 10n ** BigInt(fraction.length);
      const part = BigInt(fraction) * size;
      if (part % scale !== 0n) return { problem: 'is not a whole number of milliseconds' };
      total += part / scale;
    }
    at = PART.lastIndex;
  }
  return bounded(total);
}

function bounded(ms: bigint): { ms: number } | { problem: string } {
  if (ms > BigInt(Number.MAX_SAFE_INTEGER)) return { problem: 'is too long' };
  return { ms: Number(ms) };
}

/** `5400000` -> `'1h30m'`: the canonical text, which readDuration reads back. */
export function durationText(ms: number): string {
  let rest = ms;
  let out = '';
  for (const unit of DURATION_UNITS) {
    const size = DURATION_UNIT_MS[unit];
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out || '0ms';
}
