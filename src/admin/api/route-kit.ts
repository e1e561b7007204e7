import { createRoute, z, type OpenAPIHono, type RouteConfig } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { requireScope, type AuthEnv, type KeyRing, type Scope } from '../kit/auth.js';
import { underBase } from '../kit/base-path.js';
import { requireUtf8Body } from './utf8-body.js';
import { problemContent } from './schemas.js';

/**
 * One place that turns a route definition into (a) a validated Hono route
 * and (b) its OpenAPI operation, with the scope it needs in both: the
 * middleware that checks the key and the `security` + `x-docket-scope` the
 * document shows.
 */

export const API_PREFIX = '/api/v1';

export type Access = Scope | 'public';

/** The `Location` of a job: a path under the app's basePath, so it holds wherever the app is mounted. */
export function jobLocation(c: Context<AuthEnv>, id: string): string {
  return underBase(c.get('basePath'), `${API_PREFIX}/jobs/${encodeURIComponent(id)}`);
}

export const SECURITY_SCHEMES = {
  ApiKeyHeader: { type: 'apiKey', in: 'header', name: 'x-api-key' },
  BearerKey: { type: 'http', scheme: 'bearer', description: 'the same API key, as Authorization: Bearer <key>' },
} as const;

const securityFor = (access: Access): Array<Record<string, string[]>> => (access === 'public' ? [] : [{ ApiKeyHeader: [] }, { BearerKey: [] }]);

function authResponses(access: Access) {
  if (access === 'public') return {};
  const base = { 401: problemContent('no API key, an unknown one, or two different keys (x-api-key and Authorization: Bearer disagree)') };
  return access === 'admin' ? { ...base, 403: problemContent('the key has only the read scope') } : base;
}

/**
 * Every `/api/v1` operation refuses query parameters it does not declare (400
 * INVALID_OPTION naming them), so a typo such as `?stat=failed` is an error,
 * not a silently unfiltered answer. `/healthz` and `/metrics` (probes and
 * scrapers, which may add their own parameters) ignore the query string.
 */
function strictRequest(path: string, request: RouteConfig['request']): RouteConfig['request'] {
  if (!path.startsWith(API_PREFIX)) return request;
  const query = request?.query;
  if (query === undefined) return { ...request, query: z.object({}).strict() };
  if (query instanceof z.ZodObject) return { ...request, query: query.strict() };
  return request;
}

/**
 * An operation that takes no input and no key (`/healthz`, a public `/metrics`) has no 4xx of
 * docket's own. The HTTP server in front still refuses a malformed request before docket sees
 * it, and that is what this declares (without a problem body: docket never wrote it).
 */
const HTTP_LAYER_4XX = {
  '4XX': { description: 'refused by the HTTP server before docket handled it: a malformed request line or Host header (400), headers too large (431); no problem body' },
} as const;

/** The statuses any operation can answer, by what it takes: declared once here, so none is forgotten. */
function commonResponses(path: string, request: RouteConfig['request']) {
  const takesInput = path.startsWith(API_PREFIX) || request?.params !== undefined || request?.query !== undefined || request?.body !== undefined;
  return {
    ...(takesInput
      ? {
          400: problemContent(
            'invalid input: INVALID_OPTION (a bad, unknown or repeated query parameter, or a bad body field), INVALID_NAME (a name or path parameter), INVALID_REQUEST (malformed JSON, invalid UTF-8, a body that is not an object)',
          ),
        }
      : {}),
    ...(request?.body
      ? {
          413: problemContent('the request body is larger than the server accepts (PAYLOAD_TOO_LARGE)'),
          415: problemContent('the body is not sent as Content-Type: application/json (UNSUPPORTED_MEDIA_TYPE)'),
        }
      : {}),
  };
}

/**
 * Every operation names an `operationId`: generated clients call it by that
 * name (`client.enqueueJob(...)`), so it is public API. The names follow the
 * library's own (`docket.jobs.cancel` → `cancelJob`, `docket.triggerSchedule`
 * → `triggerSchedule`): verb + noun, camelCase, one per operation; a test
 * (openapi-lint.test.ts) pins the list, so a rename is a deliberate change.
 *
 * createRoute plus the access level, the matching security, and the responses
 * every operation shares: 400 (input), 413/415 (a body), 401/403 (auth), 500,
 * and 503 (the store is unreachable or closed, or the Docket is still starting).
 * A route's own description of a status replaces the shared one.
 */
export function apiRoute<const P extends string, const R extends Omit<RouteConfig, 'path' | 'security'> & { path: P; operationId: string }>(access: Access, config: R) {
  const request = strictRequest(config.path, config.request);
  const declared = { ...commonResponses(config.path, config.request), ...config.responses, ...authResponses(access) };
  const route = createRoute({
    ...config,
    security: securityFor(access),
    // the document shows the scope; guard() reads it back, so the two cannot disagree
    'x-docket-scope': access,
    responses: {
      ...declared,
      ...(Object.keys(declared).some((status) => status.startsWith('4')) ? {} : HTTP_LAYER_4XX),
      500: problemContent('unexpected server fault (logged)'),
      503: problemContent('the store did not answer or is closed (STORE_ERROR, STORE_CLOSED), or the docket is starting and waits for its store (NOT_STARTED); see Retry-After when given'),
    },
  });
  // the strict query is set after createRoute so that handlers keep the route's own request types
  if (request !== config.request) (route as { request?: RouteConfig['request'] }).request = request;
  return route;
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
  if (route.request?.body) chain.push(mw.bodyLimit, requireUtf8Body);
  chain.push(...extra);
  if (chain.length > 0) app.on(route.method.toUpperCase(), [route.getRoutingPath()], ...chain);
}
