import { createHmac } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { ManualClock } from '../../core/clock.js';
import { DEFAULT_SESSION_TTL_MS, SESSION_REFRESH_AFTER_MS, SessionSigner, sessionSecrets } from './session.js';

const admin = { scope: 'admin' as const, keyId: 'abcd1234' };
const SECRET_A = 'secret-a-0123456789abcdef0123456789abcdef';
const SECRET_B = 'secret-b-0123456789abcdef0123456789abcdef';

/** Replaces the cookie's payload (keeping its MAC): what a user editing the cookie would try. */
function withPayload(value: string, edit: (p: Record<string, unknown>) => void): string {
  const [v, body, mac] = value.split('.') as [string, string, string];
  const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Record<string, unknown>;
  edit(payload);
  return `${v}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${mac}`;
}

describe('SessionSigner', () => {
  test('a cookie signed with one secret is accepted by another signer with the same secret, refused with another', () => {
    const clock = new ManualClock();
    const a = new SessionSigner(clock, { secrets: SECRET_A });
    const { value } = a.issue(admin);
    expect(value).toMatch(/^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(value).not.toContain(SECRET_A);
    expect(new SessionSigner(clock, { secrets: [SECRET_A] }).verify(value)?.principal).toEqual(admin);
    expect(new SessionSigner(clock, { secrets: [SECRET_B] }).verify(value)).toBeNull();
  });

  test('rotation: the first secret signs, every secret verifies', () => {
    const clock = new ManualClock();
    const old = new SessionSigner(clock, { secrets: [SECRET_A] }).issue(admin).value;
    const rotated = new SessionSigner(clock, { secrets: [SECRET_B, SECRET_A] });
    expect(rotated.verify(old)?.principal).toEqual(admin);
    const fresh = rotated.issue(admin).value;
    expect(new SessionSigner(clock, { secrets: [SECRET_B] }).verify(fresh)).not.toBeNull();
    // once the old secret is dropped, the sessions it signed end
    expect(new SessionSigner(clock, { secrets: [SECRET_B] }).verify(old)).toBeNull();
  });

  test('the absolute expiry is inside the signed payload', async () => {
    const clock = new ManualClock();
    const signer = new SessionSigner(clock, { secrets: SECRET_A, ttlMs: 10_000, idleMs: 60_000 });
    const { value, session } = signer.issue(admin);
    expect(session.expiresAt - session.issuedAt).toBe(10_000);
    await clock.advance(9_999);
    expect(signer.verify(value)).not.toBeNull();
    await clock.advance(1);
    expect(signer.verify(value)).toBeNull();
    // pushing the expiry out breaks the signature
    expect(signer.verify(withPayload(value, (p) => (p.e = Number(p.e) + 3_600_000)))).toBeNull();
  });

  test('an unused session ends after the idle time; re-issuing restarts the idle clock but never the absolute one', async () => {
    const clock = new ManualClock();
    const signer = new SessionSigner(clock, { secrets: SECRET_A, ttlMs: 100_000, idleMs: 10_000 });
    let { value, session } = signer.issue(admin);
    expect(signer.needsRefresh(session)).toBe(false);
    await clock.advance(9_000);
    const seen = signer.verify(value)!;
    ({ value, session } = signer.refresh(seen));
    expect(session.expiresAt).toBe(seen.expiresAt);
    await clock.advance(9_000);
    expect(signer.verify(value)).not.toBeNull();
    await clock.advance(1_000);
    expect(signer.verify(value)).toBeNull();
  });

  test('a session in use asks to be re-issued once a minute', async () => {
    const clock = new ManualClock();
    const signer = new SessionSigner(clock, { secrets: SECRET_A });
    const { session } = signer.issue(admin);
    await clock.advance(SESSION_REFRESH_AFTER_MS - 1);
    expect(signer.needsRefresh(session)).toBe(false);
    await clock.advance(1);
    expect(signer.needsRefresh(session)).toBe(true);
  });

  test('tampered, truncated, foreign and malformed values are refused', () => {
    const clock = new ManualClock();
    const signer = new SessionSigner(clock, { secrets: SECRET_A });
    const { value } = signer.issue({ scope: 'read', keyId: 'abcd1234' });
    const [v, body, mac] = value.split('.') as [string, string, string];
    const flipped = `${mac.slice(0, -2)}${mac.endsWith('AA') ? 'BA' : 'AA'}`;
    const promoted = withPayload(value, (p) => (p.s = 'admin'));
    const candidates = [
      promoted,
      `${v}.${body}.${flipped}`,
      `${v}.${body}`,
      `v2.${body}.${mac}`,
      `${v}.${body}.${mac}.x`,
      `${v}.${body}.${mac.slice(0, 20)}`,
      'A'.repeat(43),
      '',
      undefined,
      null,
      `${v}.${'A'.repeat(2000)}.${mac}`,
    ];
    for (const candidate of candidates) expect(signer.verify(candidate), String(candidate)).toBeNull();
    // a correctly signed payload of the wrong shape is refused too (e.g. one minted with a leaked secret by an older format)
    const odd = Buffer.from(JSON.stringify({ s: 'root', k: 'abcd1234', i: 0, l: 0, e: DEFAULT_SESSION_TTL_MS })).toString('base64url');
    const oddMac = createHmac('sha256', SECRET_A).update('docket.dashboard-session.v1.').update(odd).digest('base64url');
    expect(signer.verify(`v1.${odd}.${oddMac}`)).toBeNull();
  });

  test('without a secret: a random one per signer, so another process refuses the cookie', () => {
    const clock = new ManualClock();
    const a = new SessionSigner(clock);
    expect(a.ephemeral).toBe(true);
    const { value } = a.issue(admin);
    expect(a.verify(value)).not.toBeNull();
    expect(new SessionSigner(clock).verify(value)).toBeNull();
  });

  test('secrets are checked and never echoed', () => {
    expect(sessionSecrets(undefined)).toEqual([]);
    expect(sessionSecrets(SECRET_A)).toEqual([SECRET_A]);
    expect(() => sessionSecrets('short-secret')).toThrow(/sessionSecrets must be a string of 32/);
    expect(() => sessionSecrets([SECRET_A, 'short-secret'])).toThrow(/sessionSecrets\[1\]/);
    expect(() => sessionSecrets(42)).toThrow(/string or an array/);
    try {
      sessionSecrets(['x'.repeat(10)]);
    } catch (error) {
      expect(String(error)).not.toContain('x'.repeat(10));
      expect((error as { code: string }).code).toBe('INVALID_CONFIG');
    }
  });
});
