/**
 * Test helpers: start the example as its README says (`npm run
 * example:astro-catalog`) in its own process group, wait for its "listening
 * on" line, stop it with SIGTERM. (A copy of lead-pipeline's, so that each
 * example stands alone.)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface RunningExample {
  url: string;
  output(): string;
  /**
   * SIGTERM to the process group (npm itself dies of it without waiting for its
   * script); resolves once every process of the group is gone.
   */
  stop(): Promise<void>;
}

export async function startExample(script: string, env: Record<string, string>): Promise<RunningExample> {
  const child = spawn('npm', ['run', '--silent', script], {
    cwd: REPO_ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    detached: true, // its own process group, so stop() reaches npm, tsx and node
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      signalGroup(child.pid!, 'SIGKILL'); // leave nothing behind
      reject(new Error(`${script} did not start within 30 s:\n${output}`));
    }, 30_000);
    const check = () => {
      const m = /listening on (http:\/\/\S+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${code} before listening:\n${output}`));
    });
  });
  return { url, output: () => output, stop: () => stopGroup(child, exited) };
}

async function stopGroup(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  const pgid = child.pid!;
  signalGroup(pgid, 'SIGTERM');
  await exited;
  // npm may exit before its child: wait for the whole group, SIGKILL after 15 s
  const deadline = Date.now() + 15_000;
  while (groupAlive(pgid)) {
    if (Date.now() > deadline) signalGroup(pgid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 50));
  }
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
