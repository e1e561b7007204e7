/**
 * `docket serve` (admin API + worker + maintenance, each part optional) and
 * `docket worker` (worker + maintenance). Both run until SIGTERM/SIGINT, then
 * stop gracefully: the API stops accepting requests, the config's teardown
 * runs, the worker stops claiming and gives running jobs `--grace` to finish
 * before aborting and releasing them.
 */
import type { Command } from 'commander';
import type { Docket, DocketOptions } from '../../docket.js';
import type { CliContext } from '../context.js';
import type { DocketConfig } from '../define-config.js';
import { CliError, EXIT, usageError } from '../exit-codes.js';
import { formatDuration } from '../output.js';
import { parseDuration, parseList, parsePort, parsePositiveInteger } from '../parse.js';
import type { Act } from '../program.js';
import { waitForShutdownSignal } from '../shutdown.js';

export const DEFAULT_CLI_HOST = '127.0.0.1';
export const DEFAULT_CLI_PORT = 7070;

interface ServiceFlags {
  api?: boolean;
  worker?: boolean;
  scheduler?: boolean;
  port?: number;
  host?: string;
  concurrency?: number;
  queues?: string[];
  grace?: number;
  failFast?: boolean;
}

export function registerServeCommands(program: Command, act: Act): void {
  const workerOptions = (c: Command) =>
    c
      .option('--concurrency <n>', 'jobs this worker runs at once (default: config worker.concurrency, else 10)', parsePositiveInteger)
      .option('--queues <list>', "comma list of queues to work (default: config worker.queues, else the defined jobs' queues)", parseList)
      .option('--grace <duration>', 'on SIGTERM/SIGINT, how long running jobs may take before they are aborted and put back (default: config worker.shutdownGraceMs, else 10s)', parseDuration)
      .option('--fail-fast', 'exit at once (code 6) when the store does not answer at start, instead of waiting for it (default: config failFast, else wait)');

  workerOptions(
    program
      .command('serve')
      .description('run the admin API, a worker, the scheduler and maintenance in one process until SIGTERM/SIGINT')
      .option('--port <port>', 'admin API port (env PORT; default 7070; 0 picks a free one)', parsePort)
      .option('--host <host>', 'admin API interface (default 127.0.0.1; a non-loopback one needs an API key)')
      .option('--no-api', 'do not serve the admin API')
      .option('--no-worker', 'do not run jobs')
      .option('--no-scheduler', 'do not turn schedules into jobs in this process (schedules are still stored)'),
  ).action(act<ServiceFlags>(async (ctx, flags) => runServices(ctx, { ...flags, api: flags.api !== false, worker: flags.worker !== false, scheduler: flags.scheduler !== false })));

  workerOptions(program.command('worker').description('run a worker (and maintenance) until SIGTERM/SIGINT; no API, no scheduler')).action(
    act<ServiceFlags>(async (ctx, flags) => runServices(ctx, { ...flags, api: false, worker: true, scheduler: false })),
  );
}

