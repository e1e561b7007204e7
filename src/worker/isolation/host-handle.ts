import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker as Thread } from 'node:worker_threads';
import type { HostMessage, ParentMessage, SerializedError } from './protocol.js';

/** How a thread or process ended. */
export interface HostExit {
  code: number | null;
  signal: string | null;
  /** It went over its memory limit (V8 heap, or the RSS watch). */
  outOfMemory: boolean;
  /** What escaped a handler, when the host reported it (or the thread's error). */
  error: SerializedError | null;
  /** We ended it (grace over, recycling, shutdown). */
  terminated: boolean;
  detail: string;
}

export interface HostListener {
  message(host: HostHandle, message: HostMessage): void;
  exit(host: HostHandle, exit: HostExit): void;
}

export interface HostOptions {
  isolation: 'thread' | 'process';
  memoryLimitMb: number | null;
  listener: HostListener;
}

/**
 * The host script. Built: `host.js` beside this file. From source (tsx, vitest):
 * `host.ts`, started with tsx registered first, since neither a thread on
 * Node 20 nor a vitest fork has a TypeScript loader of its own.
 */
function hostEntry(): { url: URL; typescript: boolean } {
  const js = new URL('./host.js', import.meta.url);
  if (existsSync(fileURLToPath(js))) return { url: js, typescript: false };
  return { url: new URL('./host.ts', import.meta.url), typescript: true };
}

