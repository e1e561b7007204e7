/**
 * Runs the CLI in this process (runCli with captured stdout/stderr and an
 * empty environment): the parsing, messages and exit codes of a command
 * without the ~1 s a spawned binary costs. The spawn tests in test/cli/ keep
 * what only a real process shows (signals, exit, the built package).
 */
import type { CliEnv } from '../env.js';
import { runCli } from '../program.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CaptureStream {
  write(chunk: string): boolean;
  isTTY?: boolean;
  /** What was written so far. */
  text(): string;
}

export function captureStream(options: { isTTY?: boolean } = {}): CaptureStream {
  let text = '';
  return {
    write(chunk: string) {
      text += chunk;
      return true;
    },
    ...(options.isTTY ? { isTTY: true } : {}),
    text: () => text,
  };
}

export const EMPTY_ENV: CliEnv = { store: undefined, databaseUrl: undefined, port: undefined, config: undefined, adminKeys: undefined, readKeys: undefined, sessionSecrets: undefined };

export async function runCliInProcess(argv: string[], options: { cwd?: string; env?: Partial<CliEnv>; tty?: boolean; stderr?: CaptureStream } = {}): Promise<CliRun> {
  const stdout = captureStream({ isTTY: options.tty ?? false });
  const stderr = options.stderr ?? captureStream({ isTTY: options.tty ?? false });
  const code = await runCli(argv, { io: { stdout, stderr }, env: { ...EMPTY_ENV, ...options.env }, cwd: options.cwd ?? process.cwd() });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}
