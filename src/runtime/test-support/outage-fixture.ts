// Shared by the outage tests of the worker, scheduler and maintenance: a store that fails on demand, and a log to read.
import pino, { type Logger } from 'pino';
import type { Clock } from '../../core/clock.js';
import { DocketError } from '../../core/errors.js';
import type { Store } from '../../store/store.js';

/** What a store says while its database is unreachable (as the PostgreSQL store does). */
export function unreachable(operation: string): DocketError {
  return new DocketError('STORE_ERROR', `fake store unreachable during ${operation}`, { store: 'fake', operation, transient: true });
}

export interface FlakyStore {
  store: Store;
  /** Every call of a watched method: when (on the clock) and whether it failed. */
  calls: Array<{ method: string; at: number; failed: boolean }>;
  /** The next `n` calls of `methods` fail with `error(method)` (default: a transient STORE_ERROR). */
  fail(n: number, methods: string[], error?: (method: string) => unknown): void;
  /** Failures still to come. */
  readonly remaining: number;
}

/** Wraps `inner` so that calls of chosen methods fail N times, then pass through again. */
export function flakyStore(inner: Store, clock: Clock): FlakyStore {
  let remaining = 0;
  let failing = new Set<string>();
  let makeError: (method: string) => unknown = unreachable;
  const calls: FlakyStore['calls'] = [];
  const store = new Proxy(inner, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function' || typeof prop !== 'string') return value;
      const fn = value as (...args: unknown[]) => unknown;
      return (...args: unknown[]) => {
        if (!failing.has(prop)) return fn.apply(target, args);
        const fails = remaining > 0;
        calls.push({ method: prop, at: clock.now(), failed: fails });
        if (!fails) return fn.apply(target, args);
        remaining--;
        return Promise.reject(makeError(prop));
      };
    },
  });
  return {
    store,
    calls,
    fail(n, methods, error = unreachable) {
      remaining = n;
      failing = new Set(methods);
      makeError = error;
    },
    get remaining() {
      return remaining;
    },
  };
}

export interface LogLine {
  level: number;
  msg: string;
  component?: string;
  failedCalls?: number;
  [key: string]: unknown;
}

/** A pino logger at debug level whose lines land, parsed, in `lines`. */
export function capturedLog(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) });
  return { logger, lines };
}

export const LEVEL = { debug: 20, info: 30, warn: 40, error: 50 } as const;

/** The lines of one level from one component. */
export function linesOf(lines: LogLine[], component: string, level: keyof typeof LEVEL): LogLine[] {
  return lines.filter((l) => l.component === component && l.level === LEVEL[level]);
}

/** Moves a ManualClock forward in small steps, letting setImmediate work (the worker's store rounds) run between them. */
export async function runFor(clock: { advance(ms: number): Promise<void> }, ms: number, stepMs = 10): Promise<void> {
  for (let t = 0; t < ms; t += stepMs) {
    await clock.advance(stepMs);
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
  }
}
