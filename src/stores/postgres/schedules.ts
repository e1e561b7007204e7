import type { Pool, PoolClient } from 'pg';
import type { NewJob } from '../../core/job.js';
import type { MissedFires } from '../../core/schedule-plan.js';
import { checkClaimFire, checkTriggerSchedule, claimFire, triggerFire, type ScheduleTx, type SlotMove } from '../../store/claim-fire.js';
import { checkDueSchedules, checkScheduleFires, checkUpsertSchedules } from '../../store/input.js';
import { ms, planUpsert, toScheduleFire, toScheduleRecord, toScheduleState, type FireRow, type ScheduleRow } from '../../store/schedule-rows.js';
import {
  FIRE_HISTORY_LIMIT,
  type ClaimFireParams,
  type ClaimFireResult,
  type DueSchedules,
  type ScheduleFire,
  type ScheduleRecord,
  type ScheduleStore,
  type TriggerScheduleResult,
  type UpsertSchedulesParams,
  type UpsertSchedulesResult,
  missedFireRecord,
} from '../../store/schedule-store.js';
import type { EnqueueResult } from '../../store/store.js';
import type { Queryable } from './enqueue.js';
import { inTransaction } from './held-client.js';
import type { NamedQuery } from './hot-queries.js';
import type { ScheduleQueries } from './schedules-queries.js';
import { toStoreError } from './errors.js';

/** What the schedule operations need of the PostgresStore that owns them. */
export interface PgScheduleHost {
  pool: Pool;
  queries: ScheduleQueries;
  /** The schema name, for the upsert's advisory lock. */
  schema: string;
  assertOpen(): void;
  /** The store's enqueue path on a client inside our transaction; `committed()` wakes workers after COMMIT. */
  enqueueInTransaction(client: Queryable, jobs: NewJob[], data: unknown[]): Promise<{ results: EnqueueResult[]; committed(): void }>;
}

type RecordRow = ScheduleRow & { last_fire: FireRow | null; last_missed: FireRow | null };

/** Advisory-lock class of schedule upserts ("ds"): processes starting together declare one at a time. */
const UPSERT_LOCK_CLASS = 0x6473;

/**
 * The ScheduleStore half of the PostgreSQL store. claimFire and
 * triggerSchedule are the store kernel's (store/claim-fire.ts) over this
 * store's ScheduleTx: one transaction on one connection, the schedule row
 * locked FOR UPDATE (claimers of one schedule, and trigger-now, queue up
 * there), then a statement with a fresh snapshot applies the guarded slot
 * update and reads the running count and the recorded fire times, then the
 * jobs go in through the store's enqueue statement (NOTIFY delivered on
 * commit), then the fire rows, unique per (schedule, fire time). All times
 * are the server's now().
 */
export class PgSchedules implements ScheduleStore {
  constructor(private readonly host: PgScheduleHost) {}

  private get q(): ScheduleQueries {
    return this.host.queries;
  }

  async upsertSchedules(params: UpsertSchedulesParams): Promise<UpsertSchedulesResult> {
    const names = checkUpsertSchedules(params);
    const removeUndeclared = params.removeUndeclared === true;
    return this.tx('upsertSchedules', async (c) => {
      await c.query({ text: 'SELECT pg_advisory_xact_lock($1, hashtext($2))', values: [UPSERT_LOCK_CLASS, this.host.schema] });
      const stored = new Map((await this.query<ScheduleRow>(c, this.q.upsertSchedules.lock, [removeUndeclared ? null : names])).map((r) => [r.name, r]));
      const inserts: object[] = [];
      const updates: object[] = [];
      const missed: Array<{ schedule: string; m: MissedFires }> = [];
      const schedules: UpsertSchedulesResult['schedules'] = [];
      for (const d of params.schedules) {
        const u = planUpsert(d, stored.get(d.name));
        const row = { name: u.name, trigger: u.trigger, trigger_key: u.triggerKey, policy: u.policy, job: u.job, paused: u.paused, next: u.nextFireAt };
        if (u.insert) inserts.push(row);
        else updates.push({ ...row, touch: u.touch });
        if (u.missed) missed.push({ schedule: d.name, m: u.missed });
        schedules.push(u.result);
      }
      // JSON columns take the declaration's own text, so an unchanged declaration compares equal next time.
      if (inserts.length > 0) await this.query(c, this.q.upsertSchedules.insert, [jsonRows(inserts)]);
      if (updates.length > 0) await this.query(c, this.q.upsertSchedules.update, [jsonRows(updates)]);
      for (const { schedule, m } of missed) await this.insertFires(c, schedule, [missedFireRecord(m)]);
      const removed: UpsertSchedulesResult['removed'] = [];
      if (removeUndeclared) {
        const newly = new Set((await this.query<{ name: string }>(c, this.q.upsertSchedules.markRemoved, [names])).map((r) => r.name));
        for (const r of await this.query<{ name: string; removed_at: number }>(c, this.q.upsertSchedules.listRemoved, [names])) {
          removed.push({ name: r.name, removedAt: new Date(r.removed_at), newly: newly.has(r.name) });
        }
      }
      return { schedules, removed };
    });
  }

  async listDueSchedules(params: { lookaheadMs: number; limit: number }): Promise<DueSchedules> {
    checkDueSchedules(params);
    const rows = await this.run<ScheduleRow & { now_ms: number; next_ms: number | null }>(this.q.listDueSchedules, [params.lookaheadMs, params.limit], 'listDueSchedules');
    const first = rows[0]!;
    return {
      now: new Date(first.now_ms),
      due: rows.filter((r) => r.name !== null).map(toScheduleState),
      nextFireAt: first.next_ms === null ? null : new Date(first.next_ms),
    };
  }

