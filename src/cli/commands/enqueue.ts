import { Option, type Command } from 'commander';
import type { CliContext } from '../context.js';
import { usageError } from '../exit-codes.js';
import { fields, formatJson, formatTime, writeJson } from '../output.js';
import { MAX_PRIORITY, MIN_PRIORITY } from '../../core/config.js';
import { parseDuration, parseIntegerIn, parseIsoDate, parsePositiveInteger } from '../parse.js';
import type { Act } from '../program.js';
import { enqueueFile } from './enqueue-file.js';
import { optionsFromFlags, readData, requireDefinedJob, type EnqueueFlags } from './enqueue-input.js';
import { publicJob } from './jobs.js';
import { createJobView, jobViewMode, watchJob } from '../job-progress.js';

export function registerEnqueueCommand(program: Command, act: Act): void {
  program
    .command('enqueue')
    .argument('[name]', 'job name (defined in the config file); with --file, the name of every line')
    .description('enqueue a job, or many from an NDJSON file (--file), validated against the config\'s job definitions')
    .option('-d, --data <json|@file>', 'job data as JSON, or @path to read it from a file (@- reads stdin); default null')
    .option('-f, --file <ndjson>', 'bulk: one job per line, {"name","data","options"} (or just the data when <name> is given)')
    .option('-q, --queue <queue>', 'queue (default: the job definition\'s)')
    .option('-p, --priority <n>', `priority, higher runs first (${MIN_PRIORITY.toLocaleString('en-US')} to ${MAX_PRIORITY.toLocaleString('en-US')})`, parseIntegerIn(MIN_PRIORITY, MAX_PRIORITY))
    .option('--delay <duration>', 'run after this long: 5000, 30s, 5m, 1h30m', parseDuration)
    .option('--run-at <iso>', 'run at this instant (ISO 8601 with a zone)', parseIsoDate)
    .option('-k, --key <key>', 'idempotency key: an existing job with this key is returned instead of a new one')
    .option('--keep-key', 'keep the idempotency key after the job is pruned (run-once)')
    .option('--max-attempts <n>', 'attempts before the job fails', parsePositiveInteger)
    .option('--timeout <duration>', 'per-attempt timeout', parseDuration)
    .option('--batch <n>', 'with --file: jobs per transaction', parsePositiveInteger, 1_000)
    .option('-w, --wait', 'wait for the job to finish (a worker must be running) and print its result')
    .addOption(new Option('--wait-timeout <duration>', 'with --wait: give up after this long (exit 8)').argParser(parseDuration))
    .action(
      act<EnqueueFlags>(async (ctx, flags, args) => {
        const name = args[0];
        if (flags.file !== undefined) return enqueueFile(ctx, { ...flags, file: flags.file }, name);
        if (name === undefined) throw usageError('give a job name (docket enqueue <name>) or --file <ndjson>');
        return enqueueOne(ctx, name, flags);
      }),
    );
}

async function enqueueOne(ctx: CliContext, name: string, flags: EnqueueFlags): Promise<number | void> {
  const data = readData(flags.data, ctx.cwd);
  const options = optionsFromFlags(flags);
  await requireDefinedJob(ctx, name);
  const { docket } = await ctx.openDocket('admin');
  const enqueued = await docket.enqueue(name, data, options);
  const job = await docket.getJob(enqueued.id);
  const summary = { id: enqueued.id, created: enqueued.created, name, queue: job?.queue ?? null, state: job?.state ?? null, runAt: job?.runAt ?? null };
  if (!flags.wait) {
    if (ctx.json) return writeJson(ctx.io, summary);
    ctx.io.stdout.write(
      enqueued.created
        ? `enqueued job ${enqueued.id} (${name} on queue ${summary.queue}, ${summary.state}${summary.state === 'delayed' ? ` until ${formatTime(summary.runAt)}` : ''})\n`
        : `job ${enqueued.id} already holds key ${flags.key ?? ''} (${summary.state ?? 'pruned'}); nothing enqueued\n`,
    );
    return;
  }
  if (!ctx.json) ctx.io.stderr.write(`enqueued job ${enqueued.id}; waiting for it to finish (a worker must be running)…\n`);
  // progress on stderr while waiting (a bar on a terminal, lines or JSON events otherwise): job-progress.ts
  const view = createJobView(ctx.io, jobViewMode(ctx.io, ctx.json));
  const watch = watchJob({ read: () => docket.jobs.get(enqueued.id), show: (j) => view.show(j) });
  let result: unknown;
  try {
    result = await docket.waitFor(enqueued.id, flags.waitTimeout === undefined ? {} : { timeoutMs: flags.waitTimeout });
  } finally {
    await watch.stop();
    // the last state, so a bar ends at what the job reached (100% when it reported it)
    const last = await docket.jobs.get(enqueued.id).catch(() => null);
    if (last) view.show(last);
    view.end();
  }
  const finished = await docket.getJob(enqueued.id);
  if (ctx.json) return writeJson(ctx.io, { ...summary, state: finished?.state ?? 'completed', result, job: finished ? publicJob(finished) : null });
  ctx.io.stdout.write(fields([['job', `${enqueued.id} completed`], ['result', formatJson(result)]]));
}

