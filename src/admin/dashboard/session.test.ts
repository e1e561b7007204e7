import { describe, expect, test } from 'vitest';
import { ManualClock } from '../../core/clock.js';
import { SessionStore } from './session.js';

const admin = { scope: 'admin' as const, keyId: 'abcd1234' };

describe('SessionStore', () => {
  test('a session is found by its id until its absolute expiry', async () => {
    const clock = new ManualClock();
    const sessions = new SessionStore(clock, { ttlMs: 10_000, idleMs: 60_000 });
    const s = sessions.create(admin);
    expect(s.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(sessions.get(s.id)?.principal).toEqual(admin);
    await clock.advance(9_999);
    expect(sessions.get(s.id)).not.toBeNull();
    await clock.advance(1);
    expect(sessions.get(s.id)).toBeNull();
    expect(sessions.size).toBe(0);
  });

  test('an unused session ends after the idle time; use keeps it alive', async () => {
    const clock = new ManualClock();
    const sessions = new SessionStore(clock, { ttlMs: 100_000, idleMs: 1_000 });
    const s = sessions.create(admin);
    await clock.advance(900);
    expect(sessions.get(s.id)).not.toBeNull();
    await clock.advance(900);
    expect(sessions.get(s.id)).not.toBeNull();
    await clock.advance(1_000);
    expect(sessions.get(s.id)).toBeNull();
  });

  test('ids are random and malformed or unknown ids find nothing', () => {
    const sessions = new SessionStore(new ManualClock());
    const a = sessions.create(admin);
    const b = sessions.create(admin);
    expect(a.id).not.toBe(b.id);
    for (const id of [undefined, null, '', 'x', `${a.id}x`, a.id.slice(1), 'A'.repeat(43)]) expect(sessions.get(id)).toBeNull();
  });

  test('logout deletes; beyond maxSessions the oldest is dropped', () => {
    const sessions = new SessionStore(new ManualClock(), { maxSessions: 2 });
    const a = sessions.create(admin);
    const b = sessions.create(admin);
    const c = sessions.create(admin);
    expect(sessions.get(a.id)).toBeNull();
    expect(sessions.get(b.id)).not.toBeNull();
    sessions.delete(b.id);
    expect(sessions.get(b.id)).toBeNull();
    expect(sessions.get(c.id)).not.toBeNull();
  });
});
