// Starts an example the way its README says (`npm run example:<name>`) in a child process and
// reads the address it prints. Used by the examples' end-to-end tests.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface RunningExample {
  /** The base URL printed as `... listening on http://host:port`. */
  readonly url: string;
  readonly child: ChildProcess;
  /** Everything printed so far (stdout and stderr). */
  output(): string;
  /**
   * SIGTERM to the example's process group; resolves with npm's exit code once
   * every process of the group is gone (npm may exit before its script; after
   * 15 s the group is SIGKILLed).
   */
  stop(): Promise<number | null>;
}

/**
 * `ready`: the line that says it started; its first group, if any, is the URL
 * (default: `listening on http://…`). A worker-only process prints no address.
 */
export async function startExample(name: string, env: Record<string, string>, options: { timeoutMs?: number; ready?: RegExp } = {}): Promise<RunningExample> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  // Its own process group (detached), so stop() reaches npm, tsx and node alike.
  const child = spawn('npm', ['run', '--silent', `example:${name}`], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'warn', ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (output += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      signalGroup(child.pid!, 'SIGKILL'); // leave nothing behind
      reject(new Error(`example ${name} did not start within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const check = () => {
      const m = (options.ready ?? /listening on (http:\/\/\S+)/).exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1] ?? '');
      }
    };
    child.stdout!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`example ${name} exited with ${code} before listening:\n${output}`));
    });
  });

  let stopping: Promise<number | null> | null = null;
  return {
    url,
    child,
    output: () => output,
    stop() {
      stopping ??= stopGroup(child.pid!, exited);
      return stopping;
    },
  };
}

async function stopGroup(pgid: number, exited: Promise<number | null>): Promise<number | null> {
  signalGroup(pgid, 'SIGTERM');
  const code = await exited;
  const deadline = Date.now() + 15_000;
  while (groupAlive(pgid)) {
    if (Date.now() > deadline) signalGroup(pgid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 50));
  }
  return code;
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls `fn` every 50 ms until it returns a truthy value (or throws after `timeoutMs`). */
export async function until<T>(fn: () => Promise<T | null | undefined | false>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Runs `npm run example:<name>` to completion (for one-shot commands); returns its exit code and output. */
export function runExampleOnce(name: string, env: Record<string, string>, args: string[] = []): { code: number | null; output: string } {
  const r = spawnSync('npm', ['run', '--silent', `example:${name}`, ...(args.length ? ['--', ...args] : [])], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'test', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, output: `${r.stdout}${r.stderr}` };
}
