import { OpenAPIHono, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import pino, { type Logger } from 'pino';
import { systemClock, type Clock } from '../../core/clock.js';
import { parseOrThrow } from '../../core/config.js';
import { DEFAULT_MAX_PAYLOAD_BYTES, NAME_PATTERN } from '../../core/validate.js';
import { KeyRing, type ApiKeys, type AuthEnv } from '../kit/auth.js';
import type { AdminDocket } from '../kit/admin-port.js';
import { appPathOf, mountPathOf, normalizeBasePath, underBase } from '../kit/base-path.js';
import { DEFAULT_SSE_HEARTBEAT_MS, DEFAULT_SSE_MAX_QUEUED, DEFAULT_SSE_SNAPSHOT_MS, EventStreamHub } from '../kit/event-stream.js';
import { mountDashboard } from '../dashboard/dashboard.js';
import { AdminMetrics } from './metrics.js';
import { HttpProblem, makeProblem, problemFromError, problemResponse, type ProblemCode } from '../kit/problem.js';
import { DEFAULT_ENQUEUE_RATE_LIMIT, TokenBucketLimiter, type RateLimitOptions } from './rate-limit.js';
import { API_PREFIX, SECURITY_SCHEMES, type RouteMiddleware } from './route-kit.js';
import { registerJobRoutes } from './routes/jobs.js';
import { registerQueueRoutes } from './routes/queues.js';
import { registerScheduleRoutes } from './routes/schedules.js';
import { registerStatsRoutes } from './routes/stats.js';
import { registerSystemRoutes } from './routes/system.js';
import { registerWorkerRoutes } from './routes/workers.js';

/** Retry-After (seconds) of the 503 answered while the Docket waits for its store at start. */
const STARTING_RETRY_AFTER_S = 5;

/** Job data may be up to the payload cap; the rest of an enqueue body is small. */
export const DEFAULT_MAX_BODY_BYTES = DEFAULT_MAX_PAYLOAD_BYTES + 64 * 1024;

export interface AdminAppOptions {
  docket: AdminDocket;
  /**
   * API keys by scope. `read` keys may call every GET; `admin` keys may call
   * everything. With no key at all, auth is off: only serve such an app on
   * loopback (`serveAdmin` enforces it; when you mount the app yourself, you must).
   * The keys are hashed at once; the plain text is not kept.
   */
  keys: ApiKeys;
  /** pino logger; `false` silences. Default: the docket's logger, else pino to stderr. */
  logger?: Logger | false;
  /** Time for the rate limiter and SSE timers (tests pass a ManualClock). */
  clock?: Clock;
  /** Request bodies above this answer 413. Default 1 MiB + 64 KiB. */
  maxBodyBytes?: number;
  /** Token bucket per API key on `POST /api/v1/jobs`; `false` turns it off. Default 50/s, burst 100. */
  enqueueRateLimit?: RateLimitOptions | false;
  /** Serve `/metrics` without a key (default false: a read key is needed). */
  publicMetrics?: boolean;
  /** Also export prom-client's process metrics (CPU, memory, event loop). Default false. */
  processMetrics?: boolean;
  events?: { heartbeatMs?: number; snapshotMs?: number; maxQueued?: number };
  /** Serve the web dashboard at `/` (docs/dashboard.md). Default true. */
  dashboard?: boolean;
  /**
   * The path prefix under which browsers and API clients reach this app when
   * it is mounted into another server (`'/admin'`), or `''` (default) at the
   * root. Every URL the app writes starts with it: `Location` headers, the
   * OpenAPI document's `servers`, dashboard links, redirects and the session
   * cookie's path. Mount the app at the same path (docs/http-api.md, "Mounting").
   */
  basePath?: string;
  /**
   * Secrets that sign the dashboard's session cookies (HMAC-SHA256), each at
   * least 32 characters: the first signs, every one verifies, so a secret is
   * rotated by putting the new one first and dropping the old one once the
   * sessions it signed have expired. Servers with the same secret accept each
   * other's sessions, and sessions survive restarts. Without one, a random
   * secret per process is used (a warning says so): a restart logs everyone out.
   */
  sessionSecrets?: string | readonly string[];
}

/** The Hono app (mount it, or pass `app.fetch` to any fetch-based server), plus its metrics and a close. */
export type AdminApp = OpenAPIHono<AuthEnv> & {
  readonly metrics: AdminMetrics;
  /** The normalized `basePath` option: `''` or a path such as `/admin` (no trailing slash). */
  readonly basePath: string;
  /** Whether any API key is configured. */
  readonly authEnabled: boolean;
  /** Ends open event streams and detaches from the Docket's events. Idempotent. */
  close(): void;
};

const optionsSchema = z
  .object({
    maxBodyBytes: z.number().int().min(1024).optional(),
    enqueueRateLimit: z.union([z.literal(false), z.object({ perSecond: z.number().positive(), burst: z.number().int().min(1) }).strict()]).optional(),
    publicMetrics: z.boolean().optional(),
    dashboard: z.boolean().optional(),
    processMetrics: z.boolean().optional(),
    events: z
      .object({ heartbeatMs: z.number().int().min(1).optional(), snapshotMs: z.number().int().min(1).optional(), maxQueued: z.number().int().min(1).optional() })
      .strict()
      .optional(),
  })
  .passthrough();

export function createAdminApp(options: AdminAppOptions): AdminApp {
  const o = parseOrThrow(optionsSchema, options, 'INVALID_CONFIG', '');
  const { docket } = options;
  const ring = new KeyRing(options.keys ?? {});
  const clock = options.clock ?? systemClock;
  const logger = resolveLogger(options.logger, docket);
  const basePath = normalizeBasePath(options.basePath);

  const app = new OpenAPIHono<AuthEnv>({ defaultHook: (result) => (result.success ? undefined : validationProblem(result.target, result.error)) });

  app.onError((err, c) => {
    const { problem, unexpected } = problemOf(err);
    if (unexpected) logger?.error({ err, method: c.req.method, path: c.req.path }, 'admin API request failed');
    return problemResponse(problem, err instanceof HttpProblem ? err.headers : {});
  });
  // A known path with another method: 405 with Allow (OPTIONS: 204 with Allow); else 404.
  const allow = new AllowedMethods(app);
  const unmatched = (method: string, path: string): Response => {
    const methods = allow.of(path);
    const shown = underBase(basePath, path);
    if (methods.length === 0) return problemResponse(makeProblem('ROUTE_NOT_FOUND', `no route ${method} ${shown}`));
    const header = methods.join(', ');
    if (method === 'OPTIONS') return new Response(null, { status: 204, headers: { allow: header } });
    return problemResponse(makeProblem('METHOD_NOT_ALLOWED', `${shown} does not support ${method}; it supports ${header}`, { details: { allow: methods } }), { allow: header });
  };
  // Standalone (or under a mount that strips the prefix) the app's own notFound answers; under
  // Hono's route() the parent's notFound does, so the API's namespace also has a catch-all route
  // (registered last, below) that keeps 404/405 problem+json there however the app is mounted.
  app.notFound((c) => unmatched(c.req.method, appPathOf(c, '')));

  // First of all: what every later middleware and route needs to know about where the app lives.
  let warnedMount = false;
  app.use('*', async (c, next) => {
    const mountPath = mountPathOf(c);
    c.set('basePath', basePath);
    c.set('appPath', appPathOf(c, mountPath));
    if (mountPath !== '' && mountPath !== basePath && !warnedMount) {
      warnedMount = true;
      logger?.warn({ mountPath, basePath }, `admin app: mounted at ${mountPath} but basePath is ${JSON.stringify(basePath)}: its links and Location headers point under the basePath; pass basePath: '${mountPath}' to createAdminApp unless a proxy in front rewrites the prefix`);
    }
    await next();
  });

  const maxBodyBytes = o.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const mw: RouteMiddleware = {
    ring,
    bodyLimit: bodyLimit({
      maxSize: maxBodyBytes,
      // The rest of the body is never read, so the connection cannot carry another
      // request: say so, or a keep-alive client's next request fails on a closed socket.
      onError: () =>
        problemResponse(makeProblem('PAYLOAD_TOO_LARGE', `the request body is larger than ${maxBodyBytes} bytes`, { details: { maxBytes: maxBodyBytes } }), {
          connection: 'close',
        }),
    }),
  };

  const metrics = new AdminMetrics(docket, {
    processMetrics: o.processMetrics ?? false,
    onCollectError: (err) => logger?.warn({ err }, 'metrics: reading queue depth from the store failed'),
  });
  const hub = new EventStreamHub(docket, {
    clock,
    heartbeatMs: o.events?.heartbeatMs ?? DEFAULT_SSE_HEARTBEAT_MS,
    snapshotMs: o.events?.snapshotMs ?? DEFAULT_SSE_SNAPSHOT_MS,
    maxQueued: o.events?.maxQueued ?? DEFAULT_SSE_MAX_QUEUED,
    onError: (err) => logger?.warn({ err }, 'events: reading counts from the store failed'),
  });

  // Every request finds the schema current (the job admin migrates once per Docket; a
  // failure is retried by the next request): migrate() is idempotent and safe when processes race.
  // While the Docket's start() waits for an unreachable store (docket serve begun before its
  // database), every request, /healthz too, answers 503 "starting" instead of trying the store.
  app.use('*', async (_c, next) => {
    if (docket.waitingForStore === true) {
      throw new HttpProblem('NOT_STARTED', 'starting: store unreachable (waiting for it to answer)', { retryAfter: STARTING_RETRY_AFTER_S }, { 'retry-after': String(STARTING_RETRY_AFTER_S) });
    }
    await docket.jobs.ready();
    await next();
  });

  const rate = o.enqueueRateLimit === undefined ? DEFAULT_ENQUEUE_RATE_LIMIT : o.enqueueRateLimit;
  const enqueueLimit = rate === false ? null : rateLimitMiddleware(new TokenBucketLimiter(rate, clock), rate);

  registerSystemRoutes(app, docket, mw, { metrics, hub, publicMetrics: o.publicMetrics ?? false });
  registerQueueRoutes(app, docket, mw);
  registerJobRoutes(app, docket, mw, enqueueLimit);
  registerWorkerRoutes(app, docket, mw);
  registerStatsRoutes(app, docket, mw);
  registerScheduleRoutes(app, docket, mw, enqueueLimit);
  const dashboard = o.dashboard === false ? null : mountDashboard(app, { docket, ring, hub, clock, logger, sessionSecrets: options.sessionSecrets });

  for (const [name, scheme] of Object.entries(SECURITY_SCHEMES)) app.openAPIRegistry.registerComponent('securitySchemes', name, scheme);
  app.doc31(`${API_PREFIX}/openapi.json`, {
    openapi: '3.1.0',
    info: {
      title: 'docket admin API',
      version: '1.0.0',
      description:
        'Queues, jobs, workers, stats, server-sent events and metrics of a docket. Errors are application/problem+json with a stable `code`. Each operation names the key scope it needs in `x-docket-scope` (read, admin or public).',
      // OpenAPI 3.1's SPDX `identifier` (openapi3-ts types only 3.0's `url`)
      license: { name: 'MIT', identifier: 'MIT' } as { name: string },
    },
    // relative to the document's own URL, so it holds behind any host name; the path is the app's basePath
    servers: [{ url: basePath || '/', description: basePath ? `this server, under ${basePath}` : 'this server' }],
  });

  // last: every route of the API answers before this catch-all (see `unmatched` above)
  app.all(`${API_PREFIX}/*`, (c) => unmatched(c.req.method, c.get('appPath')));

  if (!ring.enabled) logger?.warn('admin API: no API key configured, every request is allowed; serve it on loopback only');

  let closed = false;
  return Object.assign(app, {
    metrics,
    basePath,
    authEnabled: ring.enabled,
    close(): void {
      if (closed) return;
      closed = true;
      hub.close();
      metrics.close();
      dashboard?.close();
    },
  });
}

/** The methods each registered path answers (for 405 and OPTIONS), compiled once from the app's routes on first use. */
class AllowedMethods {
  private table: Array<{ pattern: RegExp; method: string }> | null = null;

  constructor(private readonly app: OpenAPIHono<AuthEnv>) {}

  of(path: string): string[] {
    this.table ??= this.app.routes.filter((r) => r.method !== 'ALL').map((r) => ({ pattern: routePattern(r.path), method: r.method.toUpperCase() }));
    const methods = new Set(this.table.filter((r) => r.pattern.test(path)).map((r) => r.method));
    if (methods.size === 0) return [];
    if (methods.has('GET')) methods.add('HEAD');
    methods.add('OPTIONS');
    return [...methods].sort();
  }
}

/** A Hono route path (`/api/v1/jobs/:id`, `/assets/*`) as an anchored RegExp. */
function routePattern(path: string): RegExp {
  const source = path
    .split('/')
    .map((part) => (part === '*' ? '.*' : part.startsWith(':') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${source}$`);
}

function resolveLogger(option: Logger | false | undefined, docket: AdminDocket): Logger | null {
  if (option === false) return null;
  if (option) return option;
  const own = (docket as { logger?: unknown }).logger;
  if (own && typeof (own as Logger).child === 'function') return (own as Logger).child({ component: 'http' });
  return pino({ name: 'docket-http' }, pino.destination(2));
}

function rateLimitMiddleware(limiter: TokenBucketLimiter, rate: RateLimitOptions): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const r = limiter.take(c.get('principal').keyId);
    if (!r.ok) {
      const seconds = Math.max(1, Math.ceil(r.retryAfterMs / 1000));
      throw new HttpProblem('RATE_LIMITED', `enqueue rate limit (${rate.perSecond}/s, burst ${rate.burst}) exceeded; retry after ${seconds} s`, { retryAfter: seconds }, { 'retry-after': String(seconds) });
    }
    await next();
  };
}

const HTTP_STATUS_CODES: Record<number, ProblemCode> = {
  400: 'INVALID_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'ROUTE_NOT_FOUND',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
};

const HTTP_STATUS_DETAILS: Record<number, string> = {
  415: 'send the body as JSON with Content-Type: application/json (curl: --json)',
};

/** Hono's own HTTPExceptions (malformed JSON, ...) become problems too. */
function problemOf(err: unknown): ReturnType<typeof problemFromError> {
  if (err instanceof HTTPException) {
    const code = HTTP_STATUS_CODES[err.status];
    if (code) return { problem: makeProblem(code, HTTP_STATUS_DETAILS[err.status] ?? (err.message || 'bad request')), unexpected: false };
  }
  return problemFromError(err);
}

const NAME_PATTERN_TEXT = String(NAME_PATTERN);
const TARGET_NAMES: Record<string, string> = { json: 'body', query: 'query', param: 'path' };

/** The first zod issue as a problem naming the field; a bad name gets INVALID_NAME. */
function validationProblem(target: string, error: z.ZodError): Response {
  const issue = error.issues[0];
  const where = TARGET_NAMES[target] ?? target;
  if (!issue) return problemResponse(makeProblem('INVALID_REQUEST', `invalid ${where}`));
  const path = issue.path.map(String).join('.');
  const field = path || where;
  let code: ProblemCode = 'INVALID_OPTION';
  let detail = `${field}: ${issue.message}`;
  if (issue.code === 'invalid_format' && (issue as { pattern?: string }).pattern === NAME_PATTERN_TEXT) {
    code = 'INVALID_NAME';
    detail = `${field} must match ${NAME_PATTERN_TEXT}`;
  } else if (issue.code === 'unrecognized_keys') {
    detail = `unknown ${where} field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
  } else if (target === 'json' && issue.path.length === 0) {
    code = 'INVALID_REQUEST';
    detail = `the body must be a JSON object (${issue.message})`;
  }
  return problemResponse(makeProblem(code, detail, { field, details: { in: where } }));
}
