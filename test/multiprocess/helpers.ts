import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const WORKER_FIXTURE = fileURLToPath(new URL('./fixtures/worker.ts', import.meta.url));
const SCHEDULER_FIXTURE = fileURLToPath(new URL('./scheduler-process.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface FixtureProcess {
  child: ChildProcess;
  /** Resolves when the fixture prints `ready`; rejects if it exits first. */
  ready: Promise<void>;
  exited: Promise<number | null>;
  stderr: () => string;
}

/** Starts a fixture script in its own Node process (TypeScript via tsx's loader, no wrapper process). */
function spawnFixture(script: string, label: string, env: Record<string, string>): FixtureProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const ready = new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('ready\n')) resolve();
    });
    void exited.then((code) => reject(new Error(`${label} exited (${code}) before it was ready: ${err}`)));
  });
  return { child, ready, exited, stderr: () => err };
}

export type WorkerProcess = FixtureProcess;

export function spawnWorker(env: Record<string, string>): WorkerProcess {
  return spawnFixture(WORKER_FIXTURE, 'worker', env);
}

export interface SchedulerProcess extends FixtureProcess {
  /** The file the scheduler appends `<fire time ms> <job id>` to for each fire it won. */
  out: string;
}

/** A scheduler-only process on `storeUrl` with a per-second schedule anchored at `anchorMs`. */
export function spawnScheduler(id: string, storeUrl: string, anchorMs: number, dir: string): SchedulerProcess {
  const out = join(dir, `${id}.log`);
  const p = spawnFixture(SCHEDULER_FIXTURE, id, { DOCKET_STORE: storeUrl, PROC_ID: id, OUT_FILE: out, ANCHOR_MS: String(anchorMs) });
  return { ...p, out };
}

/** [fire time, job id] of each fire a scheduler process won (a SIGKILLed process may leave a torn last line). */
export function wins(p: SchedulerProcess): Array<[number, string]> {
  if (!existsSync(p.out)) return [];
  return readFileSync(p.out, 'utf8')
    .split('\n')
    .filter((line) => /^\d+ \d+$/.test(line))
    .map((line) => [Number(line.split(' ')[0]), line.split(' ')[1]!]);
}

export const sleepUntil = (t: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, t - Date.now())));

/** Polls `check` every `everyMs` (real time: other processes do the work) until it returns true. */
export async function until(check: () => Promise<boolean>, what: string, timeoutMs = 120_000, everyMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * How long a worker process takes, right now, from a job's enqueue to its completion (store
 * clock): one probe job, run by whichever worker is free. Recovery deadlines are derived from
 * it, so a loaded machine (where every step is slower) stretches them, a quiet one does not.
 */
export async function measurePickupMs(
  producer: { enqueue(name: string, data: unknown): Promise<{ id: string }> },
  store: { getJob(p: { jobId: string }): Promise<{ state: string; createdAt: Date; finishedAt: Date | null } | null> },
): Promise<{ id: string; ms: number }> {
  const { id } = await producer.enqueue('mp', { probe: true });
  await until(async () => (await store.getJob({ jobId: id }))?.state === 'completed', 'the probe job', 60_000, 10);
  const job = (await store.getJob({ jobId: id }))!;
  return { id, ms: job.finishedAt!.getTime() - job.createdAt.getTime() };
}

/**
 * The slack allowed after a dead worker's lease expired before its job is completed elsewhere:
 * the rescuer's interval, then a pickup like the measured one. On a quiet machine the pickup is
 * tens of ms and this is about the historic 1 s; under load it grows with what was measured.
 */
export const recoverySlackMs = (rescueIntervalMs: number, pickupMs: number): number => rescueIntervalMs + Math.max(900, 4 * pickupMs);
