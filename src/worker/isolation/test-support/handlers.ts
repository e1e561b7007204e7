// Handler modules for the isolation tests: loaded in a worker thread or a child process (TypeScript,
// so also the test that `.ts` handler modules work in development).
import { threadId } from 'node:worker_threads';
import { PermanentError } from '../../../core/errors.js';
import type { JobContext } from '../../job-context.js';

export async function echo(data: { value: unknown }, ctx: JobContext): Promise<unknown> {
  ctx.log.info({ step: 'echo', value: data.value }, 'echoing');
  ctx.progress(1, 2, 'half way');
  ctx.progress(2, 2, 'done');
  return { value: data.value, attempt: ctx.attempt, jobId: ctx.jobId, options: ctx.handlerOptions, at: new Date(0), threadOrProcess: process.pid };
}

export async function noop(): Promise<void> {}

/** Which thread or process ran it. */
export function whereAmI(): string {
  return `${process.pid}:${threadId}`;
}

/** Ignores its signal forever (until its thread or process is ended). */
export function ignoreSignal(): Promise<never> {
  return new Promise(() => setInterval(() => {}, 1_000));
}

/** Stops when asked: the cooperative path. */
export function cooperative(_data: unknown, ctx: JobContext): Promise<string> {
  return new Promise((resolve, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason as Error), { once: true }));
}

/** Grows its heap until the limit stops it. */
export function eatHeap(): never {
  const keep: unknown[] = [];
  for (;;) keep.push(new Array(100_000).fill({ x: Math.random() }));
}

export function exitOne(): never {
  process.exit(1);
}

export async function throwError(data: { permanent?: boolean }): Promise<never> {
  if (data.permanent) throw new PermanentError('bad input, do not retry');
  throw Object.assign(new Error('boom in isolation'), { code: 'E_BOOM' });
}

export function snooze(_data: unknown, ctx: JobContext): never {
  return ctx.snooze(5_000);
}

export function uncaught(): Promise<string> {
  setTimeout(() => {
    throw new Error('escaped the handler');
  }, 1);
  return new Promise(() => {});
}

/** Blocks its thread for `ms` (a CPU-bound handler), then returns how long it spun. */
export function busy(data: { ms: number }): { spunMs: number } {
  const start = Date.now();
  let x = 0;
  while (Date.now() - start < data.ms) x += Math.sqrt(x + 1);
  return { spunMs: Date.now() - start };
}
