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
  /** SIGTERM to the example's process group; resolves with its exit code. */
  stop(): Promise<number | null>;
}

export async function startExample(name: string, env: Record<string, string>, options: { timeoutMs?: number } = {}): Promise<RunningExample> {
  // Its own process group (detached), so stop() reaches npm, tsx and node alike.
  const child = spawn('npm', ['run', '--silent', `example:${name}`], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'test', ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (output += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`example ${name} did not start within ${options.timeoutMs ?? 30_000} ms:\n${output}`)), options.timeoutMs ?? 30_000);
    const check = () => {
      const m = /listening on (http:\/\/[^\s]+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
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
      stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          try {
            process.kill(-child.pid!, 'SIGTERM');
          } catch {
            // already gone
          }
        }
        return exited;
      })();
      return stopping;
    },
  };
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
