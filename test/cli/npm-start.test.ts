/**
 * `npm start` exactly as package.json runs it (the demo config through tsx
 * from source), on a temporary database and a free port: jobs enqueued
 * through the API complete, the schedules fire, the flaky job is retried,
 * and SIGTERM stops it.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ROOT, signalGroup, spawnLong, tempDir, until, type LongRunning } from './helpers.js';

let tmp: ReturnType<typeof tempDir>;
let server: LongRunning | null = null;

beforeEach(() => {
  tmp = tempDir();
});

afterEach(async () => {
  if (server) {
    signalGroup(server, 'SIGKILL');
    await server.exited;
    server = null;
  }
  tmp.cleanup();
});

interface Job {
  id: string;
  name: string;
  state: string;
  attempt: number;
  result: unknown;
  progress: { current: number; total: number | null } | null;
}

describe('npm start', () => {
  it('serves the demo: API jobs complete, schedules fire, a failing job is retried; SIGTERM stops it', async () => {
    // the same command line as `npm start`, with the store and port overridden (later flags win)
    server = spawnLong('npm', ['start', '--', '--store', `sqlite:${join(tmp.dir, 'docket.db')}`, '--port', '0'], { cwd: ROOT });
    const line = await server.waitFor(/admin API on http/, 90_000);
    const url = /(http:\/\/127\.0\.0\.1:\d+)/.exec(line)![1]!;
    expect(line).toContain('scheduler');

    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);

    const post = await fetch(`${url}/api/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'send-welcome-email', data: { to: 'test@example.com' } }) });
    expect(post.status).toBe(201);
    const { id } = (await post.json()) as { id: string };
    let job: Job | null = null;
    await until(async () => {
      job = (await (await fetch(`${url}/api/v1/jobs/${id}`)).json()) as Job;
      return job.state === 'completed';
    }, 'the enqueued job to complete');
    expect(job!.result).toMatchObject({ delivered: 'test@example.com' });

    // the `signups` interval schedule fires and fans out; sync-crm fails its first attempt and completes on the retry
    await server.waitFor(/schedule signups fired/, 30_000);
    await until(async () => {
      const page = (await (await fetch(`${url}/api/v1/jobs?name=sync-crm&state=completed`)).json()) as { jobs: Job[] };
      return page.jobs.some((j) => j.attempt === 2);
    }, 'a sync-crm job to complete on its second attempt', 30_000);
    const resized = (await (await fetch(`${url}/api/v1/jobs?name=resize-image&state=completed`)).json()) as { jobs: Job[] };
    await until(async () => {
      const page = (await (await fetch(`${url}/api/v1/jobs?name=resize-image&state=completed`)).json()) as { jobs: Job[] };
      resized.jobs = page.jobs;
      return page.jobs.length > 0;
    }, 'an image resize to complete', 30_000);
    expect(resized.jobs[0]!.progress).toMatchObject({ current: 4, total: 4 });

    signalGroup(server, 'SIGTERM');
    await server.exited;
    expect(server.stdout()).toMatch(/docket: stopped after /);
    server = null;
  }, 120_000);
});
