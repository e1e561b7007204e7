import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { JOB_STATES } from '../../../core/job.js';
import { windowRates } from '../../../core/throughput.js';
import { emptyCounts } from '../../../store/store.js';
import type { AuthEnv } from '../../kit/auth.js';
import type { AdminDocket } from '../../kit/admin-port.js';
import { API_PREFIX, apiRoute, guard, type RouteMiddleware } from '../route-kit.js';
import { StateCountsSchema, jsonContent, nameSchema, problemContent } from '../schemas.js';

/** 1 minute, 15 minutes, 1 hour. */
export const STATS_WINDOWS_MS = [60_000, 15 * 60_000, 60 * 60_000] as const;
export const STATS_RUN_TIME_WINDOW_MS = 60 * 60_000;

const WindowSchema = z
  .object({
    windowMs: z.number().int(),
    completed: z.number().int(),
    failed: z.number().int(),
    cancelled: z.number().int(),
    throughputPerMinute: z.number().openapi({ description: '(completed + failed) per minute over the window' }),
    failureRate: z.number().nullable().openapi({ description: 'failed / (completed + failed); null when none finished' }),
  })
  .openapi('StatsWindow');

const ByNameSchema = z
  .object({
    name: z.string(),
    completed: z.number().int(),
    failed: z.number().int(),
    meanRunMs: z.number().nullable(),
    p95RunMs: z.number().nullable(),
  })
  .openapi('StatsByName');

const StatsSchema = z
  .object({
    at: z.string().openapi({ description: "the store's now; every window ends here" }),
    totals: StateCountsSchema,
    windows: z.array(WindowSchema),
    runTimeWindowMs: z.number().int(),
    byName: z.array(ByNameSchema).openapi({ description: 'run time of completed and failed jobs finished within runTimeWindowMs' }),
  })
  .openapi('Stats');

const stats = apiRoute('read', {
  method: 'get',
  operationId: 'getStats',
  path: `${API_PREFIX}/stats`,
  tags: ['stats'],
  summary: 'Totals by state, throughput and failure rate over 1 m / 15 m / 1 h, mean and p95 run time per job name',
  description: 'Counts only jobs still stored: retention pruning lowers them. Failure rate is over jobs that finished (an attempt that was retried is not a failure).',
  request: { query: z.object({ queue: nameSchema.optional() }) },
  responses: { 200: jsonContent(StatsSchema, 'statistics'), 400: problemContent('invalid queue name') },
});

export function registerStatsRoutes(app: OpenAPIHono<AuthEnv>, docket: AdminDocket, mw: RouteMiddleware): void {
  const jobs = docket.jobs;
  guard(app, stats, mw);
  app.openapi(stats, async (c) => {
    const { queue } = c.req.valid('query');
    const [counts, s] = await Promise.all([
      jobs.counts(queue === undefined ? undefined : { queue }),
      jobs.stats({ windowsMs: [...STATS_WINDOWS_MS], runTimeWindowMs: STATS_RUN_TIME_WINDOW_MS, ...(queue === undefined ? {} : { queue }) }),
    ]);
    const totals = emptyCounts();
    for (const q of counts) for (const state of JOB_STATES) totals[state] += q.counts[state];
    return c.json(
      {
        at: s.at.toISOString(),
        totals,
        windows: s.windows.map(windowRates),
        runTimeWindowMs: STATS_RUN_TIME_WINDOW_MS,
        byName: s.byName,
      },
      200,
    );
  });
}
