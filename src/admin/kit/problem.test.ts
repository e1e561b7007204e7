import { describe, expect, it } from 'vitest';
import { ERROR_CODES, JobNotFoundError, ValidationError } from '../../core/errors.js';
import { HTTP_PROBLEM_CODES, HttpProblem, PROBLEM_TABLE, problemFromError } from './problem.js';

describe('the problem table', () => {
  it('maps every error code and every HTTP-only code', () => {
    const missing = [...ERROR_CODES, ...HTTP_PROBLEM_CODES].filter((code) => !PROBLEM_TABLE[code]);
    expect(missing, 'add these codes to PROBLEM_TABLE in src/admin/kit/problem.ts').toEqual([]);
  });

  it('uses client statuses for caller mistakes and server statuses for faults', () => {
    for (const code of ['INVALID_NAME', 'INVALID_DATA', 'INVALID_OPTION', 'PAYLOAD_TOO_LARGE', 'JOB_NOT_FOUND', 'INVALID_TRANSITION', 'UNAUTHORIZED', 'FORBIDDEN', 'RATE_LIMITED'] as const) {
      expect(PROBLEM_TABLE[code]!.status, code).toBeGreaterThanOrEqual(400);
      expect(PROBLEM_TABLE[code]!.status, code).toBeLessThan(500);
    }
    for (const code of ['STORE_ERROR', 'STORE_CLOSED', 'INTERNAL_ERROR'] as const) expect(PROBLEM_TABLE[code]!.status).toBeGreaterThanOrEqual(500);
  });
});

describe('problemFromError', () => {
  it('shows a DocketError with its code, field and details', () => {
    const { problem, unexpected } = problemFromError(new ValidationError('INVALID_NAME', 'queue', 'queue must match', { value: 'a b' }));
    expect(unexpected).toBe(false);
    expect(problem).toEqual({ type: 'urn:docket:problem:INVALID_NAME', title: 'Invalid name', status: 400, detail: 'queue must match', code: 'INVALID_NAME', field: 'queue', details: { value: 'a b' } });
    expect(problemFromError(new JobNotFoundError('7')).problem).toMatchObject({ status: 404, code: 'JOB_NOT_FOUND', details: { jobId: '7' } });
  });

  it('hides the message of an unexpected error and flags it for the log', () => {
    const { problem, unexpected } = problemFromError(new Error('SQLITE_CORRUPT at /secret/path'));
    expect(unexpected).toBe(true);
    expect(problem.status).toBe(500);
    expect(JSON.stringify(problem)).not.toContain('secret');
  });

  it('passes HttpProblems through', () => {
    const e = new HttpProblem('RATE_LIMITED', 'slow down', { retryAfter: 2 }, { 'retry-after': '2' });
    expect(problemFromError(e)).toEqual({ problem: expect.objectContaining({ status: 429, retryAfter: 2 }), unexpected: false });
  });
});
