import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { ValidationError } from '../../core/errors.js';
import { HttpProblem } from './problem.js';

/**
 * API keys with two scopes: `read` (every GET) and `admin` (everything,
 * including mutations). Keys are hashed (SHA-256) as soon as they are given
 * and the plain text is dropped; a presented key is hashed and compared with
 * every stored hash in constant time, without stopping at the first match,
 * so neither a key's bytes nor its position in the list leak through timing.
 */
export type Scope = 'read' | 'admin';

export interface ApiKeys {
  admin?: readonly string[];
  read?: readonly string[];
}

/** Shorter keys are refused: an admin key is a bearer credential, not a password. */
export const MIN_KEY_LENGTH = 16;
const MAX_KEY_LENGTH = 4096;

interface StoredKey {
  hash: Buffer;
  scope: Scope;
  /** A short, non-reversible label (first 8 hex chars of the hash) for rate-limit buckets. */
  id: string;
}

export interface Principal {
  scope: Scope;
  /** `anonymous` when auth is off. */
  keyId: string;
}

export class KeyRing {
  private readonly keys: StoredKey[];

  constructor(keys: ApiKeys) {
    this.keys = [];
    for (const scope of ['admin', 'read'] as const) {
      const list = keys[scope] ?? [];
      if (!Array.isArray(list)) throw new ValidationError('INVALID_CONFIG', `keys.${scope}`, `keys.${scope} must be an array of strings`);
      list.forEach((key, i) => {
        if (typeof key !== 'string' || key.length < MIN_KEY_LENGTH || key.length > MAX_KEY_LENGTH || key.trim() !== key) {
          // never echo the key itself
          throw new ValidationError(
            'INVALID_CONFIG',
            `keys.${scope}[${i}]`,
            `keys.${scope}[${i}] must be a string of ${MIN_KEY_LENGTH} to ${MAX_KEY_LENGTH} characters without surrounding whitespace`,
          );
        }
        const hash = sha256(key);
        this.keys.push({ hash, scope, id: hash.subarray(0, 4).toString('hex') });
      });
    }
  }

  /** False when no key is configured: every request is allowed (the server must then listen on loopback only). */
  get enabled(): boolean {
    return this.keys.length > 0;
  }

  /** The principal a presented key authenticates, or null. Constant time in the key's content. */
  authenticate(presented: string): Principal | null {
    const hash = sha256(presented);
    let match: StoredKey | null = null;
    for (const key of this.keys) {
      // both sides are 32-byte digests, so timingSafeEqual never throws on length
      if (timingSafeEqual(key.hash, hash) && match === null) match = key;
    }
    return match ? { scope: match.scope, keyId: match.id } : null;
  }

  /**
   * The principal of a configured key, by its id (what a dashboard session
   * carries), or null once no configured key has that id: removing a key ends
   * the sessions it opened, and a key's scope is read from the config, not the cookie.
   */
  principalOf(keyId: string): Principal | null {
    const key = this.keys.find((k) => k.id === keyId);
    return key ? { scope: key.scope, keyId: key.id } : null;
  }
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/**
 * The key of a request: `x-api-key`, or `Authorization: Bearer <key>`. Sending
 * both is allowed when they carry the same key; two different keys are
 * `conflict` (answered 401: the server never guesses which one was meant). An
 * `Authorization` header of another scheme (Basic, from a proxy) is not a key
 * and is ignored.
 */
export function presentedKey(headers: { get(name: string): string | null | undefined }): string | null | { conflict: true } {
  const header = headers.get('x-api-key')?.trim() || null;
  const authz = headers.get('authorization');
  const bearer = authz ? (/^Bearer\s+(.+)$/i.exec(authz.trim())?.[1]?.trim() ?? null) : null;
  if (header !== null && bearer !== null && header !== bearer) return { conflict: true };
  return header ?? bearer;
}

/**
 * What the admin app's middleware and routes share per request: the principal
 * (set by auth), and, set by the app's first middleware, its public `basePath`
 * and the request path relative to the app (`appPath`; see kit/base-path.ts).
 */
export type AuthEnv = { Variables: { principal: Principal; basePath: string; appPath: string } };

/**
 * Requires a key with at least `scope`. With auth off every request passes as
 * an anonymous admin (the bind guard in serve.ts makes that loopback-only).
 */
export function requireScope(ring: KeyRing, scope: Scope): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    if (!ring.enabled) {
      c.set('principal', { scope: 'admin', keyId: 'anonymous' });
      return next();
    }
    const key = presentedKey(c.req.raw.headers);
    if (typeof key === 'object' && key !== null) {
      throw new HttpProblem('UNAUTHORIZED', 'x-api-key and Authorization: Bearer carry different keys; send one key (or the same key in both)', {}, { 'www-authenticate': 'Bearer realm="docket", error="invalid_request"' });
    }
    if (key === null) throw new HttpProblem('UNAUTHORIZED', 'send an API key in the x-api-key header or as Authorization: Bearer <key>', {}, { 'www-authenticate': 'Bearer realm="docket"' });
    const principal = ring.authenticate(key);
    if (!principal) throw new HttpProblem('UNAUTHORIZED', 'the API key is not valid', {}, { 'www-authenticate': 'Bearer realm="docket", error="invalid_token"' });
    if (scope === 'admin' && principal.scope !== 'admin') throw new HttpProblem('FORBIDDEN', 'this operation needs a key with the admin scope; the key given has the read scope');
    c.set('principal', principal);
    return next();
  };
}
