import type { Context } from 'hono';
import { isLoopbackHost } from '../kit/net.js';

/**
 * Browser-facing protections of the dashboard.
 *
 * CSP: every script and stylesheet is a static file under /assets (no inline
 * script, no inline style, no eval), requests and the event stream go to the
 * same origin only, forms post only to it, and no other site may frame it.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

export function setSecurityHeaders(c: Context, options: { cache?: 'no-store' | 'revalidate' } = {}): void {
  c.header('content-security-policy', CONTENT_SECURITY_POLICY);
  c.header('x-content-type-options', 'nosniff');
  c.header('x-frame-options', 'DENY');
  c.header('referrer-policy', 'same-origin');
  c.header('cross-origin-opener-policy', 'same-origin');
  c.header('cross-origin-resource-policy', 'same-origin');
  c.header('cache-control', options.cache === 'revalidate' ? 'no-cache' : 'no-store');
}

/**
 * Whether a state-changing request comes from a page of this origin. The
 * session cookie is SameSite=Strict, which stops other *sites*; this check
 * also stops other origins of the same site (another port on the same host,
 * a sibling subdomain), which SameSite lets through.
 *
 * - `Sec-Fetch-Site` (sent by every current browser) must be `same-origin`.
 * - Else `Origin` must equal this request's origin (scheme from
 *   X-Forwarded-Proto when a proxy terminates TLS).
 * - A request with neither is refused: browsers send one of them on every
 *   POST, and scripts should use the API with a key instead.
 */
export function sameOriginProblem(c: Context): string | null {
  const site = c.req.header('sec-fetch-site');
  if (site !== undefined) return site === 'same-origin' ? null : `cross-origin request refused (Sec-Fetch-Site: ${site})`;
  const origin = c.req.header('origin');
  if (origin === undefined) return 'request refused: it carries neither Origin nor Sec-Fetch-Site';
  return origin === requestOrigin(c) ? null : 'cross-origin request refused (Origin does not match)';
}

export function requestOrigin(c: Context): string {
  const url = new URL(c.req.url);
  const proto = c.req.header('x-forwarded-proto')?.split(',')[0]?.trim();
  const scheme = proto === 'https' || proto === 'http' ? proto : url.protocol.replace(/:$/, '');
  const host = c.req.header('host') ?? url.host;
  return `${scheme}://${host}`;
}

export function isHttps(c: Context): boolean {
  return requestOrigin(c).startsWith('https:');
}

/**
 * With no API key the dashboard is open, which is safe only while the
 * browser reaches it by a loopback name. A page of another site can make a
 * victim's browser reach 127.0.0.1 under that site's own host name (DNS
 * rebinding); such a request carries the foreign name in Host, and its
 * Origin matches that Host, so the origin check alone would let it act.
 * Requests must therefore name a loopback host (127.x, ::1, localhost).
 */
export function hostIsLoopback(c: Context): boolean {
  const host = c.req.header('host') ?? new URL(c.req.url).host;
  let hostname: string;
  try {
    hostname = new URL(`http://${host}`).hostname;
  } catch {
    return false;
  }
  return isLoopbackHost(hostname);
}
