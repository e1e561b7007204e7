import { Cron } from 'croner';
import { CRON_OPTIONS, MAX_DATE_MS, type Trigger } from './schedule-trigger.js';

/**
 * Fire times of a trigger. All cron arithmetic is croner's; this file only
 * adapts it (and does `every` / `at` by hand, which is plain arithmetic).
 *
 * DST, cron convention (Vixie cron, and what croner does with
 * `fixedTimeRule: 'no-wildcard'`, see CRON_OPTIONS):
 * - a fixed time that spring-forward skips (`30 2 * * *` in New York on
 *   2026-03-08) runs once, right after the jump (03:00 local);
 * - a fixed time in the repeated autumn hour runs once, on its first
 *   occurrence;
 * - expressions with `*` or a step in second/minute/hour follow real time:
 *   `0 * * * *` fires 23 times on the spring day and 25 on the autumn day.
 * Every fire is a real instant; no non-existent local time is produced.
 */
export interface Timeline {
  /** The first fire strictly after `afterMs`, or null when there is none. */
  next(afterMs: number): number | null;
  /** Up to `n` fires strictly before `beforeMs`, most recent first. */
  previous(beforeMs: number, n: number): number[];
  /**
   * The number of fires in [fromMs, toMs], exactly when `exact`; otherwise
   * a lower bound (cron is counted by stepping, at most `cap` steps).
   */
  count(fromMs: number, toMs: number, cap: number): { count: number; exact: boolean };
}

/** Cron instances are parsed once per (expression, zone); parsing is the expensive part. */
const cronCache = new Map<string, Cron>();
const CRON_CACHE_MAX = 500;

function cronFor(expression: string, timezone: string): Cron {
  const key = `${timezone} ${expression}`;
  let c = cronCache.get(key);
  if (!c) {
    if (cronCache.size >= CRON_CACHE_MAX) cronCache.delete(cronCache.keys().next().value!);
    c = new Cron(expression, { ...CRON_OPTIONS, timezone });
    cronCache.set(key, c);
  }
  return c;
}

export function timeline(trigger: Trigger): Timeline {
  switch (trigger.kind) {
    case 'cron':
      return cronTimeline(cronFor(trigger.expression, trigger.timezone));
    case 'every':
      return everyTimeline(trigger.intervalMs, trigger.anchorMs);
    case 'at':
      return atTimeline(trigger.atMs);
  }
}

function cronTimeline(cron: Cron): Timeline {
  const next = (afterMs: number): number | null => {
    // croner works in whole seconds and returns the first match strictly after its argument.
    const d = cron.nextRun(new Date(afterMs));
    return d === null ? null : d.getTime();
  };
  return {
    next,
    previous: (beforeMs, n) => (n <= 0 ? [] : cron.previousRuns(n, new Date(beforeMs)).map((d) => d.getTime())),
    count(fromMs, toMs, cap) {
      let count = 0;
      let t = next(fromMs - 1);
      while (t !== null && t <= toMs) {
        if (count >= cap) return { count, exact: false };
        count++;
        t = next(t);
      }
      return { count, exact: true };
    },
  };
}

function everyTimeline(intervalMs: number, anchorMs: number): Timeline {
  /** Index of the first fire strictly after t. */
  const indexAfter = (t: number): number => (t < anchorMs ? 0 : Math.floor((t - anchorMs) / intervalMs) + 1);
  const at = (k: number): number | null => {
    const t = anchorMs + k * intervalMs;
    return t <= MAX_DATE_MS ? t : null;
  };
  return {
    next: (afterMs) => at(indexAfter(afterMs)),
    previous(beforeMs, n) {
      const out: number[] = [];
      // Last index strictly before beforeMs.
      let k = indexAfter(beforeMs - 1) - 1;
      for (; k >= 0 && out.length < n; k--) out.push(anchorMs + k * intervalMs);
      return out;
    },
    count(fromMs, toMs) {
      if (toMs < fromMs) return { count: 0, exact: true };
      const first = indexAfter(fromMs - 1);
      const last = indexAfter(toMs) - 1;
      return { count: Math.max(0, last - first + 1), exact: true };
    },
  };
}

function atTimeline(atMs: number): Timeline {
  return {
    next: (afterMs) => (atMs > afterMs ? atMs : null),
    previous: (beforeMs, n) => (atMs < beforeMs && n > 0 ? [atMs] : []),
    count: (fromMs, toMs) => ({ count: atMs >= fromMs && atMs <= toMs ? 1 : 0, exact: true }),
  };
}

/** The first fire strictly after `after`, or null when the trigger has no more fires. */
export function nextFireTime(trigger: Trigger, after: Date | number): Date | null {
  const t = timeline(trigger).next(toMs(after));
  return t === null ? null : new Date(t);
}

/** The next `n` fires strictly after `after`, in order (fewer when the trigger runs out). */
export function nextFireTimes(trigger: Trigger, after: Date | number, n: number): Date[] {
  const tl = timeline(trigger);
  const out: Date[] = [];
  let t: number | null = toMs(after);
  while (out.length < n && (t = tl.next(t)) !== null) out.push(new Date(t));
  return out;
}

/** Up to `n` fires strictly before `before`, most recent first. */
export function previousFireTimes(trigger: Trigger, before: Date | number, n: number): Date[] {
  return timeline(trigger).previous(toMs(before), n).map((t) => new Date(t));
}

export function toMs(d: Date | number): number {
  return typeof d === 'number' ? d : d.getTime();
}
