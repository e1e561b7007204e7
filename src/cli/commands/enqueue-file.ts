/**
 * `docket enqueue --file jobs.ndjson`: bulk enqueue, one job per line.
 *
 * The whole file is read and checked first (JSON, shape, job names), so a
 * malformed file writes nothing. Then jobs go in in order, `--batch` per
 * transaction (each batch all or nothing); a batch refused by a job's schema
 * stops the run and says which line, and how many jobs before it were stored.
 */
import { createReadStream } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { EnqueueOptions } from '../../core/config.js';
import { isDocketError } from '../../core/errors.js';
import { describe } from '../../core/validate.js';
import type { CliContext } from '../context.js';
import { CliError, EXIT, EXIT_CODE_BY_ERROR, usageError } from '../exit-codes.js';
import { formatDuration, formatNumber, writeJson } from '../output.js';
import { startProgress } from '../progress.js';
import { optionsFromFlags, requireDefinedJob, type EnqueueFlags } from './enqueue-input.js';

interface Item {
  name: string;
  data: unknown;
  options: EnqueueOptions;
  line: number;
}

const LINE_KEYS = new Set(['name', 'data', 'options']);

export async function enqueueFile(ctx: CliContext, flags: EnqueueFlags & { file: string }, name: string | undefined): Promise<number | void> {
  if (flags.wait) throw usageError('--wait works with a single job, not with --file');
  if (flags.key !== undefined) throw usageError('--key would give every line the same idempotency key: put "idempotencyKey" in each line\'s "options"');
  if (flags.data !== undefined) throw usageError('give --data or --file, not both');
  const defaults = optionsFromFlags(flags);
  if (name !== undefined) await requireDefinedJob(ctx, name);
  const path = flags.file === '-' ? '-' : resolve(ctx.cwd, flags.file);
  const items = await readItems(ctx, path, name, defaults);

  const { docket } = await ctx.openDocket('admin');
  const started = Date.now();
  const progress = startProgress(ctx.io, { label: 'enqueue', total: items.length, unit: 'jobs', quiet: ctx.json });
  let created = 0;
  let existing = 0;
  let done = 0;
  try {
    for (let offset = 0; offset < items.length; offset += flags.batch!) {
      const batch = items.slice(offset, offset + flags.batch!);
      let results;
      try {
        results = await docket.enqueueMany(batch.map((i) => ({ name: i.name, data: i.data, options: i.options })));
      } catch (e) {
        throw atLine(e, batch, done);
      }
      for (const r of results) {
        if (r.created) created++;
        else existing++;
      }
      done += batch.length;
      progress.update(done);
    }
  } finally {
    progress.stop();
  }
  const ms = Date.now() - started;
  const result = { file: path, jobs: items.length, created, existing, ms, jobsPerSec: ms > 0 ? Math.round((items.length / ms) * 1_000) : null };
  if (ctx.json) return writeJson(ctx.io, result);
  ctx.io.stdout.write(
    `enqueued ${formatNumber(created)} job${created === 1 ? '' : 's'} from ${flags.file} in ${formatDuration(ms)}` +
      (result.jobsPerSec ? ` (${formatNumber(result.jobsPerSec)} jobs/s)` : '') +
      (existing ? `; ${formatNumber(existing)} already existed (idempotency keys)` : '') +
      '\n',
  );
}

async function readItems(ctx: CliContext, path: string, name: string | undefined, defaults: EnqueueOptions): Promise<Item[]> {
  const defined = new Set(await ctx.jobNames());
  const { path: configPath } = await ctx.config();
  const input = path === '-' ? process.stdin : createReadStream(path, 'utf8');
  const opened = new Promise<void>((ok, fail) => {
    if (path === '-') return ok();
    input.once('open', () => ok());
    input.once('error', (e: Error) => fail(usageError(`cannot read ${path}: ${e.message}`)));
  });
  await opened;
  const items: Item[] = [];
  let line = 0;
  for await (const text of createInterface({ input, crlfDelay: Infinity })) {
    line++;
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      throw usageError(`${path}:${line}: not valid JSON: ${(e as Error).message}`, { line });
    }
    if (name !== undefined) {
      items.push({ name, data: value, options: defaults, line });
      continue;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw usageError(`${path}:${line}: each line must be {"name": …, "data": …, "options"?: {…}} (got ${describe(value)}); or give the job name as an argument and put only the data on each line`, { line });
    }
    const o = value as Record<string, unknown>;
    const unknown = Object.keys(o).find((k) => !LINE_KEYS.has(k));
    if (unknown !== undefined) throw usageError(`${path}:${line}: unknown key "${unknown}" (a line has name, data, options)`, { line });
    if (typeof o.name !== 'string') throw usageError(`${path}:${line}: "name" must be a string`, { line });
    if (!defined.has(o.name)) {
      const where = configPath ?? 'the config (none found)';
      throw new CliError('UNKNOWN_JOB', `${path}:${line}: no job named "${o.name}" is defined in ${where}`, EXIT.NOT_FOUND, { line, jobName: o.name });
    }
    if (o.options !== undefined && (typeof o.options !== 'object' || o.options === null || Array.isArray(o.options))) {
      throw usageError(`${path}:${line}: "options" must be an object`, { line });
    }
    const lineOptions = { ...(o.options as Record<string, unknown> | undefined) };
    if (typeof lineOptions.runAt === 'string') lineOptions.runAt = new Date(lineOptions.runAt);
    items.push({ name: o.name, data: o.data ?? null, options: { ...defaults, ...(lineOptions as EnqueueOptions) }, line });
  }
  if (items.length === 0) throw usageError(`${path} has no jobs (empty file)`);
  return items;
}

/** Points a batch's validation error at its line in the file. */
function atLine(e: unknown, batch: Item[], storedBefore: number): unknown {
  if (!isDocketError(e)) return e;
  const index = typeof e.details.index === 'number' ? e.details.index : null;
  const item = index === null ? null : batch[index];
  const where = item ? `line ${item.line}` : `the batch starting at line ${batch[0]!.line}`;
  const kept = storedBefore > 0 ? `; the ${storedBefore} jobs before this batch were enqueued` : '; nothing was enqueued';
  const message = `${where}: ${e.message.replace(/^items\[\d+\]: /, '')}${kept}`;
  return new CliError(e.code, message, EXIT_CODE_BY_ERROR[e.code] ?? EXIT.ERROR, { ...e.details, ...(item ? { line: item.line } : {}), enqueuedBefore: storedBefore });
}