async function runServices(ctx: CliContext, flags: ServiceFlags & { api: boolean; worker: boolean; scheduler: boolean }): Promise<number> {
  if (!flags.api && !flags.worker && !flags.scheduler) throw usageError('nothing to run: --no-api, --no-worker and --no-scheduler together leave nothing');
  // listen first, so a signal during start-up still stops cleanly
  const shutdown = waitForShutdownSignal((signal) => ctx.io.stderr.write(`docket: second ${signal}: exiting without waiting\n`));
  try {
    const { config } = await ctx.config();
    const port = flags.api ? resolvePort(flags.port, ctx.env.port, config) : null;
    const logger = ctx.logger();
    const worker: DocketOptions['worker'] = {
      enabled: flags.worker,
      ...(flags.concurrency === undefined ? {} : { concurrency: flags.concurrency }),
      ...(flags.queues === undefined ? {} : { queues: flags.queues }),
      ...(flags.grace === undefined ? {} : { shutdownGraceMs: flags.grace }),
    };
    const { docket, loaded } = await ctx.openDocket(flags.api || flags.scheduler ? 'serve' : 'worker', {
      worker,
      scheduler: flags.scheduler,
      logger,
      ...(flags.failFast ? { failFast: true } : {}),
    });
    const source = await ctx.storeSource();
    if (flags.worker && Object.keys(config.jobs ?? {}).length === 0) {
      logger.warn(loaded.path ? `${loaded.path} defines no jobs: the worker has nothing to run` : 'no config file: the worker has no job definitions and runs nothing');
    }
    // The API listens before the Docket starts: while start() waits for an unreachable store,
    // every request (/healthz too) answers 503 NOT_STARTED "starting: store unreachable".
    const keys = { admin: ctx.env.adminKeys ?? config.api?.keys?.admin ?? [], read: ctx.env.readKeys ?? config.api?.keys?.read ?? [] };
    const sessionSecrets = ctx.env.sessionSecrets ?? config.api?.sessionSecrets;
    const server = flags.api ? await listen(docket, config, { keys, sessionSecrets, port: port!, host: flags.host, logger }) : null;
    let teardown: unknown;
    const runTeardown = async (): Promise<void> => {
      const fn = teardown;
      teardown = undefined;
      if (typeof fn === 'function') await (fn as () => unknown)();
    };
    try {
      // a signal while start() waits for the store stops at once (start gives up with NOT_STARTED)
      const startup = docket.start();
      const early = await Promise.race([startup.then(() => null), shutdown.received]);
      if (early !== null) {
        startup.catch(() => undefined);
        await server?.close({ graceMs: 0 });
        await docket.close({ graceMs: 0 });
        if (ctx.json) ctx.io.stdout.write(`${JSON.stringify({ event: 'stopped', signal: early, ms: 0, started: false })}\n`);
        else ctx.io.stdout.write(`docket: ${early} before the store answered: stopped\n`);
        return EXIT.OK;
      }
      teardown = config.setup ? await config.setup(docket) : undefined;

      const workerQueues = docket.config.worker.queues ?? [...new Set(Object.values(config.jobs ?? {}).map((j) => j.queue ?? 'default'))];
      const ready = {
        event: 'ready',
        pid: process.pid,
        url: server?.url ?? null,
        auth: flags.api ? keys.admin.length + keys.read.length > 0 : null,
        worker: flags.worker ? { queues: workerQueues, concurrency: docket.config.worker.concurrency } : null,
        scheduler: docket.schedulerConfig.enabled,
        store: source.display,
        config: loaded.path,
      };
      // one JSON object per line (NDJSON), so a supervisor can read events as they come
      if (ctx.json) ctx.io.stdout.write(`${JSON.stringify(ready)}\n`);
      else ctx.io.stdout.write(readyLine(ready));

      const signal = await shutdown.received;
      const graceMs = docket.config.worker.shutdownGraceMs;
      if (!ctx.json) ctx.io.stdout.write(`docket: ${signal}: stopping (running jobs get up to ${formatDuration(graceMs)}; a second signal exits at once)\n`);
      const t0 = Date.now();
      await server?.close({ graceMs: 5_000 });
      await runTeardown();
      await docket.close({ graceMs });
      const stopped = { event: 'stopped', signal, ms: Date.now() - t0 };
      if (ctx.json) ctx.io.stdout.write(`${JSON.stringify(stopped)}\n`);
      else ctx.io.stdout.write(`docket: stopped after ${formatDuration(stopped.ms)}\n`);
      return EXIT.OK;
    } catch (error) {
      // a failed start still undoes what setup started, and stops listening
      await runTeardown().catch(() => undefined);
      await server?.close({ graceMs: 0 }).catch(() => undefined);
      throw error;
    }
  } finally {
    shutdown.dispose();
  }
}

async function listen(
  docket: Docket,
  config: DocketConfig,
  o: {
    keys: { admin: string[]; read: string[] };
    sessionSecrets: string | readonly string[] | undefined;
    port: number;
    host: string | undefined;
    logger: ReturnType<CliContext['logger']>;
  },
): Promise<{ url: string; close(o?: { graceMs?: number }): Promise<void> }> {
  const { serveAdmin } = await import('../../admin/api/index.js');
  const { keys: _keys, port: _port, host: _host, ...apiOptions } = config.api ?? {};
  try {
    return await serveAdmin({
      ...apiOptions,
      docket,
      keys: o.keys,
      ...(o.sessionSecrets === undefined ? {} : { sessionSecrets: o.sessionSecrets }),
      host: o.host ?? config.api?.host ?? DEFAULT_CLI_HOST,
      port: o.port,
      logger: o.logger,
    });
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'EADDRINUSE' || code === 'EACCES') {
      throw new CliError(code, `cannot listen on port ${o.port}: ${code === 'EADDRINUSE' ? 'in use' : 'permission denied'} (--port or PORT picks another)`, EXIT.CONFIG, { port: o.port });
    }
    throw e;
  }
}

function resolvePort(flag: number | undefined, env: string | undefined, config: DocketConfig): number {
  if (flag !== undefined) return flag;
  if (env !== undefined) {
    const n = Number(env);
    if (!Number.isInteger(n) || n < 0 || n > 65_535) throw usageError(`PORT must be a port number 0-65535 (got ${env})`);
    return n;
  }
  return config.api?.port ?? DEFAULT_CLI_PORT;
}

function readyLine(r: { url: string | null; auth: boolean | null; worker: { queues: string[]; concurrency: number } | null; scheduler: boolean; store: string; config: string | null }): string {
  const parts: string[] = [];
  if (r.url) parts.push(`admin API on ${r.url}${r.auth ? '' : ' (no API key: loopback only)'}`);
  if (r.worker) parts.push(`worker on ${r.worker.queues.length ? r.worker.queues.join(', ') : 'no queues'} (concurrency ${r.worker.concurrency})`);
  if (r.scheduler) parts.push('scheduler');
  parts.push(`store ${r.store}`);
  if (r.config) parts.push(`config ${r.config}`);
  return `docket: ${parts.join(' · ')}\ndocket: Ctrl-C (SIGINT) or SIGTERM stops gracefully\n`;
}
