import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { DEFAULT_WORKER_HEARTBEAT_MS } from '../../../core/config.js';
import type { AuthEnv } from '../../kit/auth.js';
import type { AdminDocket } from '../../kit/admin-port.js';
import { API_PREFIX, apiRoute, guard, type RouteMiddleware } from '../route-kit.js';
import { WorkerSchema, intQuery, jsonContent, problemContent } from '../schemas.js';

/** Three missed heartbeats and a worker no longer counts as alive. */
export const DEFAULT_WORKER_ALIVE_WITHIN_MS = 3 * DEFAULT_WORKER_HEARTBEAT_MS;

const listWorkers = apiRoute('read', {
  method: 'get',
  operationId: 'listWorkers',
  path: `${API_PREFIX}/workers`,
  tags: ['workers'],
  summary: 'Alive workers of every process: host, pid, queues, concurrency, active jobs, last heartbeat',
  request: {
    query: z.object({
      aliveWithinMs: intQuery(1, 86_400_000, `seen within this many ms (store clock); default ${DEFAULT_WORKER_ALIVE_WITHIN_MS}`),
    }),
  },
  responses: { 200: jsonContent(z.object({ workers: z.array(WorkerSchema) }).openapi('WorkerList'), 'alive workers'), 400: problemContent('bad parameter') },
});

export function registerWorkerRoutes(app: OpenAPIHono<AuthEnv>, docket: AdminDocket, mw: RouteMiddleware): void {
  guard(app, listWorkers, mw);
  app.openapi(listWorkers, async (c) => {
    const aliveWithinMs = c.req.valid('query').aliveWithinMs ?? DEFAULT_WORKER_ALIVE_WITHIN_MS;
    const workers = await docket.jobs.listWorkers({ aliveWithinMs });
    return c.json(
      { workers: workers.map((w) => ({ ...w, startedAt: w.startedAt.toISOString(), lastHeartbeatAt: w.lastHeartbeatAt.toISOString() })) },
      200,
    );
  });
}
