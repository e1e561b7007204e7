/**
 * argv -> commands (commander). `runCli` never exits the process: it returns
 * the exit code, so main.ts decides when to exit and tests can call it.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { registerBenchCommand } from './commands/bench.js';
import { registerDoctorCommand } from './commands/doctor.js';
import { registerEnqueueCommand } from './commands/enqueue.js';
import { registerJobsCommand } from './commands/jobs.js';
import { registerMigrateCommand } from './commands/migrate.js';
import { registerQueuesCommand } from './commands/queues.js';
import { registerSchedulesCommand } from './commands/schedules.js';
import { registerServeCommands } from './commands/serve.js';
import { registerStatsCommand } from './commands/stats.js';
import { CliContext, type GlobalOptions } from './context.js';
import type { CliEnv } from './env.js';
import { CliError, describeError, EXIT, exitCodeFor, usageError } from './exit-codes.js';
import { LOG_FORMATS, LOG_LEVELS } from './logger.js';
import type { Io } from './output.js';
import { parseChoice } from './parse.js';

export interface CliDeps {
  io: Io;
  env: CliEnv;
  cwd: string;
}

/** Wraps a command body: builds the context from the merged flags, closes it after, records the exit code. */
export type Act = <O extends object>(handler: (ctx: CliContext, opts: O, args: string[]) => Promise<number | void>) => (...a: unknown[]) => Promise<void>;

export async function runCli(argv: readonly string[], deps: CliDeps): Promise<number> {
  const { io } = deps;
  let exitCode: number = EXIT.OK;
  let json = argv.includes('--json');
  // Under --json, what commander writes to stderr (its error line, the help hint) is held
  // back: a usage error becomes one JSON object instead, help text is let through.
  const heldErr: string[] = [];
  const output = {
    writeOut: (s: string) => void io.stdout.write(s),
    writeErr: (s: string) => void (json ? heldErr.push(s) : io.stderr.write(s)),
  };

  const act: Act = (handler) => async (...a) => {
    const command = a[a.length - 1] as Command;
    const opts = command.optsWithGlobals() as GlobalOptions & Record<string, unknown>;
    json = opts.json === true;
    const args = a.slice(0, -2).flat().filter((x): x is string => typeof x === 'string');
    const ctx = new CliContext(opts, deps.env, io, deps.cwd);
    try {
      exitCode = (await handler(ctx, command.opts(), args)) ?? EXIT.OK;
    } finally {
      await ctx.close();
    }
  };

  const program = new Command('docket')
    .description('docket: background jobs for TypeScript. Queues, workers, schedules and an admin API on SQLite or PostgreSQL.')
    .version(packageVersion(), '-V, --version')
    .option('--store <url>', 'store URL: sqlite:./docket.db (default), sqlite::memory:, postgres://user@host/db (env DOCKET_STORE, DATABASE_URL)')
    .option('-c, --config <path>', 'config file (env DOCKET_CONFIG; default ./docket.config.{ts,mts,js,mjs} if present)')
    .option('--no-config', 'do not load a config file')
    .option('--json', 'machine-readable JSON on stdout (errors as JSON on stderr)')
    .addOption(new Option('--log-level <level>', 'serve/worker log level').argParser(parseChoice(LOG_LEVELS)).default('info'))
    .addOption(new Option('--log-format <format>', 'serve/worker logs: pretty (default on a terminal) or json').argParser(parseChoice(LOG_FORMATS)))
    .showHelpAfterError('(docket <command> --help shows the usage)')
    .configureOutput(output)
    .exitOverride();

  registerServeCommands(program, act);
  registerEnqueueCommand(program, act);
  registerJobsCommand(program, act);
  registerQueuesCommand(program, act);
  registerSchedulesCommand(program, act);
  registerStatsCommand(program, act);
  registerMigrateCommand(program, act);
  registerDoctorCommand(program, act);
  registerBenchCommand(program, act);
  program.addHelpText(
    'after',
    '\nEnvironment: DOCKET_STORE, DATABASE_URL, PORT, DOCKET_CONFIG, DOCKET_ADMIN_KEY, DOCKET_READ_KEY, DOCKET_SESSION_SECRET (comma-separated).\n' +
      'Exit codes: 0 ok, 1 error, 2 usage, 3 not found, 4 conflict, 5 config, 6 store, 7 check failed, 8 job failed, 130 interrupted.\n' +
      'Docs: docs/cli.md',
  );
  // every subcommand writes through io and never exits the process itself
  for (const c of allCommands(program)) c.exitOverride().configureOutput(output);

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // help and version are successful exits; every other commander error is a usage error (already printed unless --json)
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') {
        for (const s of heldErr.splice(0)) io.stderr.write(s);
        return EXIT.OK;
      }
      if (error.code === 'commander.executeSubCommandAsync') return EXIT.ERROR;
      if (json) reportError(io, usageErrorFrom(error), true);
      return EXIT.USAGE;
    }
    reportError(io, error, json);
    return exitCodeFor(error);
  }
}

/** Errors go to stderr: one `docket: …` line, or `{ "error": { code, message, details } }` with --json. */
export function reportError(io: Io, error: unknown, json: boolean): void {
  const e = describeError(error);
  if (json) {
    io.stderr.write(`${JSON.stringify({ error: e })}\n`);
    return;
  }
  const code = e.code && e.code !== 'ERROR' ? ` [${e.code}]` : '';
  io.stderr.write(`docket: ${e.message}${code}\n`);
  if (exitCodeFor(error) === EXIT.ERROR && error instanceof Error && error.stack) {
    io.stderr.write(`${error.stack.split('\n').slice(1, 8).join('\n')}\n`);
  }
}

/**
 * Commander's error as docket's USAGE error: code `USAGE` for every kind (the
 * exit code is 2 for all of them), `details.reason` commander's own stable code
 * without its prefix (`unknownOption`, `invalidArgument`, `missingArgument`, …).
 */
export function usageErrorFrom(error: CommanderError): CliError {
  return usageError(error.message.replace(/^error: /, ''), { reason: error.code.replace(/^commander\./, '') });
}

function allCommands(c: Command): Command[] {
  return c.commands.flatMap((sub) => [sub, ...allCommands(sub)]);
}

function packageVersion(): string {
  try {
    // src/cli/program.ts and dist/cli/program.js are both two levels below the package root
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}
