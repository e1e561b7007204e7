import { afterEach, describe, expect, it } from 'vitest';
import { serveAdmin, type AdminServer, type ServeAdminOptions } from 'docket/http';
import { createTestDocket, ManualClock } from 'docket/testing';
import type { Docket } from '../../src/docket.js';

/**
 * Issue 12, "Dashboard sessions live in one process's memory": sessions are
 * signed cookies now. Real servers on 127.0.0.1 (one store, as two processes
 * behind a load balancer share theirs): a session cookie from server A is
 * accepted by server B with the same secret and refused with another one,
 * refused once expired or tampered with, and kept across a restart.
 */

const ADMIN_KEY = 'admin-key-0123456789abcdef';
const SECRET = 'sessions-test-secret-0123456789abcdef';
const OTHER_SECRET = 'another-test-secret-0123456789abcdef';

let docket: Docket | null = null;
const servers: AdminServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close({ graceMs: 0 });
  await docket?.close({ graceMs: 0 });
  docket = null;
});

async function server(options: Partial<ServeAdminOptions> = {}): Promise<AdminServer> {
  docket ??= createTestDocket();
  const s = await serveAdmin({ docket, keys: { admin: [ADMIN_KEY] }, sessionSecrets: [SECRET], host: '127.0.0.1', port: 0, logger: false, ...options } as ServeAdminOptions);
  servers.push(s);
  return s;
}

async function login(s: AdminServer): Promise<string> {
  const r = await fetch(`${s.url}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: s.url, 'sec-fetch-site': 'same-origin' },
    body: new URLSearchParams({ key: ADMIN_KEY, next: '/workers' }).toString(),
  });
  expect(r.status).toBe(303);
  return r.headers.get('set-cookie')!.split(';')[0]!;
}

/** 200: the session was accepted; 303 to the login page: it was not. */
async function workersPage(s: AdminServer, cookie: string): Promise<number> {
  const r = await fetch(`${s.url}/workers`, { headers: { cookie }, redirect: 'manual' });
  if (r.status === 303) expect(r.headers.get('location')).toMatch(/^\/login\?next=/);
  return r.status;
}

describe('dashboard sessions are signed cookies', () => {
  it('a session from server A is accepted by server B with the same secret, refused by one with another secret', async () => {
    const a = await server();
    const b = await server();
    const c = await server({ sessionSecrets: [OTHER_SECRET] });
    const cookie = await login(a);
    expect(await workersPage(a, cookie)).toBe(200);
    expect(await workersPage(b, cookie)).toBe(200);
    expect(await workersPage(c, cookie)).toBe(303);
  });

  it('a restart keeps the session; a restart without a configured secret does not', async () => {
    const before = await server();
    const cookie = await login(before);
    await before.close();
    const after = await server();
    expect(await workersPage(after, cookie)).toBe(200);

    const ephemeral = await server({ sessionSecrets: undefined });
    const own = await login(ephemeral);
    expect(await workersPage(ephemeral, own)).toBe(200);
    await ephemeral.close();
    expect(await workersPage(await server({ sessionSecrets: undefined }), own)).toBe(303);
  });

  it('rotation: a server that signs with a new secret and still verifies the old one accepts sessions of both', async () => {
    const old = await server();
    const rotated = await server({ sessionSecrets: [OTHER_SECRET, SECRET] });
    const newOnly = await server({ sessionSecrets: [OTHER_SECRET] });
    const oldCookie = await login(old);
    const newCookie = await login(rotated);
    expect(await workersPage(rotated, oldCookie)).toBe(200);
    expect(await workersPage(newOnly, newCookie)).toBe(200);
    expect(await workersPage(newOnly, oldCookie)).toBe(303);
  });

  it('an expired session is refused, by every server', async () => {
    const clock = new ManualClock();
    const a = await server({ clock });
    const b = await server({ clock });
    let cookie = await login(a);
    // used every hour (within the 2 h idle time), alternately on A and B: only the 12 h lifetime ends it
    for (let hour = 1; hour < 12; hour++) {
      await clock.advance(60 * 60_000);
      const r = await fetch(`${(hour % 2 ? b : a).url}/workers`, { headers: { cookie }, redirect: 'manual' });
      expect(r.status, `hour ${hour}`).toBe(200);
      cookie = r.headers.get('set-cookie')?.split(';')[0] ?? cookie;
    }
    await clock.advance(60 * 60_000);
    expect(await workersPage(a, cookie)).toBe(303);
    expect(await workersPage(b, cookie)).toBe(303);
  });

  it('an idle session ends after 2 h; using it re-issues the cookie, which restarts the idle time', async () => {
    const clock = new ManualClock();
    const a = await server({ clock });
    const first = await login(a);
    await clock.advance(90 * 60_000);
    const r = await fetch(`${a.url}/workers`, { headers: { cookie: first }, redirect: 'manual' });
    expect(r.status).toBe(200);
    const renewed = r.headers.get('set-cookie')!.split(';')[0]!;
    expect(renewed).not.toBe(first);
    await clock.advance(90 * 60_000);
    expect(await workersPage(a, first)).toBe(303);
    expect(await workersPage(a, renewed)).toBe(200);
  });

  it('a tampered cookie is refused', async () => {
    const a = await server();
    const cookie = await login(a);
    const [name, value] = cookie.split('=') as [string, string];
    const [v, body, mac] = value.split('.') as [string, string, string];
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as { e: number };
    payload.e += 365 * 24 * 60 * 60_000;
    const extended = `${name}=${v}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${mac}`;
    const flipped = `${name}=${v}.${body}.${mac.startsWith('A') ? 'B' : 'A'}${mac.slice(1)}`;
    expect(await workersPage(a, extended)).toBe(303);
    expect(await workersPage(a, flipped)).toBe(303);
    expect(await workersPage(a, cookie)).toBe(200);
  });

  it("a session ends when its key is removed from the config, and takes the key's current scope", async () => {
    const a = await server();
    const cookie = await login(a);
    expect(await workersPage(await server({ keys: { admin: ['another-admin-key-0123456789'] } }), cookie)).toBe(303);
    const demoted = await server({ keys: { read: [ADMIN_KEY] } });
    const page = await fetch(`${demoted.url}/workers`, { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('You are logged in with a read key');
  });

  it('a secret shorter than 32 characters is refused at start, without echoing it', async () => {
    await expect(server({ sessionSecrets: ['too-short-secret'] })).rejects.toMatchObject({ code: 'INVALID_CONFIG', field: 'sessionSecrets[0]' });
    await expect(server({ sessionSecrets: ['too-short-secret'] })).rejects.not.toThrow(/too-short-secret/);
  });
});
