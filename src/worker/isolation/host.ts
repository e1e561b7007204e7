/**
 * The entry point of a worker thread or child process that runs isolated
 * handlers, one job at a time (the pool never gives a host two). It imports
 * each handler module once, builds the same JobContext an in-process handler
 * gets (data, job, attempt, signal, progress, log, snooze, handlerOptions),
 * and reports progress, log lines and the outcome to the worker
 * (protocol.ts). Anything that escapes a handler's promise is reported as a
 * crash and ends the host: the worker fails that attempt and starts a fresh one.
 */
import { isMainThread, parentPort } from 'node:worker_threads';
import { pino } from 'pino';
import { AbortReason } from '../../core/errors.js';
import { importHandler, type HandlerModuleRef } from '../../jobs/handler-module.js';
import { createJobContext, type ProgressInput } from '../job-context.js';
import { serializeError, type HostMessage, type ParentMessage } from './protocol.js';
import { UsageMeter } from './usage-meter.js';
import { loadTypeScriptSupport } from './typescript.js';

const isolation = isMainThread ? 'process' : 'thread';

function post(message: HostMessage): void {
  if (parentPort) parentPort.postMessage(message);
  else process.send?.(message);
}

type Handler = Awaited<ReturnType<typeof importHandler>>;
const handlers = new Map<string, Promise<Handler>>();

/** Imports once per module and export; a `.ts` module without a loader gets tsx (development). */
function load(ref: HandlerModuleRef): Promise<Handler> {
  const key = `${ref.url}#${ref.exportName}`;
  let loaded = handlers.get(key);
  if (!loaded) {
    loaded = importHandler(ref).catch(async (error: unknown) => {
      if ((error as { code?: unknown }).code !== 'ERR_UNKNOWN_FILE_EXTENSION' || !(await loadTypeScriptSupport())) throw error;
      return importHandler(ref);
    });
    loaded.catch(() => handlers.delete(key));
    handlers.set(key, loaded);
  }
  return loaded;
}

let current: { runId: number; controller: AbortController } | null = null;
let logLevel = 'info';
let logRunId = 0;
// One pino for the host; its lines go to the worker, which logs them with its own logger.
const logger = pino({ level: 'trace', base: null, timestamp: false }, { write: (line: string) => post({ type: 'log', runId: logRunId, line }) });

async function run(message: Extract<ParentMessage, { type: 'run' }>): Promise<void> {
  const { runId, job } = message;
  const controller = new AbortController();
  current = { runId, controller };
  logRunId = runId;
  if (logLevel !== message.logLevel) logger.level = logLevel = message.logLevel;
  const meter = new UsageMeter(isolation);
  const owner = {
    signal: controller.signal,
    reportProgress: (progress: ProgressInput) => post({ type: 'progress', runId, progress }),
  };
  const ctx = createJobContext(job, owner, logger, message.handler.options);
  meter.start();
  let reply: HostMessage;
  try {
    const handler = await load(message.handler);
    const value = await handler(job.data as never, ctx);
    let resultJson: string | undefined;
    try {
      resultJson = value === undefined ? undefined : JSON.stringify(value);
    } catch (error) {
      throw Object.assign(new Error(`the handler's result cannot be stored as JSON: ${(error as Error).message}`), { name: 'ValidationError', code: 'INVALID_DATA', [Symbol.for('docket.PermanentError')]: true });
    }
    if (value !== undefined && resultJson === undefined) {
      throw Object.assign(new Error(`the handler's result (${typeof value}) cannot be stored as JSON`), { name: 'ValidationError', code: 'INVALID_DATA', [Symbol.for('docket.PermanentError')]: true });
    }
    reply = { type: 'done', runId, ok: true, resultJson, usage: meter.stop(), memoryBytes: memoryBytes() };
  } catch (error) {
    reply = { type: 'done', runId, ok: false, error: serializeError(error), usage: meter.stop(), memoryBytes: memoryBytes() };
  }
  current = null;
  post(reply);
}

function memoryBytes(): number {
  return isolation === 'process' ? process.memoryUsage.rss() : process.memoryUsage().heapUsed;
}

function onMessage(message: ParentMessage): void {
  if (message.type === 'run') void run(message);
  else if (message.type === 'abort' && current?.runId === message.runId) current.controller.abort(new AbortReason(message.kind, message.message));
}

function crash(error: unknown): void {
  post({ type: 'crash', error: serializeError(error) });
  // A thread's process.exit ends the thread only; a child process flushes its IPC channel first.
  if (parentPort) process.exit(70);
  else setImmediate(() => process.exit(70));
}
process.on('uncaughtException', crash);
process.on('unhandledRejection', crash);

if (parentPort) parentPort.on('message', onMessage);
else {
  process.on('message', (m) => onMessage(m as ParentMessage));
  // The worker went away (killed, crashed): nothing left to report to.
  process.on('disconnect', () => process.exit(0));
}
