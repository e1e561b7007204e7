import type { Hono } from 'hono';
import type { Child } from 'hono/jsx';
import { JOB_STATES, type JobState } from '../../core/job.js';
import { isDocketError } from '../../core/errors.js';
import type { AuthEnv } from '../kit/auth.js';
import { emptyCounts } from '../../store/store.js';
import { isFragment, requireViewer, viewContext, type DashContext, type DashboardDeps } from './context.js';
import { noticeOf } from './notices.js';
import { setSecurityHeaders } from './security.js';
import { lastHourThroughput } from './throughput.js';
import { JobDetail, JobPage } from './views/job.js';
import { JobRows, JobsPage, PAGE_SIZE, type JobsData, type JobsFilter } from './views/jobs.js';
import { BasePath } from './views/base-path.js';
import { MessagePage, type Section } from './views/layout.js';
import { Charts, OverviewLive, OverviewPage, type OverviewData } from './views/overview.js';
import { ScheduleDetail, SchedulePage, ScheduleRows, SchedulesPage } from './views/schedules.js';
import { WorkerRows, WorkersPage } from './views/workers.js';

/** Each page renders whole, or (with `?part=`) only its live region, which htmx swaps in place. */
export function registerPages(app: Hono<AuthEnv>, deps: DashboardDeps): void {
  const { jobs } = deps;
  const viewer = requireViewer(deps);

  app.get('/', viewer, async (c) => {
    const part = c.req.query('part');
    if (part === 'charts') return html(c, <Charts throughput={await lastHourThroughput(jobs)} />);
    const data = await overviewData(deps, part !== 'live');
    const view = viewContext(c, deps, 'overview', noticeOf(c.req.query('done')));
    if (part === 'live') return html(c, <OverviewLive view={view} data={data} />);
    return html(c, <OverviewPage view={view} data={data} />);
  });

  app.get('/jobs', viewer, async (c) => {
    const data = await jobsData(c, deps);
    const view = viewContext(c, deps, 'jobs', noticeOf(c.req.query('done')));
    if (isFragment(c)) return html(c, <JobRows data={data} />);
    return html(c, <JobsPage view={view} data={data} />, data.error ? 400 : 200);
  });

  app.get('/jobs/:id', viewer, async (c) => {
    const id = c.req.param('id');
    const [job, now] = await Promise.all([jobs.get(id), jobs.now()]);
    const view = viewContext(c, deps, 'jobs', noticeOf(c.req.query('done')));
    if (isFragment(c)) return job ? html(c, <JobDetail view={view} job={job} now={now} />) : c.body(null, 204);
    if (!job) return notFound(c, deps, 'jobs', `There is no job ${id}. It may have been deleted or pruned by retention.`);
    return html(c, <JobPage view={view} job={job} now={now} />);
  });

  app.get('/schedules', viewer, async (c) => {
    const view = viewContext(c, deps, 'schedules', noticeOf(c.req.query('done')));
    const schedules = deps.schedules ? await deps.schedules.listSchedules({ nextFires: 3 }) : null;
    if (isFragment(c)) return schedules ? html(c, <ScheduleRows view={view} schedules={schedules} />) : c.body(null, 204);
    return html(c, <SchedulesPage view={view} schedules={schedules} />);
  });

  app.get('/schedules/:name', viewer, async (c) => {
    const name = c.req.param('name');
    const view = viewContext(c, deps, 'schedules', noticeOf(c.req.query('done')));
    const schedule = deps.schedules ? await deps.schedules.getSchedule(name, { nextFires: 10, recentFires: 50 }) : null;
    if (isFragment(c)) return schedule ? html(c, <ScheduleDetail view={view} schedule={schedule} />) : c.body(null, 204);
    if (!schedule) return notFound(c, deps, 'schedules', `There is no schedule named ${name}.`);
    return html(c, <SchedulePage view={view} schedule={schedule} />);
  });

  app.get('/workers', viewer, async (c) => {
    const [workers, now] = await Promise.all([jobs.listWorkers({ aliveWithinMs: deps.workersAliveWithinMs }), jobs.now()]);
    if (isFragment(c)) return html(c, <WorkerRows workers={workers} now={now} aliveWithinMs={deps.workersAliveWithinMs} />);
    return html(c, <WorkersPage view={viewContext(c, deps, 'workers')} workers={workers} now={now} aliveWithinMs={deps.workersAliveWithinMs} />);
  });

  // Live updates: the admin API's event hub (this process's job events as they happen, store
  // counts every few seconds for everyone else's), behind the session instead of an API key.
  app.get('/live', viewer, (c) => {
    const jobId = c.req.query('jobId');
    const stream = deps.hub.open(jobId ? { jobId } : {});
    c.header('content-type', 'text/event-stream; charset=utf-8');
    c.header('cache-control', 'no-cache, no-transform');
    c.header('x-accel-buffering', 'no');
    return c.body(stream, 200);
  });
}

