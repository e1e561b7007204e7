/**
 * Issue 12: dashboard sessions survive a restart of `docket serve` when
 * DOCKET_SESSION_SECRET is set, as a user runs it (the built CLI binary, one
 * process after the other on one SQLite file). Without a secret the server
 * warns at start and a restart logs the browser out.
 */
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BIN, ensureBuilt, FIXTURE_CONFIG, signalGroup, spawnLong, tempDir, type LongRunning } from './helpers.js';

const KEY = 'session-admin-key-0123456789';
const SECRET = 'cli-session-secret-0123456789abcdef-0123';

let tmp: ReturnType<typeof tempDir>;
const running: LongRunning[] = [];

beforeAll(async () => {
  await ensureBuilt();
}, 180_000);

beforeEach(() => {
  tmp = tempDir();
});

afterEach(async () => {
  for (const p of running.splice(0)) {
    signalGroup(p, 'SIGKILL');
    await p.exited;
  }
  tmp.cleanup();
});

async function serve(env: Record<string, string>): Promise<{ p: LongRunning; url: string }> {
  const args = ['--store', `sqlite:${join(tmp.dir, 'docket.db')}`, '--config', FIXTURE_CONFIG, 'serve', '--port', '0', '--json', '--no-worker', '--no-scheduler'];
  const p = spawnLong(process.execPath, [BIN, ...args], { cwd: tmp.dir, env: { DOCKET_ADMIN_KEY: KEY, ...env } });
  running.push(p);
  const ready = JSON.parse(await p.waitFor(/"event":"ready"/)) as { url: string };
  return { p, url: ready.url };
}

async function stop(p: LongRunning): Promise<void> {
  signalGroup(p, 'SIGTERM');
  expect(await p.exited).toBe(0);
}

async function login(url: string): Promise<string> {
  const r = await fetch(`${url}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: url, 'sec-fetch-site': 'same-origin' },
    body: new URLSearchParams({ key: KEY, next: '/' }).toString(),
  });
  expect(r.status).toBe(303);
  return r.headers.get('set-cookie')!.split(';')[0]!;
}

const overview = async (url: string, cookie: string) => (await fetch(`${url}/`, { headers: { cookie }, redirect: 'manual' })).status;

describe('docket serve: dashboard sessions', () => {
  it('with DOCKET_SESSION_SECRET a session survives a restart; without one the server warns and a restart logs out', async () => {
    const first = await serve({ DOCKET_SESSION_SECRET: SECRET });
    expect(first.p.stderr()).not.toContain('no session secret');
    const cookie = await login(first.url);
    expect(await overview(first.url, cookie)).toBe(200);
    await stop(first.p);

    const second = await serve({ DOCKET_SESSION_SECRET: `${SECRET},old-secret-0123456789abcdef-0123456789` });
    expect(await overview(second.url, cookie)).toBe(200);
    expect(second.p.stdout() + second.p.stderr()).not.toContain(SECRET);
    await stop(second.p);

    const ephemeral = await serve({});
    expect(ephemeral.p.stderr()).toContain('no session secret configured');
    const own = await login(ephemeral.url);
    expect(await overview(ephemeral.url, cookie)).toBe(303);
    await stop(ephemeral.p);
    const restarted = await serve({});
    expect(await overview(restarted.url, own)).toBe(303);
  });

  it('a secret shorter than 32 characters stops the start with exit 5, without printing it', async () => {
    const args = ['--store', `sqlite:${join(tmp.dir, 'docket.db')}`, '--config', FIXTURE_CONFIG, 'serve', '--port', '0', '--no-worker', '--no-scheduler'];
    const p = spawnLong(process.execPath, [BIN, ...args], { cwd: tmp.dir, env: { DOCKET_ADMIN_KEY: KEY, DOCKET_SESSION_SECRET: 'short-secret-value' } });
    running.push(p);
    expect(await p.exited).toBe(5);
    expect(p.stderr()).toContain('sessionSecrets');
    expect(p.stdout() + p.stderr()).not.toContain('short-secret-value');
  });
});
