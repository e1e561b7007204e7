import { z, type OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { ScheduleNotFoundError } from '../../../core/errors.js';
import type { Trigger } from '../../../core/schedule-trigger.js';
import type { ScheduleInfo } from '../../../scheduler/schedule-info.js';
import type { ScheduleFire, ScheduleFireKind } from '../../../store/schedule-store.js';
import type { AuthEnv } from '../../kit/auth.js';
import type { AdminDocket } from '../../kit/admin-port.js';
import { HttpProblem } from '../../kit/problem.js';
import { API_PREFIX, apiRoute, guard, jobLocation, type RouteMiddleware } from '../route-kit.js';
import { createdJobContent, EnqueueResponseSchema, intQuery, jobView, jsonContent, nameSchema, problemContent } from '../schemas.js';

/**
 * Schedules: list (next N fires, last fire, last miss), one with its fire
 * history, trigger now, pause, resume, delete. Everything goes through the
 * Docket's schedule API, which any process can call: what a fire enqueues is
 * stored with the schedule, so the serving process needs no handlers.
 *
 * Policy of this layer (the library allows more):
 * - DELETE refuses a schedule that is not marked removed (409
 *   SCHEDULE_DECLARED) unless `?force=true`: a declared schedule belongs to
 *   code, and deleting it only makes it come back, with a fresh slot and no
 *   history, when a process that declares it starts. Pause it instead.
 * - Resuming a paused schedule that no process declares any more answers 409
 *   SCHEDULE_REMOVED (the library says INVALID_OPTION: the request is fine,
 *   the schedule's state is not).
 */

export const DEFAULT_NEXT_FIRES = 5;
export const MAX_NEXT_FIRES = 100;
export const DEFAULT_RECENT_FIRES = 20;
/** The store keeps at most FIRE_HISTORY_LIMIT (1 000) rows per schedule anyway. */
export const MAX_RECENT_FIRES = 1_000;

const isoDate = z.string().openapi({ format: 'date-time', example: '2026-01-01T12:00:00.000Z' });

const TriggerSchema = z
  .discriminatedUnion('kind', [
    z.object({ kind: z.literal('cron'), expression: z.string().openapi({ example: '30 2 * * *' }), timezone: z.string().openapi({ example: 'Asia/Kolkata' }) }),
    z.object({ kind: z.literal('every'), intervalMs: z.number().int(), anchor: isoDate.openapi({ description: 'fires at anchor + k * intervalMs (the Unix epoch unless given)' }) }),
    z.object({ kind: z.literal('at'), at: isoDate }),
  ])
  .openapi('ScheduleTrigger');

const FIRE_OUTCOMES = ['fired', 'misfired', 'coalesced', 'skipped', 'paused'] as const;
const OUTCOME_OF: Record<ScheduleFireKind, (typeof FIRE_OUTCOMES)[number]> = {
  fired: 'fired',
  manual: 'fired',
  misfire: 'misfired',
  coalesced: 'coalesced',
  'max-running': 'skipped',
  paused: 'paused',
};

const FireSchema = z
  .object({
    outcome: z.enum(FIRE_OUTCOMES).openapi({
      description:
        'fired: a job was enqueued (`manual` for trigger-now); misfired: later than misfireGraceMs and not enqueued; coalesced: late and folded into the one late job enqueued (catchUp latest); skipped: maxRunning jobs of the schedule were waiting or active; paused: came due while paused (recorded at resume)',
    }),
    manual: z.boolean().openapi({ description: 'trigger-now (fireAt is when it was triggered)' }),
    catchUp: z.boolean().openapi({ description: 'a late fire enqueued anyway (catchUp latest / all)' }),
    fireAt: isoDate,
    lastFireAt: isoDate.openapi({ description: 'equals fireAt, except for a row that summarises several missed fires' }),
    count: z.number().int().openapi({ description: 'fires this row stands for (1 unless a summary)' }),
    countExact: z.boolean().openapi({ description: 'false when count is a lower bound' }),
    jobId: z.string().nullable().openapi({ description: 'the job enqueued (fired); null otherwise' }),
    lateMs: z.number().int().nullable().openapi({ description: 'how long after fireAt the job was enqueued (scheduled fires); null otherwise' }),
    recordedAt: isoDate,
  })
  .openapi('ScheduleFire');

const ScheduleSchema = z
  .object({
    name: z.string(),
    description: z.string().openapi({ example: 'cron 30 2 * * * (Asia/Kolkata)' }),
    trigger: TriggerSchema,
    timezone: z.string().nullable().openapi({ description: "the cron trigger's IANA time zone; null for every / at (fixed instants)" }),
    policy: z
      .object({
        misfireGraceMs: z.number().int(),
        catchUp: z.enum(['skip', 'latest', 'all']),
        catchUpMax: z.number().int(),
        maxRunning: z.number().int().nullable(),
        jitterMs: z.number().int(),
      })
      .openapi('SchedulePolicy'),
    job: z
      .object({ name: z.string(), queue: z.string(), data: z.unknown(), priority: z.number().int(), maxAttempts: z.number().int(), timeoutMs: z.number().int().nullable() })
      .openapi('ScheduleJob', { description: 'what each fire enqueues' }),
    paused: z.boolean().openapi({ description: 'current (operator) state; survives restarts' }),
    removed: z.boolean().openapi({ description: 'stored, but no process declares it any more: it does not fire' }),
    removedAt: isoDate.nullable(),
    declaredHere: z.boolean().openapi({ description: 'whether the serving process declares it' }),
    nextFireAt: isoDate.nullable().openapi({ description: 'the stored slot: the earliest fire not yet handled (in the past while no scheduler runs); null when exhausted' }),
    nextFires: z.array(isoDate).openapi({ description: 'the coming fires, first one first (for a paused schedule: those after now); empty when removed or exhausted' }),
    lastFire: FireSchema.nullable().openapi({ description: 'the most recent fire that enqueued a job' }),
    lastMissed: FireSchema.nullable().openapi({ description: 'the most recent fire that did not (misfired, coalesced, skipped, paused)' }),
    createdAt: isoDate,
    updatedAt: isoDate,
  })
  .openapi('Schedule');

const ScheduleDetailSchema = ScheduleSchema.extend({
  recentFires: z.array(FireSchema).openapi({ description: 'newest first' }),
}).openapi('ScheduleDetail');

const nextQuery = intQuery(0, MAX_NEXT_FIRES, `coming fire times per schedule, default ${DEFAULT_NEXT_FIRES}`);
const nameParams = z.object({ name: nameSchema.openapi({ param: { name: 'name', in: 'path' } }) });

const list = apiRoute('read', {
  method: 'get',
  operationId: 'listSchedules',
  path: `${API_PREFIX}/schedules`,
  tags: ['schedules'],
  summary: 'Every stored schedule (removed ones too, flagged): trigger, time zone, policy, paused, next fires, last fire and last miss',
  request: { query: z.object({ next: nextQuery }) },
  responses: { 200: jsonContent(z.object({ schedules: z.array(ScheduleSchema) }).openapi('ScheduleList'), 'by name'), 400: problemContent('bad query parameter') },
});

const getOne = apiRoute('read', {
  method: 'get',
  operationId: 'getSchedule',
  path: `${API_PREFIX}/schedules/{name}`,
  tags: ['schedules'],
  summary: 'One schedule with its recent fires (outcome and lateness)',
  request: {
    params: nameParams,
    query: z.object({
      next: nextQuery,
      recent: intQuery(0, MAX_RECENT_FIRES, `fire history rows, newest first, default ${DEFAULT_RECENT_FIRES}`),
    }),
  },
  responses: { 200: jsonContent(ScheduleDetailSchema, 'the schedule'), 400: problemContent('invalid name or query parameter'), 404: problemContent('no such schedule') },
});

const trigger = apiRoute('admin', {
  method: 'post',
  operationId: 'triggerSchedule',
  path: `${API_PREFIX}/schedules/{name}/trigger`,
  tags: ['schedules'],
  summary: 'Enqueue the schedule’s job now (rate limited with enqueue)',
  description:
    'Creates a job at once (201, with `Location`), outside the schedule’s slots: the next fire is unchanged, maxRunning does not hold it back, and it works while the schedule is paused. Recorded as a `manual` fire.',
  request: { params: nameParams },
  responses: {
    201: createdJobContent(EnqueueResponseSchema, 'the job enqueued'),
    400: problemContent('invalid name'),
    404: problemContent('no such schedule'),
    429: problemContent('enqueue rate limit hit; see Retry-After'),
  },
});

const pause = apiRoute('admin', {
  method: 'post',
  operationId: 'pauseSchedule',
  path: `${API_PREFIX}/schedules/{name}/pause`,
  tags: ['schedules'],
  summary: 'Pause: no process fires it until resumed (the pause survives restarts)',
  request: { params: nameParams },
  responses: { 200: jsonContent(ScheduleSchema, 'the schedule, paused'), 400: problemContent('invalid name'), 404: problemContent('no such schedule') },
});

const resume = apiRoute('admin', {
  method: 'post',
  operationId: 'resumeSchedule',
  path: `${API_PREFIX}/schedules/{name}/resume`,
  tags: ['schedules'],
  summary: 'Resume from the next fire after now; fires that came due while paused are recorded, not replayed',
  request: { params: nameParams },
  responses: {
    200: jsonContent(ScheduleSchema, 'the schedule, resumed'),
    400: problemContent('invalid name'),
    404: problemContent('no such schedule'),
    409: problemContent('SCHEDULE_REMOVED: no process declares it; declare it again, or delete it'),
  },
});

const remove = apiRoute('admin', {
  method: 'delete',
  operationId: 'deleteSchedule',
  path: `${API_PREFIX}/schedules/{name}`,
  tags: ['schedules'],
  summary: 'Delete a removed schedule and its fire history (its jobs stay)',
  description:
    'Only schedules marked removed (no process declares them) unless `force=true`: a declared schedule comes back, with a fresh slot and no history, when a process that declares it starts. Remove it from code, or pause it.',
  request: {
    params: nameParams,
    query: z.object({ force: z.enum(['true', 'false']).optional().openapi({ description: 'delete even while it is not marked removed' }) }),
  },
  responses: {
    204: { description: 'deleted' },
    400: problemContent('invalid name or query parameter'),
    404: problemContent('no such schedule'),
    409: problemContent('SCHEDULE_DECLARED: not marked removed; pass force=true to delete anyway'),
  },
});

type ScheduleApi = Required<Pick<AdminDocket, 'listSchedules' | 'getSchedule' | 'triggerSchedule' | 'pauseSchedule' | 'resumeSchedule' | 'deleteSchedule'>>;

/** The schedule operations of the Docket, or null when the wrapper passed in lacks any of them. */
function scheduleApi(d: AdminDocket): ScheduleApi | null {
  const { listSchedules, getSchedule, triggerSchedule, pauseSchedule, resumeSchedule, deleteSchedule } = d;
  if (!listSchedules || !getSchedule || !triggerSchedule || !pauseSchedule || !resumeSchedule || !deleteSchedule) return null;
  return {
    listSchedules: listSchedules.bind(d),
    getSchedule: getSchedule.bind(d),
    triggerSchedule: triggerSchedule.bind(d),
    pauseSchedule: pauseSchedule.bind(d),
    resumeSchedule: resumeSchedule.bind(d),
    deleteSchedule: deleteSchedule.bind(d),
  };
}

export function registerScheduleRoutes(app: OpenAPIHono<AuthEnv>, docket: AdminDocket, mw: RouteMiddleware, enqueueLimit: MiddlewareHandler<AuthEnv> | null): void {
  const api = scheduleApi(docket);
  if (!api) return;
  const mustGet = async (name: string, options: { nextFires?: number; recentFires?: number }) => {
    const s = await api.getSchedule(name, options);
    if (!s) throw new ScheduleNotFoundError(name);
    return s;
  };
  /** After an action: the schedule as the list shows it (the action's own answer has one next fire only). */
  const fresh = async (name: string, fallback: ScheduleInfo) => scheduleView((await api.getSchedule(name, { nextFires: DEFAULT_NEXT_FIRES, recentFires: 0 })) ?? fallback);

  guard(app, list, mw);
  app.openapi(list, async (c) => {
    const { next } = c.req.valid('query');
    return c.json({ schedules: (await api.listSchedules({ nextFires: next ?? DEFAULT_NEXT_FIRES })).map(scheduleView) }, 200);
  });

  guard(app, getOne, mw);
  app.openapi(getOne, async (c) => {
    const { name } = c.req.valid('param');
    const q = c.req.valid('query');
    const s = await mustGet(name, { nextFires: q.next ?? DEFAULT_NEXT_FIRES, recentFires: q.recent ?? DEFAULT_RECENT_FIRES });
    return c.json({ ...scheduleView(s), recentFires: s.recentFires.map(fireView) }, 200);
  });

  guard(app, trigger, mw, ...(enqueueLimit ? [enqueueLimit] : []));
  app.openapi(trigger, async (c) => {
    const { id, created } = await api.triggerSchedule(c.req.valid('param').name);
    const job = await docket.jobs.get(id);
    c.header('location', jobLocation(c, id));
    // A manual fire has no idempotency key, so it always creates a job.
    return c.json({ id, created, job: job ? jobView(job) : null }, 201);
  });

  guard(app, pause, mw);
  app.openapi(pause, async (c) => {
    const { name } = c.req.valid('param');
    return c.json(await fresh(name, await api.pauseSchedule(name)), 200);
  });

  guard(app, resume, mw);
  app.openapi(resume, async (c) => {
    const { name } = c.req.valid('param');
    const s = await mustGet(name, { nextFires: 0, recentFires: 0 });
    if (s.paused && s.removedAt !== null) {
      throw new HttpProblem('SCHEDULE_REMOVED', `schedule "${name}" is removed (no process declares it): declare it again, or delete it`, { details: { schedule: name } });
    }
    return c.json(await fresh(name, await api.resumeSchedule(name)), 200);
  });

  guard(app, remove, mw);
  app.openapi(remove, async (c) => {
    const { name } = c.req.valid('param');
    const s = await mustGet(name, { nextFires: 0, recentFires: 0 });
    if (s.removedAt === null && c.req.valid('query').force !== 'true') {
      throw new HttpProblem(
        'SCHEDULE_DECLARED',
        `schedule "${name}" is not marked removed: a process that declares it would store it again at its next start. Remove it from code (it is marked removed at the next start), pause it, or pass force=true`,
        { details: { schedule: name, declaredHere: s.declaredHere } },
      );
    }
    if (!(await api.deleteSchedule(name))) throw new ScheduleNotFoundError(name);
    return c.body(null, 204);
  });
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export function scheduleView(s: ScheduleInfo): z.infer<typeof ScheduleSchema> {
  const { policy: p, job: j } = s;
  return {
    name: s.name,
    description: s.description,
    trigger: triggerView(s.trigger),
    timezone: s.trigger.kind === 'cron' ? s.trigger.timezone : null,
    policy: { misfireGraceMs: p.misfireGraceMs, catchUp: p.catchUp, catchUpMax: p.catchUpMax, maxRunning: p.maxRunning, jitterMs: p.jitterMs },
    job: { name: j.name, queue: j.queue, data: s.data, priority: j.priority, maxAttempts: j.maxAttempts, timeoutMs: j.timeoutMs },
    paused: s.paused,
    removed: s.removedAt !== null,
    removedAt: iso(s.removedAt),
    declaredHere: s.declaredHere,
    nextFireAt: iso(s.nextFireAt),
    nextFires: s.nextFires.map((d) => d.toISOString()),
    lastFire: s.lastFire ? fireView(s.lastFire) : null,
    lastMissed: s.lastMissed ? fireView(s.lastMissed) : null,
    createdAt: s.createdAt.toISOString(),
    updatedAt: s.updatedAt.toISOString(),
  };
}

function triggerView(t: Trigger): z.infer<typeof TriggerSchema> {
  switch (t.kind) {
    case 'cron':
      return { kind: 'cron', expression: t.expression, timezone: t.timezone };
    case 'every':
      return { kind: 'every', intervalMs: t.intervalMs, anchor: new Date(t.anchorMs).toISOString() };
    case 'at':
      return { kind: 'at', at: new Date(t.atMs).toISOString() };
  }
}

export function fireView(f: ScheduleFire): z.infer<typeof FireSchema> {
  return {
    outcome: OUTCOME_OF[f.kind],
    manual: f.kind === 'manual',
    catchUp: f.catchUp,
    fireAt: f.fireAt.toISOString(),
    lastFireAt: f.lastFireAt.toISOString(),
    count: f.count,
    countExact: f.countExact,
    jobId: f.jobId,
    lateMs: f.lateMs,
    recordedAt: f.recordedAt.toISOString(),
  };
}
