import { z, type OpenAPIHono } from '@hono/zod-openapi';
import type { AuthEnv } from '../../kit/auth.js';
import type { AdminDocket } from '../../kit/admin-port.js';
import type { EventStreamHub } from '../../kit/event-stream.js';
import type { AdminMetrics } from '../metrics.js';
import { HttpProblem } from '../../kit/problem.js';
import { API_PREFIX, apiRoute, guard, type Access, type RouteMiddleware } from '../route-kit.js';
import { jobIdSchema, jsonContent, nameSchema, problemContent } from '../schemas.js';

/**
 * A queue name no one uses: counting it is an indexed lookup that proves the
 * store answers (store.now() alone may not touch the database).
 */
const HEALTH_PROBE_QUEUE = 'docket.healthz';

const healthz = apiRoute('public', {
  method: 'get',
  operationId: 'getHealth',
  path: '/healthz',
  tags: ['system'],
  summary: 'Liveness and store reachability (no key needed)',
  responses: {
    200: jsonContent(z.object({ status: z.literal('ok'), store: z.string() }).openapi('Health'), 'the store answered'),
    503: problemContent('the store did not answer (STORE_ERROR), or the docket is still starting: its store is unreachable and start() waits for it (NOT_STARTED, with Retry-After)'),
  },
});

const metricsRoute = (access: Access) =>
  apiRoute(access, {
    method: 'get',
    operationId: 'getMetrics',
    path: '/metrics',
    tags: ['system'],
    summary: 'Prometheus metrics (text exposition format)',
    responses: { 200: { description: 'metrics', content: { 'text/plain': { schema: z.string() } } } },
  });

const events = apiRoute('read', {
  method: 'get',
  operationId: 'streamEvents',
  path: `${API_PREFIX}/events`,
  tags: ['events'],
  summary: 'Server-sent events: job and schedule events of the serving process, periodic per-queue counts, heartbeats',
  description:
    "Event types: job:enqueued, job:started, job:progress, job:completed (without result), job:retrying, job:failed, job:cancelled, job:snoozed, job:released, job:stalled, job:lease-lost, schedule:fired, schedule:misfired, schedule:skipped, schedule:removed, counts (every few seconds, from the store, so other processes' work shows), dropped (a client too slow to read; reconnect). A comment line `: heartbeat` is sent when idle. Filters narrow job events (and schedule:fired, which names its job; other schedule events pass only an unfiltered stream); `queue` also narrows counts.",
  request: { query: z.object({ queue: nameSchema.optional(), name: nameSchema.optional(), jobId: jobIdSchema.optional() }) },
  responses: { 200: { description: 'an event stream', content: { 'text/event-stream': { schema: z.string() } } }, 400: problemContent('bad filter') },
});

export interface SystemDeps {
  metrics: AdminMetrics;
  hub: EventStreamHub;
  publicMetrics: boolean;
}

export function registerSystemRoutes(app: OpenAPIHono<AuthEnv>, docket: AdminDocket, mw: RouteMiddleware, deps: SystemDeps): void {
  guard(app, healthz, mw);
  app.openapi(healthz, async (c) => {
    try {
      await docket.jobs.counts({ queue: HEALTH_PROBE_QUEUE });
    } catch (error) {
      // public route: the detail stays generic, the cause goes to the server log
      throw new HttpProblem('STORE_ERROR', 'the store did not answer', {}, {}, { cause: error });
    }
    return c.json({ status: 'ok' as const, store: docket.jobs.storeKind }, 200);
  });

  const metrics = metricsRoute(deps.publicMetrics ? 'public' : 'read');
  guard(app, metrics, mw);
  app.openapi(metrics, async (c) => {
    const { contentType, body } = await deps.metrics.render();
    return c.body(body, 200, { 'content-type': contentType, 'cache-control': 'no-store' }) as never;
  });

  guard(app, events, mw);
  app.openapi(events, (c) => {
    const filter = c.req.valid('query');
    const stream = deps.hub.open(filter);
    c.header('content-type', 'text/event-stream; charset=utf-8');
    c.header('cache-control', 'no-cache, no-transform');
    // nginx and similar proxies buffer responses unless told not to
    c.header('x-accel-buffering', 'no');
    return c.body(stream, 200) as never;
  });
}
