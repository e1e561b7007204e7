/**
 * What `docket enqueue` reads from its command line, for one job and for
 * `--file` alike: the flags, the enqueue options they give, `--data`, and the
 * check that the config defines the job.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { EnqueueOptions } from '../../core/config.js';
import { assertName } from '../../core/validate.js';
import type { CliContext } from '../context.js';
import { CliError, configError, EXIT, usageError } from '../exit-codes.js';

export interface EnqueueFlags {
  data?: string;
  file?: string;
  queue?: string;
  priority?: number;
  delay?: number;
  runAt?: Date;
  key?: string;
  keepKey?: boolean;
  maxAttempts?: number;
  timeout?: number;
  batch?: number;
  wait?: boolean;
  waitTimeout?: number;
}

/** Enqueue options from the flags (per-line options of a file override them). */
export function optionsFromFlags(flags: EnqueueFlags): EnqueueOptions {
  if (flags.delay !== undefined && flags.runAt !== undefined) throw usageError('give --delay or --run-at, not both');
  if (flags.keepKey && flags.key === undefined && flags.file === undefined) throw usageError('--keep-key needs --key');
  return {
    ...(flags.queue === undefined ? {} : { queue: flags.queue }),
    ...(flags.priority === undefined ? {} : { priority: flags.priority }),
    ...(flags.delay === undefined ? {} : { delayMs: flags.delay }),
    ...(flags.runAt === undefined ? {} : { runAt: flags.runAt }),
    ...(flags.key === undefined ? {} : { idempotencyKey: flags.key }),
    ...(flags.keepKey ? { keepKeyForever: true } : {}),
    ...(flags.maxAttempts === undefined ? {} : { maxAttempts: flags.maxAttempts }),
    ...(flags.timeout === undefined ? {} : { timeoutMs: flags.timeout }),
  };
}

/** Refuses before touching the store when the config defines no such job (the message lists what it does define). */
export async function requireDefinedJob(ctx: CliContext, name: string): Promise<void> {
  assertName('name', name);
  const { path } = await ctx.config();
  const names = await ctx.jobNames();
  if (names.includes(name)) return;
  if (path === null) {
    throw configError(`no config file, so no job definitions: enqueue needs docket.config.ts (or --config) defining "${name}"`, { jobName: name });
  }
  const known = names.length ? names.join(', ') : 'none';
  throw new CliError('UNKNOWN_JOB', `no job named "${name}" is defined in ${path} (defined: ${known})`, EXIT.NOT_FOUND, { jobName: name });
}

/** `--data`: JSON text, `@path` (a JSON file) or `@-` (stdin); absent means null. */
export function readData(value: string | undefined, cwd: string): unknown {
  if (value === undefined) return null;
  let text = value;
  let from = '--data';
  if (value.startsWith('@')) {
    const path = value.slice(1);
    from = path === '-' ? 'stdin' : path;
    try {
      text = readFileSync(path === '-' ? 0 : resolve(cwd, path), 'utf8');
    } catch (e) {
      throw usageError(`cannot read ${from}: ${(e as Error).message}`);
    }
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw usageError(`${from} is not valid JSON: ${(e as Error).message}`, { field: 'data' });
  }
}