  async claimFire(params: ClaimFireParams): Promise<ClaimFireResult> {
    const data = checkClaimFire(params);
    return this.inTx('claimFire', (tx) => claimFire(tx, params, data));
  }

  async triggerSchedule(params: { name: string; job: NewJob }): Promise<TriggerScheduleResult | null> {
    const data = checkTriggerSchedule(params);
    return this.inTx('triggerSchedule', (tx) => triggerFire(tx, params, data));
  }

  async pauseSchedule(params: { name: string }): Promise<ScheduleRecord | null> {
    return this.tx('pauseSchedule', async (c) => {
      await this.query(c, this.q.pauseSchedule, [params.name]);
      const [row] = await this.query<RecordRow>(c, this.q.getSchedule, [params.name]);
      return row ? toRecord(row) : null;
    });
  }

  async getSchedule(params: { name: string }): Promise<ScheduleRecord | null> {
    const [row] = await this.run<RecordRow>(this.q.getSchedule, [params.name], 'getSchedule');
    return row ? toRecord(row) : null;
  }

  async listSchedules(): Promise<ScheduleRecord[]> {
    return (await this.run<RecordRow>(this.q.listSchedules, [], 'listSchedules')).map(toRecord);
  }

  async listScheduleFires(params: { name: string; limit: number }): Promise<ScheduleFire[]> {
    checkScheduleFires(params);
    return (await this.run<FireRow>(this.q.listScheduleFires, [params.name, params.limit], 'listScheduleFires')).map(toScheduleFire);
  }

  async deleteSchedule(params: { name: string }): Promise<boolean> {
    const [row] = await this.run<{ deleted: number }>(this.q.deleteSchedule, [params.name], 'deleteSchedule');
    return row!.deleted > 0;
  }

  // ------------------------------------------------------------------ plumbing

  /**
   * Runs a kernel algorithm in one transaction over this store's ScheduleTx;
   * after COMMIT, wakes this process's workers for the jobs it enqueued.
   */
  private async inTx<T>(operation: string, fn: (tx: ScheduleTx) => T | Promise<T>): Promise<T> {
    let committed = (): void => {};
    const result = await this.tx(operation, async (c) => {
      const tx: ScheduleTx = {
        lock: async (schedule) => {
          const locked = await this.query<{ now_ms: number }>(c, this.q.claimFire.lock, [schedule]);
          return locked.length === 0 ? null : new Date(locked[0]!.now_ms);
        },
        moveSlot: async (a): Promise<SlotMove> => {
          const [slot] = await this.query<{ moved: number; running: number | null; taken: number[] }>(c, this.q.claimFire.moveSlot, [
            a.schedule,
            ms(a.nextFireAt),
            ms(a.expected.nextFireAt),
            a.expected.triggerKey,
            a.resume,
            a.countRunning,
            a.fireTimes,
            a.expected.paused,
          ]);
          if (slot!.moved === 0) {
            const [row] = await this.query<ScheduleRow>(c, this.q.claimFire.state, [a.schedule]);
            return { moved: false, schedule: row ? toScheduleState(row) : null };
          }
          return { moved: true, running: slot!.running, taken: new Set(slot!.taken) };
        },
        enqueue: async (jobs, data) => {
          const enqueued = await this.host.enqueueInTransaction(c, jobs, data);
          committed = enqueued.committed;
          return enqueued.results;
        },
        recordFires: async (schedule, fires) => {
          await this.insertFires(c, schedule, fires);
          await this.query(c, this.q.claimFire.trimHistory, [schedule, FIRE_HISTORY_LIMIT]);
        },
      };
      return fn(tx);
    });
    committed();
    return result;
  }

  /** Fire rows in one statement, in order (their ids order the history). recorded_at is the transaction's now(). */
  private async insertFires(c: PoolClient, schedule: string, fires: Array<Omit<ScheduleFire, 'schedule' | 'recordedAt'>>): Promise<void> {
    await this.query(c, this.q.insertFires, [
      schedule,
      fires.map((f) => f.kind),
      fires.map((f) => f.fireAt.getTime()),
      fires.map((f) => f.lastFireAt.getTime()),
      fires.map((f) => f.count),
      fires.map((f) => f.countExact),
      fires.map((f) => f.jobId),
      fires.map((f) => f.lateMs),
      fires.map((f) => f.catchUp),
    ]);
  }

  private async query<R>(c: PoolClient, query: NamedQuery, values: unknown[]): Promise<R[]> {
    return (await c.query({ ...query, values })).rows as R[];
  }

  private async run<R>(query: NamedQuery, values: unknown[], operation: string): Promise<R[]> {
    this.host.assertOpen();
    try {
      return (await this.host.pool.query({ ...query, values })).rows as R[];
    } catch (e) {
      throw toStoreError(e, operation);
    }
  }

  /** Runs fn in one transaction on one pooled connection; any failure rolls back and becomes a STORE_ERROR. */
  private async tx<T>(operation: string, fn: (client: PoolClient) => Promise<T>): Promise<T> {
    this.host.assertOpen();
    try {
      return await inTransaction(this.host.pool, fn);
    } catch (e) {
      throw toStoreError(e, operation);
    }
  }
}

/**
 * Rows for json_to_recordset. trigger/policy/job are JSON text already:
 * spliced in as JSON values, so the stored text is exactly the declaration's.
 */
function jsonRows(rows: object[]): string {
  return `[${rows
    .map((r) => {
      const { trigger, policy, job, ...rest } = r as { trigger: string; policy: string; job: string };
      return `${JSON.stringify(rest).slice(0, -1)},"trigger":${trigger},"policy":${policy},"job":${job}}`;
    })
    .join(',')}]`;
}

function toRecord(r: RecordRow): ScheduleRecord {
  return toScheduleRecord(r, r.last_fire, r.last_missed);
}
