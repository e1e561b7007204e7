import { describe, expect, it } from 'vitest';
import { ERROR_CODES, JobNotFoundError, UnknownJobError, ValidationError } from '../core/errors.js';
import { CliError, describeError, EXIT, EXIT_CODE_BY_ERROR, exitCodeFor } from './exit-codes.js';

describe('exit codes', () => {
  it('maps every docket error code (a new code must be given an exit code here)', () => {
    const missing = ERROR_CODES.filter((code) => EXIT_CODE_BY_ERROR[code] === undefined);
    expect(missing).toEqual([]);
  });

  it('picks the code from docket errors, CLI errors, and coded errors of another docket copy', () => {
    expect(exitCodeFor(new JobNotFoundError('1'))).toBe(EXIT.NOT_FOUND);
    expect(exitCodeFor(new UnknownJobError('x'))).toBe(EXIT.NOT_FOUND);
    expect(exitCodeFor(new ValidationError('INVALID_NAME', 'name', 'bad'))).toBe(EXIT.USAGE);
    expect(exitCodeFor(new ValidationError('INVALID_CONFIG', 'worker', 'bad'))).toBe(EXIT.CONFIG);
    expect(exitCodeFor(new CliError('X', 'm', EXIT.STORE))).toBe(EXIT.STORE);
    expect(exitCodeFor(Object.assign(new Error('other copy'), { code: 'INVALID_TRANSITION' }))).toBe(EXIT.CONFLICT);
    expect(exitCodeFor(Object.assign(new Error('fs'), { code: 'ENOENT' }))).toBe(EXIT.ERROR);
    expect(exitCodeFor('a string')).toBe(EXIT.ERROR);
  });

  it('describes errors for --json output', () => {
    expect(describeError(new JobNotFoundError('7'))).toEqual({ code: 'JOB_NOT_FOUND', message: 'job 7 does not exist', details: { jobId: '7' } });
    expect(describeError(new Error('boom'))).toEqual({ code: 'ERROR', message: 'boom', details: {} });
  });
});