export async function overviewData(deps: DashboardDeps, withCharts: boolean): Promise<OverviewData & { throughput: OverviewData['throughput'] }> {
  const { jobs, docket } = deps;
  const [queues, workers, at, throughput] = await Promise.all([
    jobs.listQueues(),
    jobs.listWorkers({ aliveWithinMs: deps.workersAliveWithinMs }),
    jobs.now(),
    withCharts ? lastHourThroughput(jobs) : Promise.resolve(null),
  ]);
  const totals = emptyCounts();
  for (const q of queues) for (const s of JOB_STATES) totals[s] += q.counts[s];
  const concurrency = (queue: string) => docket.config?.queues[queue]?.concurrency ?? null;
  return { queues: queues.map((q) => ({ ...q, concurrency: concurrency(q.queue) })), totals, workers, throughput, at };
}

const STATES = new Set<string>(JOB_STATES);

export async function jobsData(c: DashContext, deps: DashboardDeps): Promise<JobsData> {
  const q = (k: string) => (c.req.query(k) ?? '').trim();
  const filter: JobsFilter = {
    state: q('state'),
    queue: q('queue'),
    name: q('name'),
    search: (c.req.query('search') ?? '').slice(0, 1000),
    order: q('order') === 'asc' ? 'asc' : 'desc',
    cursor: q('cursor') || null,
  };
  const queuesP = deps.jobs.listQueues().then((qs) => qs.map((x) => x.queue));
  if (filter.state && !STATES.has(filter.state)) {
    return { filter, jobs: [], nextCursor: null, queues: await queuesP, error: `Unknown state "${filter.state}".` };
  }
  try {
    const page = await deps.jobs.list({
      ...(filter.state ? { state: filter.state as JobState } : {}),
      ...(filter.queue ? { queue: filter.queue } : {}),
      ...(filter.name ? { name: filter.name } : {}),
      ...(filter.search ? { search: filter.search } : {}),
      order: filter.order,
      limit: PAGE_SIZE,
      cursor: filter.cursor,
    });
    return { filter, jobs: page.jobs, nextCursor: page.nextCursor, queues: await queuesP, error: null };
  } catch (error) {
    // a bad filter or cursor is the viewer's input: say what is wrong instead of failing the page
    if (isDocketError(error) && error.code.startsWith('INVALID_')) {
      return { filter, jobs: [], nextCursor: null, queues: await queuesP, error: error.message };
    }
    throw error;
  }
}

type Status = 200 | 400 | 401 | 403 | 404 | 409 | 413 | 500 | 503;

/** An HTML answer; its views write their links under the app's basePath (views/base-path.tsx). */
export function html(c: DashContext, body: unknown, status: Status = 200): Response {
  setSecurityHeaders(c);
  c.header('vary', 'HX-Request, Cookie');
  return c.html((<BasePath.Provider value={c.get('basePath')}>{body as Child}</BasePath.Provider>) as unknown as string, status);
}

function notFound(c: DashContext, deps: DashboardDeps, section: Section, text: string): Response {
  return html(
    c,
    <MessagePage title="Not found" view={viewContext(c, deps, section)}>
      <p>{text}</p>
    </MessagePage>,
    404,
  );
}
