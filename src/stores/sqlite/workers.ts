import type Database from 'better-sqlite3';
import type { WorkerInfo, WorkerInfoInput } from '../../store/store.js';
import { invalid } from '../../store/input.js';
import { SQL } from './queries.js';

type Prepare = (sql: string) => Database.Statement;

/** Upserts a worker's liveness row, stamped with the store's now. */
export function recordWorker(w: WorkerInfoInput, now: number, prepare: Prepare): void {
  if (typeof w?.id !== 'string' || w.id.length === 0) throw invalid('worker.id', 'worker.id must be a non-empty string');
  if (!(w.startedAt instanceof Date) || Number.isNaN(w.startedAt.getTime())) throw invalid('worker.startedAt', 'worker.startedAt must be a valid Date');
  prepare(SQL.recordWorker).run(w.id, String(w.host), w.pid, JSON.stringify(w.queues), w.concurrency, w.activeJobs, w.startedAt.getTime(), now);
}

type Row = { id: string; host: string; pid: number; queues: string; concurrency: number; active_jobs: number; started_at: number; last_heartbeat_at: number };

export function listWorkers(seenSince: number, prepare: Prepare): WorkerInfo[] {
  return (prepare(SQL.listWorkers).all(seenSince) as Row[]).map((r) => ({
    id: r.id,
    host: r.host,
    pid: r.pid,
    queues: JSON.parse(r.queues) as string[],
    concurrency: r.concurrency,
    activeJobs: r.active_jobs,
    startedAt: new Date(r.started_at),
    lastHeartbeatAt: new Date(r.last_heartbeat_at),
  }));
}
