/**
 * Long-running commands as child processes: `docket serve` (API + worker +
 * scheduler) answers /healthz, runs jobs enqueued through the API and stops
 * on SIGTERM; `docket worker` runs jobs enqueued from another CLI process;
 * the bind guard and API keys; graceful shutdown releases a running job.
 */
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BIN, ensureBuilt, FIXTURE_CONFIG, runDocket, runJson, signalGroup, spawnLong, tempDir, until, type LongRunning } from './helpers.js';

let tmp: ReturnType<typeof tempDir>;
let base: string[];
const running: LongRunning[] = [];

beforeAll(async () => {
  await ensureBuilt();
}, 180_000);

beforeEach(() => {
  tmp = tempDir();
  base = ['--store', `sqlite:${join(tmp.dir, 'docket.db')}`, '--config', FIXTURE_CONFIG];
});

afterEach(async () => {
  for (const p of running.splice(0)) {
    signalGroup(p, 'SIGKILL');
    await p.exited;
  }
  tmp.cleanup();
});

function start(args: string[], env: Record<string, string> = {}): LongRunning {
  // cwd is the temp dir: as for a user, no tsconfig of this repository applies to the config
  const p = spawnLong(process.execPath, [BIN, ...base, ...args], { cwd: tmp.dir, env });
  running.push(p);
  return p;
}

async function ready(p: LongRunning): Promise<{ url: string | null; auth: boolean | null; scheduler: boolean; worker: { queues: string[] } | null }> {
  return JSON.parse(await p.waitFor(/"event":"ready"/)) as { url: string | null; auth: boolean | null; scheduler: boolean; worker: { queues: string[] } | null };
}

async function jobState(url: string, id: string, headers: Record<string, string> = {}): Promise<{ state: string; result: unknown; attempt: number; error: { message: string } | null }> {
  const r = await fetch(`${url}/api/v1/jobs/${id}`, { headers });
  expect(r.status).toBe(200);
  return (await r.json()) as { state: string; result: unknown; attempt: number; error: { message: string } | null };
}

