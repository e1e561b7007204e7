/**
 * Runs the built `docket` binary (bin/docket.mjs -> dist/cli/main.js) as a
 * child process, as a user would. `ensureBuilt` runs `npm run build` once per
 * test run when dist/ is older than src/ (a lock keeps parallel test files
 * from building at the same time).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = join(ROOT, 'bin', 'docket.mjs');
export const FIXTURE_CONFIG = fileURLToPath(new URL('./fixtures/docket.config.ts', import.meta.url));
const MAIN = join(ROOT, 'dist', 'cli', 'main.js');
// outside dist/: `npm run build` starts by deleting dist/ (so nothing stale ships)
const LOCK = join(tmpdir(), `docket-cli-test-build-${createHash('sha256').update(ROOT).digest('hex').slice(0, 12)}.lock`);

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment of every run: no inherited docket variables, so a developer's shell cannot change results. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(DOCKET_|DATABASE_URL$|PORT$)/.test(k)) env[k] = v;
  }
  return { ...env, ...extra };
}

export function runDocket(args: string[], options: { cwd?: string; env?: Record<string, string>; input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [BIN, ...args], { cwd: options.cwd ?? ROOT, env: cleanEnv(options.env), timeout: options.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? ((error as { code: number }).code) : null) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
    if (options.input !== undefined) child.stdin!.end(options.input);
    else child.stdin!.end();
  });
}

/**
 * `docket <args> --json`: stdout parsed (null when a failing command printed
 * nothing there; its error is JSON on stderr). Fails the test with the output
 * when stdout is not JSON.
 */
export async function runJson<T = Record<string, unknown>>(args: string[], options: Parameters<typeof runDocket>[1] = {}): Promise<{ code: number | null; json: T; stderr: string }> {
  const r = await runDocket([...args, '--json'], options);
  if (r.stdout === '' && r.code !== 0) return { code: r.code, json: null as T, stderr: r.stderr };
  try {
    return { code: r.code, json: JSON.parse(r.stdout) as T, stderr: r.stderr };
  } catch {
    throw new Error(`not JSON (exit ${r.code}):\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  }
}

export interface LongRunning {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
  /** Resolves with the first stdout line matching `re`. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<string>;
}

/** Starts a long-running command (serve, worker, or any argv) in its own process group. */
export function spawnLong(command: string, args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): LongRunning {
  const child = spawn(command, args, { cwd: options.cwd ?? ROOT, env: cleanEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  let err = '';
  const waiters: Array<() => void> = [];
  child.stdout!.on('data', (b: Buffer) => {
    out += b.toString();
    for (const w of waiters.splice(0)) w();
  });
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  // 'close', not 'exit': a wrapper (npm) may exit before the process it started has written its last line
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor(re, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${re} in stdout:\n${out}\nstderr:\n${err}`)), timeoutMs);
        const check = () => {
          const line = out.split('\n').find((l) => re.test(l));
          if (line !== undefined) {
            clearTimeout(timer);
            resolve(line);
            return;
          }
          waiters.push(check);
        };
        void exited.then((code) => {
          clearTimeout(timer);
          reject(new Error(`exited (${code}) before ${re}:\nstdout:\n${out}\nstderr:\n${err}`));
        });
        check();
      });
    },
  };
}

/** Sends a signal to the whole process group (as a terminal or a supervisor does). */
export function signalGroup(p: LongRunning, signal: NodeJS.Signals): void {
  try {
    process.kill(-p.child.pid!, signal);
  } catch {
    // already gone
  }
}

export function tempDir(prefix = 'docket-cli-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Polls (real time: another process does the work). */
export async function until(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

let built: Promise<void> | null = null;

/** Builds dist/ unless it is newer than every file under src/. */
export function ensureBuilt(): Promise<void> {
  built ??= (async () => {
    // one builder at a time across test files (vitest runs them in parallel processes)
    for (let i = 0; ; i++) {
      try {
        mkdirSync(LOCK);
        break;
      } catch {
        if (i > 1_200) throw new Error(`could not take ${LOCK} in 2 minutes (remove it if no test run is building)`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    try {
      if (newestMtime(join(ROOT, 'src')) < mtime(MAIN)) return;
      const started = Date.now();
      await new Promise<void>((resolve, reject) => {
        execFile('npm', ['run', 'build'], { cwd: ROOT, env: cleanEnv() }, (error, stdout, stderr) => {
          if (!error) return resolve();
          // tsc still emits on type errors; a type error elsewhere (work in progress in another
          // module) should not hide what these tests say about the CLI, so go on loudly if it emitted
          if (mtime(MAIN) >= started - 1_000) {
            process.stderr.write(`\n*** npm run build reported errors; testing the emitted dist/ anyway ***\n${stdout}\n${stderr}\n`);
            return resolve();
          }
          reject(new Error(`npm run build failed:\n${stdout}\n${stderr}`));
        });
      });
    } finally {
      rmSync(LOCK, { recursive: true, force: true });
    }
  })();
  return built;
}

function mtime(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : mtime(p));
  }
  return newest;
}
