/**
 * The seed's view of a job (Celery-style statuses, progress with step, total,
 * percent and message) mapped from docket's job record, and the statistics
 * behind /api/v1/jobs/statistics and the hourly `update-statistics` job.
 */
import type { Docket, JobRecord, JobState } from 'docket';
import { errorCategory } from './errors.js';

export const SEED_STATUSES = ['pending', 'running', 'completed', 'failed', 'cancelled', 'retry'] as const;
export type SeedStatus = (typeof SEED_STATUSES)[number];

/** Job priority within a queue: higher runs first. */
export const PRIORITIES = { high: 10, normal: 0, low: -10 } as const;
export type PriorityName = keyof typeof PRIORITIES;

/**
 * docket's states in the seed's words. A job waiting (or in backoff) after a
 * failed attempt is `retry`; a job that never ran is `pending`.
 */
export function seedStatus(job: Pick<JobRecord, 'state' | 'attempt'>): SeedStatus {
  switch (job.state) {
    case 'waiting':
    case 'delayed':
      return job.attempt > 0 ? 'retry' : 'pending';
    case 'active':
      return 'running';
    default:
      return job.state;
  }
}

/** Which docket states to read for a seed status (pending/retry are then told apart per job). */
export function statesFor(status: SeedStatus): JobState[] {
  if (status === 'pending' || status === 'retry') return ['waiting', 'delayed'];
  if (status === 'running') return ['active'];
  return [status];
}

export function priorityName(priority: number): PriorityName {
  return priority > 0 ? 'high' : priority < 0 ? 'low' : 'normal';
}

export function jobStatus(job: JobRecord) {
  const p = job.progress;
  return {
    job_id: job.id,
    task_name: job.name,
    queue: job.queue,
    status: seedStatus(job),
    priority: priorityName(job.priority),
    progress: p && {
      step: p.current,
      total: p.total,
      percent: p.total ? Math.round((p.current / p.total) * 100) : null,
      message: p.message,
    },
    result: job.state === 'completed' ? job.result : null,
    error: job.error && {
      message: job.error.message,
      category: errorCategory(job.error.code),
      attempt: job.error.attempt,
    },
    attempts: job.attempt,
    max_attempts: job.maxAttempts,
    created_at: job.createdAt.toISOString(),
    started_at: job.startedAt?.toISOString() ?? null,
    finished_at: job.finishedAt?.toISOString() ?? null,
    next_attempt_at: job.state === 'delayed' ? job.runAt.toISOString() : null,
  };
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Totals by status, queue lengths, success/failure rates and run times, all read from the store. */
export async function collectStatistics(docket: Docket, queues: readonly string[]) {
  const counts = await docket.store.countJobs();
  const byStatus: Record<SeedStatus, number> = { pending: 0, running: 0, completed: 0, failed: 0, cancelled: 0, retry: 0 };
  const queueLengths: Record<string, number> = Object.fromEntries(queues.map((q) => [q, 0]));
  for (const { queue, counts: c } of counts) {
    // counts cannot tell a due retry from a new job: `retry` here is the jobs still in backoff
    byStatus.pending += c.waiting;
    byStatus.retry += c.delayed;
    byStatus.running += c.active;
    byStatus.completed += c.completed;
    byStatus.failed += c.failed;
    byStatus.cancelled += c.cancelled;
    queueLengths[queue] = c.waiting + c.delayed;
  }
  const stats = await docket.store.jobStats({ windowsMs: [HOUR, DAY], runTimeWindowMs: DAY });
  const window = (w: { completed: number; failed: number; cancelled: number } | undefined) => {
    const finished = (w?.completed ?? 0) + (w?.failed ?? 0);
    return {
      completed: w?.completed ?? 0,
      failed: w?.failed ?? 0,
      cancelled: w?.cancelled ?? 0,
      success_rate: finished ? round(w!.completed / finished) : null,
      failure_rate: finished ? round(w!.failed / finished) : null,
    };
  };
  return {
    generated_at: stats.at.toISOString(),
    total_jobs: Object.values(byStatus).reduce((a, b) => a + b, 0),
    by_status: byStatus,
    queue_lengths: queueLengths,
    last_hour: window(stats.windows[0]),
    last_24h: window(stats.windows[1]),
    average_execution_ms: Object.fromEntries(stats.byName.filter((n) => n.meanRunMs !== null).map((n) => [n.name, n.meanRunMs])),
    by_task: stats.byName.map((n) => ({ task_name: n.name, completed: n.completed, failed: n.failed, mean_ms: n.meanRunMs, p95_ms: n.p95RunMs })),
  };
}

const round = (n: number) => Math.round(n * 1000) / 1000;