describe('docket serve', () => {
  it('answers /healthz, runs jobs enqueued through the API, stores the config schedules, stops on SIGTERM', async () => {
    const p = start(['serve', '--port', '0', '--json']);
    const r = await ready(p);
    expect(r.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(r).toMatchObject({ auth: false, scheduler: true });
    expect(r.worker!.queues.sort()).toEqual(['default', 'emails']);
    const url = r.url!;

    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok' });

    const post = await fetch(`${url}/api/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'echo', data: { hello: 'world' } }) });
    expect(post.status).toBe(201);
    const { id } = (await post.json()) as { id: string };
    await until(async () => (await jobState(url, id)).state === 'completed', 'the echo job to complete');
    expect((await jobState(url, id)).result).toEqual({ hello: 'world' });

    // PermanentError thrown by the config's handler (imported from 'docket') is the CLI's PermanentError: failed at once, no retry
    const decline = (await (await fetch(`${url}/api/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"decline"}' })).json()) as { id: string };
    await until(async () => (await jobState(url, decline.id)).state === 'failed', 'the decline job to fail');
    expect(await jobState(url, decline.id)).toMatchObject({ attempt: 1, error: { message: 'declined: no retry' } });

    // the config's schedule was stored at start: the CLI sees it from another process
    const schedules = await runJson<{ schedules: Array<{ name: string; description: string; paused: boolean }> }>([...base, 'schedules', 'list'], { cwd: tmp.dir });
    expect(schedules.json.schedules).toEqual([expect.objectContaining({ name: 'hourly-digest', description: 'cron 0 * * * * (Europe/Berlin)', paused: false })]);
    const workers = await runJson<{ workers: Array<{ pid: number }> }>([...base, 'stats'], { cwd: tmp.dir });
    expect(workers.json.workers.map((w) => w.pid)).toEqual([p.child.pid]);

    signalGroup(p, 'SIGTERM');
    expect(await p.exited).toBe(0);
    expect(p.stdout()).toMatch(/"event":"stopped","signal":"SIGTERM"/);
    expect((await fetch(`${url}/healthz`).catch(() => null))?.status).toBeUndefined();
  });

  it('human output: the URL, the parts it runs, and the stop', async () => {
    const p = start(['serve', '--port', '0', '--no-worker', '--no-scheduler']);
    const line = await p.waitFor(/admin API on/);
    expect(line).toMatch(/^docket: admin API on http:\/\/127\.0\.0\.1:\d+ \(no API key: loopback only\) · store sqlite:/);
    expect(line).not.toContain('worker on');
    expect(line).not.toContain('scheduler');
    signalGroup(p, 'SIGINT');
    expect(await p.exited).toBe(0);
    expect(p.stdout()).toContain('docket: SIGINT: stopping');
    expect(p.stdout()).toMatch(/docket: stopped after /);
  });

  it('on SIGTERM gives a running job the grace, then puts it back to waiting', async () => {
    const p = start(['serve', '--port', '0', '--json', '--grace', '200ms']);
    const { url } = await ready(p);
    const { id } = (await (await fetch(`${url}/api/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"slow"}' })).json()) as { id: string };
    await until(async () => (await jobState(url!, id)).state === 'active', 'the slow job to start');
    signalGroup(p, 'SIGTERM');
    expect(await p.exited).toBe(0);
    const job = await runJson<{ state: string; attempt: number }>([...base, 'jobs', 'show', id], { cwd: tmp.dir });
    expect(job.json).toMatchObject({ state: 'waiting', attempt: 0 });
  });

  it('refuses a non-loopback bind without an API key (exit 5), and requires the key when one is set', async () => {
    const refused = await runDocket([...base, 'serve', '--host', '0.0.0.0', '--port', '0'], { cwd: tmp.dir });
    expect(refused.code).toBe(5);
    expect(refused.stderr).toContain('refusing to listen on 0.0.0.0 without an API key');

    const key = 'k'.repeat(24);
    const p = start(['serve', '--port', '0', '--json', '--no-worker'], { DOCKET_ADMIN_KEY: `other-key-0123456789, ${key}` });
    const r = await ready(p);
    expect(r.auth).toBe(true);
    expect((await fetch(`${r.url}/api/v1/queues`)).status).toBe(401);
    expect((await fetch(`${r.url}/api/v1/queues`, { headers: { 'x-api-key': key } })).status).toBe(200);
    expect(p.stdout() + p.stderr()).not.toContain(key);
    signalGroup(p, 'SIGTERM');
    expect(await p.exited).toBe(0);
  });

  it('exits 5 when the port is taken, 2 when PORT is not a port', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = await runDocket([...base, 'serve', '--port', String(port)], { cwd: tmp.dir });
      expect(r.code).toBe(5);
      expect(r.stderr).toContain(`cannot listen on port ${port}: in use`);
    } finally {
      blocker.close();
    }
    expect((await runDocket([...base, 'serve'], { cwd: tmp.dir, env: { PORT: 'eighty' } })).code).toBe(2);
  });
});

describe('docket worker', () => {
  it('runs jobs another CLI process enqueues; enqueue --wait prints the result or exits 8', async () => {
    const p = start(['worker', '--json', '--concurrency', '2']);
    const r = await ready(p);
    expect(r).toMatchObject({ url: null, scheduler: false });

    const ok = await runJson<{ state: string; result: unknown }>([...base, 'enqueue', 'send-email', '--data', '{"to":"ada@example.com"}', '--wait', '--wait-timeout', '20s'], { cwd: tmp.dir });
    expect(ok.code).toBe(0);
    expect(ok.json).toMatchObject({ state: 'completed', result: { sent: 'ada@example.com' } });

    const human = await runDocket([...base, 'enqueue', 'echo', '--data', '"hi"', '--wait'], { cwd: tmp.dir });
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^result: +"hi"$/m);

    const failed = await runJson([...base, 'enqueue', 'decline', '--wait'], { cwd: tmp.dir });
    expect(failed.code).toBe(8);
    // stderr under --json: progress events (one JSON object a line), then the error as the last line
    const failedLines = failed.stderr.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(failedLines.at(-1).error).toMatchObject({ code: 'JOB_FAILED' });
    expect(failedLines.slice(0, -1).every((l) => l.event === 'progress')).toBe(true);

    // the worker stores the schedules its config declares (as every Docket does at start) but fires none
    const schedules = await runJson<{ schedules: Array<{ name: string; lastFire: unknown }> }>([...base, 'schedules'], { cwd: tmp.dir });
    expect(schedules.json.schedules).toEqual([expect.objectContaining({ name: 'hourly-digest', lastFire: null })]);

    signalGroup(p, 'SIGTERM');
    expect(await p.exited).toBe(0);
  });

  it('enqueue --wait gives up after --wait-timeout with exit 8 when no worker runs', async () => {
    const r = await runJson([...base, 'enqueue', 'echo', '--wait', '--wait-timeout', '300ms'], { cwd: tmp.dir });
    expect(r.code).toBe(8);
    const lines = r.stderr.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines.at(-1).error.code).toBe('WAIT_TIMEOUT');
    expect(lines.slice(0, -1)).toEqual([expect.objectContaining({ event: 'progress', state: 'waiting', progress: null })]);
  });
});

describe('docket schedules', () => {
  it('lists, shows, pauses, resumes and triggers the schedules a serve stored', async () => {
    // a scheduler-only serve stores the config's schedules at start
    const p = start(['serve', '--no-api', '--no-worker', '--json']);
    expect(await ready(p)).toMatchObject({ url: null, worker: null, scheduler: true });
    signalGroup(p, 'SIGTERM');
    expect(await p.exited).toBe(0);

    const list = await runDocket([...base, 'schedules'], { cwd: tmp.dir });
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^NAME\s+TRIGGER\s+STATUS\s+JOB\s+NEXT/);
    expect(list.stdout).toMatch(/^hourly-digest\s+cron 0 \* \* \* \* \(Europe\/Berlin\)\s+active\s+send-email → emails\s+in \d+m/m);

    const show = await runJson<{ name: string; nextFires: string[]; recentFires: unknown[] }>([...base, 'schedules', 'show', 'hourly-digest', '--next', '3'], { cwd: tmp.dir });
    expect(show.json.nextFires).toHaveLength(3);
    expect(new Set(show.json.nextFires.map((d) => new Date(d).getUTCMinutes()))).toEqual(new Set([0]));

    expect((await runDocket([...base, 'schedules', 'pause', 'hourly-digest'], { cwd: tmp.dir })).stdout).toBe('schedule hourly-digest paused\n');
    expect((await runJson<{ schedules: Array<{ paused: boolean }> }>([...base, 'schedules', 'list'], { cwd: tmp.dir })).json.schedules[0]!.paused).toBe(true);
    const resumed = await runJson<{ paused: boolean; nextFireAt: string }>([...base, 'schedules', 'resume', 'hourly-digest'], { cwd: tmp.dir });
    expect(resumed.json.paused).toBe(false);
    expect(Date.parse(resumed.json.nextFireAt)).toBeGreaterThan(Date.now());

    const trig = await runJson<{ jobId: string; name: string }>([...base, 'schedules', 'trigger', 'hourly-digest'], { cwd: tmp.dir });
    expect(trig.code).toBe(0);
    expect(trig.json.name).toBe('send-email');
    const jobs = await runJson<{ jobs: Array<{ id: string; data: unknown; scheduleName: string }> }>([...base, 'jobs', 'list', '--schedule', 'hourly-digest'], { cwd: tmp.dir });
    expect(jobs.json.jobs).toEqual([expect.objectContaining({ id: trig.json.jobId, data: { to: 'digest@example.com' }, scheduleName: 'hourly-digest' })]);
    const human = await runDocket([...base, 'schedules', 'show', 'hourly-digest'], { cwd: tmp.dir });
    expect(human.stdout).toMatch(/^manual\s/m);

    const missing = await runJson([...base, 'schedules', 'trigger', 'nope'], { cwd: tmp.dir });
    expect(missing.code).toBe(3);
    expect(JSON.parse(missing.stderr).error.code).toBe('SCHEDULE_NOT_FOUND');
    expect((await runDocket([...base, 'schedules', 'pause', 'nope'], { cwd: tmp.dir })).code).toBe(3);
    expect((await runDocket([...base, 'schedules', 'show', 'nope'], { cwd: tmp.dir })).code).toBe(3);
    expect((await runDocket([...base, 'schedules', 'resume', 'bad name'], { cwd: tmp.dir })).code).toBe(2);
  });
});
