import type { Pool, PoolClient } from 'pg';
import { ValidationError } from '../../core/errors.js';
import type { NewJob } from '../../core/job.js';
import type { EnqueueResult } from '../../store/store.js';
import { EnqueueBatcher } from './enqueue-batcher.js';
import { holdClient } from './held-client.js';
import { enqueueStatement, type Queryable } from './enqueue-statement.js';
// Defined beside the statement that uses them (enqueue-statement.ts would otherwise import this module back).
export { parseJobData, type Queryable } from './enqueue-statement.js';
import type { HotQueries } from './hot-queries.js';
import { jobsAvailablePayload, type Notifier } from './notifier.js';
import { toStoreError } from './store-error.js';

/** Rows per statement; bigger calls run as several statements in one transaction. */
export const ENQUEUE_CHUNK = 5_000;

export interface EnqueuerDeps {
  pool: Pool;
  queries: HotQueries;
  notifier: Notifier;
  instanceId: string;
  channel: string;
  /** Statements that may run at once before further calls are grouped. */
  slots: number;
  assertOpen(): void;
}

/**
 * How enqueue calls reach the database: concurrent calls grouped into one
 * statement (EnqueueBatcher), huge calls split into chunks inside one
 * transaction, `tx` calls run on the caller's client, and wake-ups sent with
 * the insert (throttled per queue) or, for `tx`, at the caller's commit.
 */
export class Enqueuer {
  private readonly batcher: EnqueueBatcher<NewJob, EnqueueResult>;

  constructor(private readonly d: EnqueuerDeps) {
    this.batcher = new EnqueueBatcher((jobs) => this.run(jobs), d.slots, ENQUEUE_CHUNK);
  }

  submit(jobs: NewJob[]): Promise<EnqueueResult[]> {
    return this.batcher.submit(jobs);
  }

  /** One statement (or one transaction of chunks) for the jobs of one or more grouped calls. */
  private async run(jobs: NewJob[]): Promise<EnqueueResult[]> {
    this.d.assertOpen();
    const { unique, expand } = dedupeKeys(jobs);
    const { sendNow, suppressed } = this.notifySlots(unique);
    let results: EnqueueResult[];
    try {
      results =
        unique.length <= ENQUEUE_CHUNK
          ? await enqueueStatement(this.d.pool, this.d.queries, unique, sendNow, this.d.channel)
          : await this.inTransaction((c) => this.chunks(c, unique, sendNow));
    } catch (e) {
      throw toStoreError(e, 'enqueue');
    }
    this.wakeAfterCommit(results, suppressed);
    return expand(results);
  }

  /**
   * On a client inside a transaction this store runs itself (a schedule's
   * fire): the NOTIFY goes with the insert, throttled as for `submit`, and is
   * delivered on commit. Call `committed()` after COMMIT to wake this
   * process's workers (and send a NOTIFY the throttle held back).
   */
  async inStoreTransaction(client: Queryable, jobs: NewJob[]): Promise<{ results: EnqueueResult[]; committed(): void }> {
    const { unique, expand } = dedupeKeys(jobs);
    const { sendNow, suppressed } = this.notifySlots(unique);
    const results = await this.chunks(client, unique, sendNow);
    return { results: expand(results), committed: () => this.wakeAfterCommit(results, suppressed) };
  }

  /** NOTIFY payloads to send with the insert now, and the queues whose NOTIFY the throttle holds back. */
  private notifySlots(jobs: NewJob[]): { sendNow: string[]; suppressed: string[] } {
    const now = Date.now();
    const sendNow: string[] = [];
    const suppressed: string[] = [];
    for (const q of runnableQueues(jobs, now)) {
      if (this.d.notifier.takeNotifySlot(q, now)) sendNow.push(jobsAvailablePayload(this.d.instanceId, q));
      else suppressed.push(q);
    }
    return { sendNow, suppressed };
  }

  private wakeAfterCommit(results: EnqueueResult[], suppressed: string[]): void {
    const { notifier } = this.d;
    const created = new Set<string>();
    for (const r of results) if (r.created && r.job && r.job.state === 'waiting') created.add(r.job.queue);
    for (const q of created) notifier.emitLocal({ type: 'jobs-available', queue: q });
    for (const q of suppressed) if (created.has(q)) notifier.notifySuppressed(q);
  }

  /** On the caller's client, inside their transaction: the NOTIFY goes with it, so it is delivered only on commit. */
  async inCallerTransaction(jobs: NewJob[], tx: unknown): Promise<EnqueueResult[]> {
    if (typeof tx !== 'object' || tx === null || typeof (tx as { query?: unknown }).query !== 'function') {
      throw new ValidationError('INVALID_OPTION', 'tx', 'tx must be a pg client (PoolClient or Client) inside BEGIN');
    }
    // A Pool also has query(), but each call may run on another connection, outside any transaction.
    if (typeof (tx as { totalCount?: unknown }).totalCount === 'number' && typeof (tx as { connect?: unknown }).connect === 'function') {
      throw new ValidationError('INVALID_OPTION', 'tx', 'tx must be the client your transaction runs on (pool.connect(), then BEGIN), not a Pool');
    }
    const { unique, expand } = dedupeKeys(jobs);
    const notify = [...runnableQueues(unique, Date.now())].map((q) => jobsAvailablePayload('', q));
    try {
      return expand(await this.chunks(tx as Queryable, unique, notify));
    } catch (e) {
      throw toStoreError(e, 'enqueue');
    }
  }

  private async chunks(db: Queryable, jobs: NewJob[], notify: string[]): Promise<EnqueueResult[]> {
    const out: EnqueueResult[] = [];
    for (let i = 0; i < jobs.length; i += ENQUEUE_CHUNK) {
      out.push(...(await enqueueStatement(db, this.d.queries, jobs.slice(i, i + ENQUEUE_CHUNK), i === 0 ? notify : [], this.d.channel)));
    }
    return out;
  }

  private async inTransaction<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.d.pool.connect();
    const unhold = holdClient(client);
    try {
      await client.query('BEGIN');
      const out = await fn(client);
      await client.query('COMMIT');
      return out;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => {});
      throw e;
    } finally {
      unhold();
      client.release();
    }
  }
}

/** Queues that get a job runnable at once (idle workers there should wake). Judged on our clock: a hint only. */
function runnableQueues(jobs: NewJob[], now: number): Set<string> {
  const queues = new Set<string>();
  for (const j of jobs) if (j.runAt === null ? j.delayMs <= 0 : j.runAt.getTime() <= now) queues.add(j.queue);
  return queues;
}

/**
 * Resolves keys repeated within one call: the first job with a key is sent,
 * later ones get its result (`created: false`), as if enqueued one by one.
 */
export function dedupeKeys(jobs: NewJob[]): { unique: NewJob[]; expand(results: EnqueueResult[]): EnqueueResult[] } {
  const firstByKey = new Map<string, number>();
  const mapping: number[] = [];
  const unique: NewJob[] = [];
  let dupes = false;
  for (const j of jobs) {
    const k = j.idempotencyKey;
    const seen = k === null ? undefined : firstByKey.get(k);
    if (seen !== undefined) {
      mapping.push(-1 - seen);
      dupes = true;
      continue;
    }
    if (k !== null) firstByKey.set(k, unique.length);
    mapping.push(unique.length);
    unique.push(j);
  }
  return {
    unique,
    expand(results) {
      if (!dupes) return results;
      return mapping.map((m) => {
        if (m >= 0) return results[m]!;
        const first = results[-1 - m]!;
        return { id: first.id, created: false, job: first.job };
      });
    },
  };
}
