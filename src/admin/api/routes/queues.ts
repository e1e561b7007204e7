import { z, type OpenAPIHono } from '@hono/zod-openapi';
import type { AdminQueueInfo } from '../../../jobs/job-admin.js';
import type { AuthEnv } from '../../kit/auth.js';
import type { AdminDocket } from '../../kit/admin-port.js';
import { API_PREFIX, apiRoute, guard, type RouteMiddleware } from '../route-kit.js';
import { QueuePolicyPatchSchema, QueueSchema, jsonContent, problemContent, queueParams } from '../schemas.js';

const listQueues = apiRoute('read', {
  method: 'get',
  operationId: 'listQueues',
  path: `${API_PREFIX}/queues`,
  tags: ['queues'],
  summary: 'Queues with counts by state, paused flag and configured concurrency',
  responses: { 200: jsonContent(z.object({ queues: z.array(QueueSchema) }).openapi('QueueList'), 'every queue that has jobs or a stored row') },
});

const getQueue = apiRoute('read', {
  method: 'get',
  operationId: 'getQueue',
  path: `${API_PREFIX}/queues/{queue}`,
  tags: ['queues'],
  summary: 'One queue (queues exist implicitly: an unknown name answers zero counts)',
  request: { params: queueParams },
  responses: { 200: jsonContent(QueueSchema, 'the queue'), 400: problemContent('invalid queue name') },
});

const setPolicy = apiRoute('admin', {
  method: 'patch',
  operationId: 'setQueuePolicy',
  path: `${API_PREFIX}/queues/{queue}`,
  tags: ['queues'],
  summary: "Change a queue's policy (pause, retention) for every process, at once",
  description:
    "The body is a JSON merge patch over the queue's `policy`: given keys are set, absent keys kept, null clears a key back to the default. " +
    'A change made here holds until a process starts whose config declares the same key (the last declaration wins).',
  request: { params: queueParams, body: { content: { 'application/json': { schema: QueuePolicyPatchSchema } }, required: true } },
  responses: { 200: jsonContent(QueueSchema, 'the queue with its new policy'), 400: problemContent('invalid queue name or policy (the field is named)') },
});

const pause = apiRoute('admin', {
  method: 'post',
  operationId: 'pauseQueue',
  path: `${API_PREFIX}/queues/{queue}/pause`,
  tags: ['queues'],
  summary: 'Pause a queue: workers of every process stop claiming its jobs (running ones finish)',
  request: { params: queueParams },
  responses: { 200: jsonContent(QueueSchema, 'the queue, paused'), 400: problemContent('invalid queue name') },
});

const resume = apiRoute('admin', {
  method: 'post',
  operationId: 'resumeQueue',
  path: `${API_PREFIX}/queues/{queue}/resume`,
  tags: ['queues'],
  summary: 'Resume a paused queue',
  request: { params: queueParams },
  responses: { 200: jsonContent(QueueSchema, 'the queue, resumed'), 400: problemContent('invalid queue name') },
});

export function registerQueueRoutes(app: OpenAPIHono<AuthEnv>, docket: AdminDocket, mw: RouteMiddleware): void {
  const view = (q: AdminQueueInfo) => ({
    queue: q.queue,
    paused: q.paused,
    concurrency: docket.config?.queues[q.queue]?.concurrency ?? null,
    counts: q.counts,
    policy: q.policy,
    effectivePolicy: q.effectivePolicy,
  });
  const one = async (queue: string) => view(await docket.jobs.getQueue(queue));

  guard(app, listQueues, mw);
  app.openapi(listQueues, async (c) => c.json({ queues: (await docket.jobs.listQueues()).map(view) }, 200));

  guard(app, getQueue, mw);
  app.openapi(getQueue, async (c) => c.json(await one(c.req.valid('param').queue), 200));

  guard(app, setPolicy, mw);
  app.openapi(setPolicy, async (c) => {
    const { queue } = c.req.valid('param');
    return c.json(view(await docket.jobs.setQueuePolicy(queue, c.req.valid('json'))), 200);
  });

  guard(app, pause, mw);
  app.openapi(pause, async (c) => {
    const { queue } = c.req.valid('param');
    await docket.jobs.pauseQueue(queue);
    return c.json(await one(queue), 200);
  });

  guard(app, resume, mw);
  app.openapi(resume, async (c) => {
    const { queue } = c.req.valid('param');
    await docket.jobs.resumeQueue(queue);
    return c.json(await one(queue), 200);
  });
}
