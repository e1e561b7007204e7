/**
 * The messages between the worker (parent) and a thread or child process that
 * runs isolated handlers (host). Both sides use structured clone (threads:
 * postMessage; processes: IPC with `serialization: 'advanced'`), so the job's
 * Dates arrive as Dates; a handler's result crosses as JSON text, exactly what
 * the store will keep, and errors as plain records that keep what the retry
 * policy reads (name, message, stack, code, the PermanentError and snooze brands).
 */
import { isPermanentError, isSnoozeSignal, PermanentError, SnoozeSignal } from '../../core/errors.js';
import type { ClaimedJob } from '../../core/job.js';
import type { AttemptUsage } from '../../runtime/events.js';
import type { ProgressInput } from '../job-context.js';

export interface HandlerRef {
  url: string;
  exportName: string;
  options: unknown;
}

export type ParentMessage =
  | { type: 'run'; runId: number; handler: HandlerRef; job: ClaimedJob; logLevel: string }
  | { type: 'abort'; runId: number; kind: 'timeout' | 'cancel' | 'shutdown' | 'lease-lost'; message: string };

export type HostMessage =
  | { type: 'progress'; runId: number; progress: ProgressInput }
  /** One pino line (JSON) of the handler's `ctx.log`. */
  | { type: 'log'; runId: number; line: string }
  | {
      type: 'done';
      runId: number;
      ok: boolean;
      /** ok: the result's JSON (undefined for no result). */
      resultJson?: string;
      /** not ok: what the handler threw. */
      error?: SerializedError;
      usage: AttemptUsage;
      /** After the job: V8 heap used (thread) or RSS (process), for recycling. */
      memoryBytes: number;
    }
  /** An exception no handler promise caught: the host exits right after. */
  | { type: 'crash'; error: SerializedError };

export interface SerializedError {
  name: string;
  message: string;
  stack: string | null;
  code: string | null;
  permanent: boolean;
  /** A snooze (ctx.snooze or a thrown SnoozeSignal): its delay. */
  snoozeMs: number | null;
}

export function serializeError(error: unknown): SerializedError {
  if (isSnoozeSignal(error)) return { name: 'SnoozeSignal', message: error.message, stack: null, code: null, permanent: false, snoozeMs: error.delayMs };
  if (error instanceof Error || (typeof error === 'object' && error !== null && 'message' in error)) {
    const e = error as Error & { code?: unknown };
    return {
      name: typeof e.name === 'string' ? e.name : 'Error',
      message: String(e.message),
      stack: typeof e.stack === 'string' ? e.stack : null,
      code: typeof e.code === 'string' ? e.code : null,
      permanent: isPermanentError(error),
      snoozeMs: null,
    };
  }
  let message: string;
  try {
    message = typeof error === 'string' ? error : (JSON.stringify(error) ?? String(error));
  } catch {
    message = String(error);
  }
  return { name: 'NonError', message, stack: null, code: null, permanent: false, snoozeMs: null };
}

/** Back into an Error the retry policy reads as the handler's own (class brands via Symbol.for, see core/errors.ts). */
export function deserializeError(s: SerializedError): Error {
  if (s.snoozeMs !== null) return new SnoozeSignal(s.snoozeMs);
  const error = s.permanent ? new PermanentError(s.message) : new Error(s.message);
  error.name = s.name;
  if (s.stack !== null) error.stack = s.stack;
  if (s.code !== null) (error as Error & { code: string }).code = s.code;
  return error;
}