/** Registers tsx, then imports the host (a thread's bootstrap, evaluated as CommonJS). */
const THREAD_BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
(async () => {
  if (workerData.tsx) (await import(workerData.tsx)).register();
  await import(workerData.host);
})().catch((error) => { setImmediate(() => { throw error; }); });
`;

/** Flags a child must not inherit: debugger ports would clash, and we set the heap limit ourselves. */
const NOT_INHERITED = /^--(inspect|inspect-brk|inspect-port|debug-port|max-old-space-size)(=|$)/;

let nextId = 1;

/** A dependency's file URL, resolved from docket's own folder (not the process's cwd). */
function resolveFileUrl(specifier: string): string {
  return pathToFileURL(createRequire(import.meta.url).resolve(specifier)).href;
}

/**
 * One worker thread or child process running isolated handlers: starts it
 * with its memory limit, forwards messages, and turns however it ended into
 * a HostExit. A process's stderr is passed through and its tail kept, which
 * is how a V8 heap limit is recognised; its RSS is checked every 250 ms
 * against twice the limit (off-heap memory: Buffers, native addons).
 */
export class HostHandle {
  readonly id = nextId++;
  readonly isolation: 'thread' | 'process';
  readonly memoryLimitMb: number | null;
  /** Jobs it has finished. */
  jobs = 0;
  exited = false;
  private readonly thread: Thread | null = null;
  private readonly child: ChildProcess | null = null;
  private terminating = false;
  private rssOver = false;
  private stderrTail = '';
  private threadError: Error | null = null;
  private crashError: SerializedError | null = null;
  private rssTimer: NodeJS.Timeout | null = null;

  constructor(private readonly options: HostOptions) {
    this.isolation = options.isolation;
    this.memoryLimitMb = options.memoryLimitMb;
    const entry = hostEntry();
    // tsx's ESM API (its `import` condition; createRequire resolves the `require` one, index.cjs, beside it).
    const tsx = entry.typescript ? resolveFileUrl('tsx/esm/api').replace(/\.cjs$/, '.mjs') : null;
    const limit = options.memoryLimitMb;
    if (options.isolation === 'thread') {
      this.thread = new Thread(THREAD_BOOTSTRAP, {
        eval: true,
        workerData: { host: entry.url.href, tsx },
        ...(limit ? { resourceLimits: { maxOldGenerationSizeMb: limit, maxYoungGenerationSizeMb: Math.max(4, Math.min(32, Math.floor(limit / 8))) } } : {}),
      });
      this.thread.on('message', (m: HostMessage) => this.onMessage(m));
      this.thread.on('error', (error) => (this.threadError = error));
      this.thread.on('exit', (code) => this.onExit(code, null));
    } else {
      const execArgv = process.execArgv.filter((a) => !NOT_INHERITED.test(a));
      if (entry.typescript && !execArgv.some((a) => a.includes('tsx'))) execArgv.push('--import', resolveFileUrl('tsx'));
      if (limit) execArgv.push(`--max-old-space-size=${limit}`);
      this.child = fork(fileURLToPath(entry.url), [], { execArgv, serialization: 'advanced', stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
      this.child.stderr!.on('data', (chunk: Buffer) => {
        process.stderr.write(chunk);
        this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-4096);
      });
      this.child.on('message', (m) => this.onMessage(m as HostMessage));
      this.child.on('error', (error) => (this.threadError = error));
      this.child.on('exit', (code, signal) => this.onExit(code, signal));
      if (limit && process.platform === 'linux') {
        this.rssTimer = setInterval(() => this.checkRss(2 * limit), 250);
        this.rssTimer.unref();
      }
    }
    this.idle();
  }

  send(message: ParentMessage): void {
    if (this.exited) return;
    if (this.thread) this.thread.postMessage(message);
    else if (this.child?.connected) this.child.send(message);
  }

  /** A running job keeps the worker's process alive; an idle host does not. */
  busy(): void {
    this.thread?.ref();
    this.child?.ref();
    (this.child?.channel as { ref?(): void } | undefined)?.ref?.();
  }

  idle(): void {
    this.thread?.unref();
    this.child?.unref();
    (this.child?.channel as { unref?(): void } | undefined)?.unref?.();
  }

  /** Ends it now (grace over, recycling, shutdown). */
  terminate(): void {
    if (this.exited || this.terminating) return;
    this.terminating = true;
    if (this.thread) void this.thread.terminate();
    else this.child?.kill('SIGKILL');
  }

  private onMessage(message: HostMessage): void {
    if (message.type === 'crash') this.crashError = message.error;
    else this.options.listener.message(this, message);
  }

  private checkRss(limitMb: number): void {
    const pid = this.child?.pid;
    if (pid === undefined || this.exited) return;
    let status: string;
    try {
      status = readFileSync(`/proc/${pid}/status`, 'latin1');
    } catch {
      return;
    }
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    if (kb > limitMb * 1024) {
      this.rssOver = true;
      this.stderrTail += `\nRSS ${Math.round(kb / 1024)} MB is over ${limitMb} MB`;
      this.child?.kill('SIGKILL');
    }
  }

  private onExit(code: number | null, signal: string | null): void {
    if (this.exited) return;
    this.exited = true;
    if (this.rssTimer) clearInterval(this.rssTimer);
    const threadOom = (this.threadError as { code?: string } | null)?.code === 'ERR_WORKER_OUT_OF_MEMORY';
    const heapOom = /heap out of memory|Reached heap limit|allocation failed/i.test(this.stderrTail);
    const outOfMemory = threadOom || this.rssOver || (this.child !== null && heapOom);
    const error = this.crashError ?? (this.threadError && !threadOom ? { name: this.threadError.name, message: this.threadError.message, stack: this.threadError.stack ?? null, code: null, permanent: false, snoozeMs: null } : null);
    let detail: string;
    if (outOfMemory) detail = threadOom ? 'the thread reached its V8 heap limit' : this.rssOver ? 'the process went over its RSS mark' : 'the process reached its V8 heap limit';
    else if (error) detail = `uncaught ${error.name}: ${error.message}`;
    else detail = `its ${this.isolation} exited${code !== null ? ` with code ${code}` : ''}${signal ? ` on ${signal}` : ''}`;
    this.options.listener.exit(this, { code, signal, outOfMemory, error, terminated: this.terminating, detail });
  }
}
