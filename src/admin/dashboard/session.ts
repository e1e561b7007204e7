import { randomBytes } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import type { Principal } from '../kit/auth.js';

/**
 * Dashboard sessions: a random id (256 bits, in an HttpOnly SameSite=Strict
 * cookie) mapped in memory to the scope of the key that logged in, with an
 * absolute expiry and an idle timeout. The key itself is never stored, so a
 * session can only be used for what its key could do, until it expires, the
 * user logs out or the process restarts (which logs everyone out: sessions
 * are per process on purpose, nothing to leak from a store).
 */
export interface Session {
  id: string;
  principal: Principal;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
}

export interface SessionOptions {
  /** Absolute lifetime. Default 12 h. */
  ttlMs?: number;
  /** A session unused this long ends. Default 2 h. */
  idleMs?: number;
  /** Oldest sessions are dropped beyond this many. Default 10 000. */
  maxSessions?: number;
}

export const DEFAULT_SESSION_TTL_MS = 12 * 60 * 60_000;
export const DEFAULT_SESSION_IDLE_MS = 2 * 60 * 60_000;
export const DEFAULT_MAX_SESSIONS = 10_000;
export const SESSION_COOKIE = 'docket_session';

const ID_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export class SessionStore {
  /** Insertion order = creation order, so the first entries are the oldest. */
  private readonly sessions = new Map<string, Session>();
  private readonly ttlMs: number;
  private readonly idleMs: number;
  private readonly maxSessions: number;

  constructor(
    private readonly clock: Pick<Clock, 'now'>,
    options: SessionOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? DEFAULT_SESSION_TTL_MS;
    this.idleMs = options.idleMs ?? DEFAULT_SESSION_IDLE_MS;
    this.maxSessions = options.maxSessions ?? DEFAULT_MAX_SESSIONS;
  }

  get size(): number {
    return this.sessions.size;
  }

  create(principal: Principal): Session {
    const now = this.clock.now();
    this.purge(now);
    while (this.sessions.size >= this.maxSessions) {
      const oldest = this.sessions.keys().next().value;
      if (oldest === undefined) break;
      this.sessions.delete(oldest);
    }
    const session: Session = { id: randomBytes(32).toString('base64url'), principal, createdAt: now, lastSeenAt: now, expiresAt: now + this.ttlMs };
    this.sessions.set(session.id, session);
    return session;
  }

  /** The live session with this id (its idle clock restarts), or null. */
  get(id: string | undefined | null): Session | null {
    if (!id || !ID_PATTERN.test(id)) return null;
    const session = this.sessions.get(id);
    if (!session) return null;
    const now = this.clock.now();
    if (now >= session.expiresAt || now - session.lastSeenAt >= this.idleMs) {
      this.sessions.delete(id);
      return null;
    }
    session.lastSeenAt = now;
    return session;
  }

  delete(id: string | undefined | null): void {
    if (id) this.sessions.delete(id);
  }

  clear(): void {
    this.sessions.clear();
  }

  private purge(now: number): void {
    for (const [id, s] of this.sessions) {
      if (now >= s.expiresAt || now - s.lastSeenAt >= this.idleMs) this.sessions.delete(id);
    }
  }
}
