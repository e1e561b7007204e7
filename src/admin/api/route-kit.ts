import { createRoute, type OpenAPIHono, type RouteConfig } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { requireScope, type AuthEnv, type KeyRing, type Scope } from '../kit/auth.js';
import { problemContent } from './schemas.js';

/**
 * One place that turns a route definition into (a) a validated Hono route
 * and (b) its OpenAPI operation, with the scope it needs in both: the
 * middleware that checks the key and the `security` + `x-docket-scope` the
 * document shows.
 */

export const API_PREFIX = '/api/v1';

export type Access = Scope | 'public';

export const SECURITY_SCHEMES = {
  ApiKeyHeader: { type: 'apiKey', in: 'header', name: 'x-api-key' },
  BearerKey: { type: 'http', scheme: 'bearer', description: 'the same API key, as Authorization: Bearer <key>' },
} as const;

const securityFor = (access: Access): Array<Record<string, string[]>> => (access === 'public' ? [] : [{ ApiKeyHeader: [] }, { BearerKey: [] }]);

function authResponses(access: Access) {
  if (access === 'public') return {};
  const base = { 401: problemContent('no API key, or an unknown one') };
  return access === 'admin' ? { ...base, 403: problemContent('the key has only the read scope') } : base;
}

/** createRoute plus the access level, the matching security and the 401/403 (and 500) responses. */
export function apiRoute<const P extends string, const R extends Omit<RouteConfig, 'path' | 'security'> & { path: P }>(access: Access, config: R) {
  return createRoute({
    ...config,
    security: securityFor(access),
    // the document shows the scope; guard() reads it back, so the two cannot disagree
    'x-docket-scope': access,
    responses: { ...config.responses, ...authResponses(access), 500: problemContent('unexpected server fault (logged)') },
  });
}

export interface RouteMiddleware {
  ring: KeyRing;
  /** Applied to routes with a request body. */
  bodyLimit: MiddlewareHandler;
}

/**
 * Registers the middleware chain of a route (auth, then body cap, then any
 * extras such as the rate limit) ahead of its handler, so a request without
 * a valid key is refused before its body is read.
 */
export function guard(
  app: OpenAPIHono<AuthEnv>,
  route: { method: string; getRoutingPath(): string; 'x-docket-scope': Access; request?: RouteConfig['request'] },
  mw: RouteMiddleware,
  ...extra: MiddlewareHandler<AuthEnv>[]
): void {
  const chain: MiddlewareHandler<AuthEnv>[] = [];
  const access = route['x-docket-scope'];
  if (access !== 'public') chain.push(requireScope(mw.ring, access));
  if (route.request?.body) chain.push(mw.bodyLimit);
  chain.push(...extra);
  if (chain.length > 0) app.on(route.method.toUpperCase(), [route.getRoutingPath()], ...chain);
}
