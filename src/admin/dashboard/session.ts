import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import { ValidationError } from '../../core/errors.js';
import type { Principal, Scope } from '../kit/auth.js';

/**
 * Dashboard sessions as signed cookies: the cookie itself carries the scope
 * and key id of the key that logged in, when it was issued, when it was last
 * used and when it expires, signed with HMAC-SHA256. No server keeps session
 * state, so any process holding the same secret accepts the cookie (several
 * servers behind a load balancer, a restarted server), and a forged or
 * altered cookie, or one signed with another secret, is refused.
 *
 * - Format: `v1.<payload>.<mac>`, both base64url; the MAC covers a fixed
 *   domain label and the payload text, so a secret shared with something else
 *   cannot be used to mint sessions by signing other data.
 * - Rotation: several secrets; the first signs, every one verifies
 *   (docs/dashboard.md, "Sessions").
 * - Expiry lives inside the signed payload: an absolute lifetime (`ttlMs`)
 *   and an idle timeout (`idleMs`) whose clock restarts when the cookie is
 *   re-issued (at most once a minute, on use), so neither can be extended by
 *   the browser.
 * - The key itself is never in the cookie; its 8-hex-digit id is, and the
 *   dashboard also checks that a key with that id is still configured, so
 *   removing a key from the config ends the sessions it opened.
 * - Logging out deletes the cookie in the browser; a copy taken before stays
 *   valid until it expires (there is no server-side list to strike it from).
 *   Rotating every secret ends all sessions at once.
 */
export interface Session {
  principal: Principal;
  issuedAt: number;
  /** The last time the cookie was (re-)issued: the start of the idle timeout. */
  seenAt: number;
  expiresAt: number;
}

export interface SessionOptions {
  /** Signing secrets (see above). None: a random secret for this process only. */
  secrets?: string | readonly string[] | undefined;
  /** Absolute lifetime. Default 12 h. */
  ttlMs?: number;
  /** A session unused this long ends. Default 2 h. */
  idleMs?: number;
}

export const DEFAULT_SESSION_TTL_MS = 12 * 60 * 60_000;
export const DEFAULT_SESSION_IDLE_MS = 2 * 60 * 60_000;
/** A used session is re-issued (its idle clock restarted) when its cookie is older than this. */
export const SESSION_REFRESH_AFTER_MS = 60_000;
export const SESSION_COOKIE = 'docket_session';
/** A secret is a random string (`openssl rand -base64 32` gives 44 characters), not a password. */
export const MIN_SESSION_SECRET_LENGTH = 32;
const MAX_SESSION_SECRET_LENGTH = 4096;
/** Well above any cookie this module writes (~170 characters): longer values are refused unread. */
const MAX_COOKIE_LENGTH = 1024;
const VERSION = 'v1';
const MAC_LABEL = 'docket.dashboard-session.v1.';
const KEY_ID = /^[0-9a-f]{8}$/;

interface Payload {
  /** scope */
  s: Scope;
  /** key id */
  k: string;
  /** issued at, last seen at, expires at (ms since the epoch) */
  i: number;
  l: number;
  e: number;
}

export class SessionSigner {
  private readonly secrets: Buffer[];
  /** No secret was configured: the secret is random and lives only in this process. */
  readonly ephemeral: boolean;
  private readonly ttlMs: number;
  private readonly idleMs: number;

  constructor(
    private readonly clock: Pick<Clock, 'now'>,
    options: SessionOptions = {},
  ) {
    const configured = sessionSecrets(options.secrets);
    this.ephemeral = configured.length === 0;
    this.secrets = this.ephemeral ? [randomBytes(32)] : configured.map((s) => Buffer.from(s, 'utf8'));
    this.ttlMs = options.ttlMs ?? DEFAULT_SESSION_TTL_MS;
    this.idleMs = options.idleMs ?? DEFAULT_SESSION_IDLE_MS;
  }

  /** A new session for a principal that just logged in, and its cookie value. */
  issue(principal: Principal): { session: Session; value: string } {
    const now = this.clock.now();
    const session: Session = { principal, issuedAt: now, seenAt: now, expiresAt: now + this.ttlMs };
    return { session, value: this.sign(session) };
  }

  /** The same session seen now (its idle clock restarted), and its cookie value. */
  refresh(session: Session): { session: Session; value: string } {
    const renewed = { ...session, seenAt: this.clock.now() };
    return { session: renewed, value: this.sign(renewed) };
  }

  /** Whether a session in use should be re-issued so that its idle timeout starts again. */
  needsRefresh(session: Session): boolean {
    return this.clock.now() - session.seenAt >= SESSION_REFRESH_AFTER_MS;
  }

  /** The session a cookie value carries: null unless one of the secrets signed it and it has neither expired nor idled out. */
  verify(value: string | undefined | null): Session | null {
    if (!value || value.length > MAX_COOKIE_LENGTH) return null;
    const parts = value.split('.');
    if (parts.length !== 3 || parts[0] !== VERSION) return null;
    const [, body, mac] = parts as [string, string, string];
    const presented = Buffer.from(mac, 'base64url');
    if (presented.length !== 32) return null;
    let valid = false;
    // every secret is tried (no early exit), each comparison in constant time
    for (const secret of this.secrets) if (timingSafeEqual(this.mac(secret, body), presented)) valid = true;
    if (!valid) return null;
    const session = parsePayload(body);
    if (!session) return null;
    const now = this.clock.now();
    if (now >= session.expiresAt || now - session.seenAt >= this.idleMs) return null;
    return session;
  }

  private sign(session: Session): string {
    const payload: Payload = { s: session.principal.scope, k: session.principal.keyId, i: session.issuedAt, l: session.seenAt, e: session.expiresAt };
    const body = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
    return `${VERSION}.${body}.${this.mac(this.secrets[0]!, body).toString('base64url')}`;
  }

  private mac(secret: Buffer, body: string): Buffer {
    return createHmac('sha256', secret).update(MAC_LABEL).update(body).digest();
  }
}

/** The configured secrets, checked: each a string of 32 to 4096 characters; never echoed in an error. */
export function sessionSecrets(value: unknown, field = 'sessionSecrets'): string[] {
  if (value === undefined || value === null) return [];
  if (typeof value !== 'string' && !Array.isArray(value)) throw new ValidationError('INVALID_CONFIG', field, `${field} must be a string or an array of strings`);
  const list: unknown[] = typeof value === 'string' ? [value] : value;
  return list.map((secret, i) => {
    const where = typeof value === 'string' ? field : `${field}[${i}]`;
    if (typeof secret !== 'string' || secret.length < MIN_SESSION_SECRET_LENGTH || secret.length > MAX_SESSION_SECRET_LENGTH) {
      throw new ValidationError('INVALID_CONFIG', where, `${where} must be a string of ${MIN_SESSION_SECRET_LENGTH} to ${MAX_SESSION_SECRET_LENGTH} characters (e.g. \`openssl rand -base64 32\`)`);
    }
    return secret;
  });
}

/** A payload that passed the MAC check, read strictly all the same. */
function parsePayload(body: string): Session | null {
  let p: Partial<Payload>;
  try {
    p = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Partial<Payload>;
  } catch {
    return null;
  }
  if (typeof p !== 'object' || p === null) return null;
  if ((p.s !== 'admin' && p.s !== 'read') || typeof p.k !== 'string' || !KEY_ID.test(p.k)) return null;
  if (![p.i, p.l, p.e].every((n) => typeof n === 'number' && Number.isFinite(n))) return null;
  return { principal: { scope: p.s, keyId: p.k }, issuedAt: p.i!, seenAt: p.l!, expiresAt: p.e! };
}
