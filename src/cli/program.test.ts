/**
 * Usage errors (issue 12): under --json they are one JSON object on stderr
 * with a stable code, never commander's plain text; the exit code stays 2.
 * Flag values are checked against the flag's own bounds, so the message
 * names the flag (`--limit`), not the library field behind it (`query.limit`).
 * In-process (runCli): no store is opened for any of these.
 */
import { describe, expect, it } from 'vitest';
import { runCliInProcess } from './test-support/run-cli.js';

/** stderr as the one JSON line it must be. */
function jsonError(stderr: string): { code: string; message: string; details: Record<string, unknown> } {
  const lines = stderr.trimEnd().split('\n');
  expect(lines, stderr).toHaveLength(1);
  return (JSON.parse(lines[0]!) as { error: { code: string; message: string; details: Record<string, unknown> } }).error;
}

const NO_STORE = ['--no-config', '--store', 'sqlite:/nonexistent/dir/never.db'];

describe('usage errors under --json', () => {
  it.each([
    { argv: ['frobnicate'], reason: 'unknownCommand', says: "unknown command 'frobnicate'" },
    { argv: ['jobs', 'list', '--frob'], reason: 'unknownOption', says: "unknown option '--frob'" },
    { argv: ['jobs', 'list', '--state', 'sleeping'], reason: 'invalidArgument', says: 'unknown state "sleeping"' },
    { argv: ['jobs', 'show'], reason: 'missingArgument', says: "missing required argument 'id'" },
    { argv: ['jobs', 'list', '--limit'], reason: 'optionMissingArgument', says: "argument missing" },
    { argv: ['enqueue', 'x', '--priority', 'high'], reason: 'invalidArgument', says: 'not an integer' },
    { argv: ['jobs', 'show', '1', '2'], reason: 'excessArguments', says: 'too many arguments' },
  ])('$reason ($argv) is a JSON error with code USAGE, exit 2', async ({ argv, reason, says }) => {
    const r = await runCliInProcess([...NO_STORE, ...argv, '--json']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const error = jsonError(r.stderr);
    expect(error.code).toBe('USAGE');
    expect(error.message).toContain(says);
    expect(error.message).not.toMatch(/^error:/);
    expect(error.details).toMatchObject({ reason });
  });

  it('--json anywhere on the line counts (before the command too)', async () => {
    const r = await runCliInProcess(['--json', ...NO_STORE, 'jobs', 'list', '--frob']);
    expect(r.code).toBe(2);
    expect(jsonError(r.stderr)).toMatchObject({ code: 'USAGE', details: { reason: 'unknownOption' } });
  });

  it('without --json the same error stays a line for people, with the hint', async () => {
    const r = await runCliInProcess([...NO_STORE, 'jobs', 'list', '--frob']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("error: unknown option '--frob'");
    expect(r.stderr).toContain('--help shows the usage');
  });

  it('--help and --version still print text and exit 0 under --json', async () => {
    const help = await runCliInProcess(['jobs', '--help', '--json']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: docket jobs');
    const version = await runCliInProcess(['--version', '--json']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('flag values are checked against the flag', () => {
  it('jobs list --limit 5000 names --limit and its range, exit 2', async () => {
    const r = await runCliInProcess([...NO_STORE, 'jobs', 'list', '--limit', '5000', '--json']);
    expect(r.code).toBe(2);
    const error = jsonError(r.stderr);
    expect(error.message).toContain('--limit');
    expect(error.message).toContain('from 1 to 1,000');
    expect(error.message).not.toContain('query.limit');
  });

  it('enqueue --priority out of range names --priority, exit 2', async () => {
    const r = await runCliInProcess([...NO_STORE, 'enqueue', 'x', '--priority', '2000000', '--json']);
    expect(r.code).toBe(2);
    expect(jsonError(r.stderr).message).toMatch(/--priority.*-1,000,000 to 1,000,000/);
  });

  it('a duration flag out of the grammar is a usage error that names the flag and the rule', async () => {
    const r = await runCliInProcess([...NO_STORE, 'enqueue', 'x', '--delay', '30m1h', '--json']);
    expect(r.code).toBe(2);
    expect(jsonError(r.stderr).message).toMatch(/--delay.*"30m1h" gives units out of order: each unit once, largest first/);
  });

  it('jobs list --limit 1000 is accepted (the store check comes next)', async () => {
    const r = await runCliInProcess([...NO_STORE, 'jobs', 'list', '--limit', '1000', '--json']);
    expect(jsonError(r.stderr).code).toBe('STORE_NOT_FOUND');
  });
});
