import { Option, type Command } from 'commander';
import { JobNotFoundError } from '../../core/errors.js';
import type { JobRecord, JobState } from '../../core/job.js';
import { CliError, EXIT } from '../exit-codes.js';
import { fields, formatDuration, formatJson, formatProgress, formatRelative, formatTime, table, writeJson } from '../output.js';
import { MAX_LIST_LIMIT } from '../../jobs/job-admin.js';
import { parseChoice, parseInstant, parseIntegerIn, parseStates } from '../parse.js';
import type { Act } from '../program.js';

/** A job as the CLI shows it: everything but the lease token (a worker's write credential). */
export function publicJob(job: JobRecord): Omit<JobRecord, 'leaseToken'> {
  const { leaseToken: _token, ...rest } = job;
  return rest;
}

interface ListFlags {
  state?: JobState[];
  queue?: string;
  name?: string;
  search?: string;
  schedule?: string;
  since?: Date;
  until?: Date;
  order?: 'asc' | 'desc';
  limit: number;
  cursor?: string;
}

export function registerJobsCommand(program: Command, act: Act): void {
  const jobs = program.command('jobs').description('list, show, cancel and retry jobs (works on the store alone; no config needed)');

  jobs
    .command('list', { isDefault: true })
    .description('list jobs, newest first')
    .option('-s, --state <states>', 'state or comma list: waiting, delayed, active, completed, failed, cancelled', parseStates)
    .option('-q, --queue <queue>', 'only this queue')
    .option('-n, --name <name>', 'only jobs of this name')
    .option('--search <text>', "substring of the job's JSON data")
    .option('--schedule <name>', 'only jobs this schedule produced')
    .option('--since <when>', 'created at or after: ISO time, or an age such as 15m, 2h', (v) => parseInstant(v))
    .option('--until <when>', 'created before: ISO time, or an age', (v) => parseInstant(v))
    .addOption(new Option('--order <order>', 'desc (newest first) or asc').argParser(parseChoice(['asc', 'desc'] as const)))
    .option('-l, --limit <n>', `page size (1-${MAX_LIST_LIMIT})`, parseIntegerIn(1, MAX_LIST_LIMIT), 20)
    .option('--cursor <cursor>', "the previous page's next cursor")
    .action(
      act<ListFlags>(async (ctx, f) => {
        const { docket } = await ctx.openDocket('admin', { mustExist: true });
        const page = await docket.jobs.list({
          ...(f.state ? { state: f.state } : {}),
          ...(f.queue ? { queue: f.queue } : {}),
          ...(f.name ? { name: f.name } : {}),
          ...(f.search ? { search: f.search } : {}),
          ...(f.schedule ? { scheduleName: f.schedule } : {}),
          ...(f.since ? { createdAfter: f.since } : {}),
          ...(f.until ? { createdBefore: f.until } : {}),
          ...(f.order ? { order: f.order } : {}),
          limit: f.limit,
          ...(f.cursor ? { cursor: f.cursor } : {}),
        });
        if (ctx.json) return writeJson(ctx.io, { jobs: page.jobs.map(publicJob), nextCursor: page.nextCursor });
        if (page.jobs.length === 0) {
          ctx.io.stdout.write('no jobs match\n');
          return;
        }
        const now = (await docket.jobs.now()).getTime();
        ctx.io.stdout.write(
          table(page.jobs, [
            { header: 'ID', value: (j) => j.id, align: 'right' },
            { header: 'NAME', value: (j) => j.name, max: 30 },
            { header: 'QUEUE', value: (j) => j.queue, max: 20 },
            { header: 'STATE', value: (j) => j.state + (j.cancelRequested && j.state === 'active' ? ' (cancelling)' : '') },
            { header: 'ATTEMPT', value: (j) => `${j.attempt}/${j.maxAttempts}` },
            { header: 'PROGRESS', value: (j) => formatProgress(j.progress), max: 28 },
            { header: 'CREATED', value: (j) => formatRelative(j.createdAt, now) },
            { header: 'WHEN', value: (j) => when(j, now) },
            { header: 'ERROR', value: (j) => (j.error && j.state !== 'completed' ? j.error.message : ''), max: 50 },
          ]),
        );
        if (page.nextCursor) ctx.io.stdout.write(`more: docket jobs list --cursor ${page.nextCursor}${f.limit !== 20 ? ` --limit ${f.limit}` : ''} (same filters)\n`);
      }),
    );

  jobs
    .command('show')
    .argument('<id>', 'job id')
    .description('one job: data, result, error with stack, attempts, progress')
    .action(
      act(async (ctx, _f, [id]) => {
        const { docket } = await ctx.openDocket('admin', { mustExist: true });
        const job = await docket.jobs.get(id!);
        if (!job) throw new JobNotFoundError(id!);
        if (ctx.json) return writeJson(ctx.io, publicJob(job));
        const now = (await docket.jobs.now()).getTime();
        const pairs: Array<[string, string]> = [
          ['id', job.id],
          ['name', job.name],
          ['queue', job.queue],
          ['state', job.state + (job.cancelRequested ? ' (cancel requested)' : '')],
          ['attempt', `${job.attempt} of ${job.maxAttempts}${job.stalls ? `, ${job.stalls} stall(s)` : ''}`],
          ['priority', String(job.priority)],
          ['created', `${formatTime(job.createdAt)} (${formatRelative(job.createdAt, now)})`],
          ['run at', `${formatTime(job.runAt)} (${formatRelative(job.runAt, now)})`],
          ['started', formatTime(job.startedAt)],
          ['finished', job.finishedAt ? `${formatTime(job.finishedAt)}${job.startedAt ? ` (ran ${formatDuration(job.finishedAt.getTime() - job.startedAt.getTime())})` : ''}` : '-'],
          ['timeout', job.timeoutMs === null ? '-' : formatDuration(job.timeoutMs)],
          ['progress', formatProgress(job.progress)],
          ['worker', job.workerId ?? '-'],
          ['lease until', formatTime(job.leaseExpiresAt)],
          ['idempotency', job.idempotencyKey ?? '-'],
          ['schedule', job.scheduleName ? `${job.scheduleName} @ ${formatTime(job.fireTime)}` : '-'],
          ['data', formatJson(job.data, 100)],
          ['result', job.state === 'completed' ? formatJson(job.result, 100) : '-'],
        ];
        if (job.error) pairs.push(['error', `${job.error.name}: ${job.error.message}${job.error.code ? ` [${job.error.code}]` : ''} (attempt ${job.error.attempt}, ${formatTime(job.error.at)})`]);
        ctx.io.stdout.write(fields(pairs));
        if (job.error?.stack) ctx.io.stdout.write(`stack:\n${job.error.stack.replace(/^/gm, '  ')}\n`);
      }),
    );

  jobs
    .command('cancel')
    .argument('<id>', 'job id')
    .option('-r, --reason <text>', 'recorded on the job', 'cancelled from the CLI')
    .description('cancel a job: waiting/delayed at once; an active one is aborted by its worker (exit 4 if it already finished)')
    .action(
      act<{ reason: string }>(async (ctx, f, [id]) => {
        const { docket } = await ctx.openDocket('admin', { mustExist: true });
        const r = await docket.jobs.cancel(id!, { reason: f.reason });
        if (r.outcome === 'already_finished') {
          throw new CliError('INVALID_TRANSITION', `job ${id} already finished (${r.job.state}); nothing to cancel`, EXIT.CONFLICT, { jobId: id, state: r.job.state });
        }
        if (ctx.json) return writeJson(ctx.io, { id: r.job.id, outcome: r.outcome, state: r.job.state });
        ctx.io.stdout.write(r.outcome === 'cancelled' ? `cancelled job ${id}\n` : `job ${id} is running: cancel requested, its worker aborts it and records it cancelled\n`);
      }),
    );

  jobs
    .command('retry')
    .argument('<id>', 'job id')
    .description('run a finished (completed, failed, cancelled) job again with a fresh set of attempts (exit 4 otherwise)')
    .action(
      act(async (ctx, _f, [id]) => {
        const { docket } = await ctx.openDocket('admin', { mustExist: true });
        const job = await docket.jobs.retry(id!);
        if (ctx.json) return writeJson(ctx.io, { id: job.id, state: job.state });
        ctx.io.stdout.write(`job ${job.id} is ${job.state} again\n`);
      }),
    );
}

/** The time that matters for the job's state. */
function when(j: JobRecord, now: number): string {
  switch (j.state) {
    case 'delayed':
      return `runs ${formatRelative(j.runAt, now)}`;
    case 'waiting':
      return j.runAt.getTime() > now ? `runs ${formatRelative(j.runAt, now)}` : 'runnable';
    case 'active':
      return `started ${formatRelative(j.startedAt, now)}`;
    default:
      return `ended ${formatRelative(j.finishedAt, now)}`;
  }
}
