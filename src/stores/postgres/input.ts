import type { NewJob } from '../../core/job.js';
import { invalid } from '../../store/input.js';

/** PostgreSQL text cannot hold NUL; refuse it up front rather than fail the batch in the server. */
export function checkPgText(jobs: NewJob[]): void {
  jobs.forEach((j, i) => {
    if (j.idempotencyKey !== null && j.idempotencyKey.includes('\u0000')) throw invalid(`jobs[${i}].idempotencyKey`, `jobs[${i}].idempotencyKey must not contain NUL characters`);
    if (j.scheduleName !== null && j.scheduleName.includes('\u0000')) throw invalid(`jobs[${i}].scheduleName`, `jobs[${i}].scheduleName must not contain NUL characters`);
  });
}
