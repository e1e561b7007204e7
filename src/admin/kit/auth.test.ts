import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../core/errors.js';
import { KeyRing, MIN_KEY_LENGTH, presentedKey } from './auth.js';

const ADMIN = 'admin-0123456789abcdefgh';
const ADMIN2 = 'admin-second-key-0123456789';
const READ = 'read-0123456789abcdefghij';

describe('KeyRing', () => {
  it('authenticates keys with their scope and refuses others', () => {
    const ring = new KeyRing({ admin: [ADMIN, ADMIN2], read: [READ] });
    expect(ring.enabled).toBe(true);
    expect(ring.authenticate(ADMIN)?.scope).toBe('admin');
    expect(ring.authenticate(ADMIN2)?.scope).toBe('admin');
    expect(ring.authenticate(READ)?.scope).toBe('read');
    expect(ring.authenticate(`${ADMIN}x`)).toBeNull();
    expect(ring.authenticate(ADMIN.slice(0, -1))).toBeNull();
    expect(ring.authenticate('')).toBeNull();
    // different keys get different, stable ids (rate-limit buckets)
    expect(ring.authenticate(ADMIN)?.keyId).toBe(ring.authenticate(ADMIN)?.keyId);
    expect(ring.authenticate(ADMIN)?.keyId).not.toBe(ring.authenticate(ADMIN2)?.keyId);
  });

  it('keeps only hashes: the plain key is nowhere in the object', () => {
    const ring = new KeyRing({ admin: [ADMIN], read: [READ] });
    const dump = inspect(ring, { depth: 10, showHidden: true }) + JSON.stringify(ring);
    expect(dump).not.toContain(ADMIN);
    expect(dump).not.toContain(READ);
    expect(dump).not.toContain(Buffer.from(ADMIN).toString('hex'));
  });

  it('is off with no keys', () => {
    expect(new KeyRing({}).enabled).toBe(false);
    expect(new KeyRing({ admin: [], read: [] }).enabled).toBe(false);
    expect(new KeyRing({}).authenticate(ADMIN)).toBeNull();
  });

  it.each([
    [{ admin: ['short'] }, 'keys.admin[0]'],
    [{ read: [READ, ' padded-0123456789abcdef '] }, 'keys.read[1]'],
    [{ admin: [42 as unknown as string] }, 'keys.admin[0]'],
    [{ admin: 'not-a-list' as unknown as string[] }, 'keys.admin'],
  ])('refuses bad keys with INVALID_CONFIG naming the field, never echoing the key (%#)', (keys, field) => {
    let error: unknown;
    try {
      new KeyRing(keys);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ code: 'INVALID_CONFIG', field });
    expect((error as Error).message).not.toContain('short');
    expect((error as Error).message).not.toContain('padded');
  });

  it(`requires at least ${MIN_KEY_LENGTH} characters`, () => {
    expect(() => new KeyRing({ admin: ['x'.repeat(MIN_KEY_LENGTH - 1)] })).toThrow(ValidationError);
    expect(new KeyRing({ admin: ['x'.repeat(MIN_KEY_LENGTH)] }).enabled).toBe(true);
  });
});

describe('presentedKey', () => {
  const h = (init: Record<string, string>) => new Headers(init);
  it('reads x-api-key first, then Authorization: Bearer (any case)', () => {
    expect(presentedKey(h({ 'x-api-key': 'abc' }))).toBe('abc');
    expect(presentedKey(h({ authorization: 'Bearer abc' }))).toBe('abc');
    expect(presentedKey(h({ authorization: 'bearer   abc ' }))).toBe('abc');
    // both headers: fine when they agree; two different keys are a conflict (401), never a silent pick
    expect(presentedKey(h({ 'x-api-key': 'one', authorization: 'Bearer one' }))).toBe('one');
    expect(presentedKey(h({ 'x-api-key': 'one', authorization: 'Bearer two' }))).toEqual({ conflict: true });
    expect(presentedKey(h({ 'x-api-key': 'one', authorization: 'Basic dXNlcjpwdw==' }))).toBe('one');
    expect(presentedKey(h({ authorization: 'Basic abc' }))).toBeNull();
    expect(presentedKey(h({}))).toBeNull();
  });
});
