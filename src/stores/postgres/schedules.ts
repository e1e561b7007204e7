import type { Pool, PoolClient } from 'pg';
import type { NewJob } from '../../core/job.js';
import { limitByMaxRunning, type MissedFires } from '../../core/schedule-plan.js';
import { DEFAULT_SCHEDULE_POLICY, type SchedulePolicy } from '../../core/schedule-policy.js';
import type { Trigger } from '../../core/schedule-trigger.js';
import { assertName } from '../../core/validate.js';
import {
  FIRE_HISTORY_LIMIT,
  type ClaimFireParams,
  type ClaimFireResult,
  type DueSchedules,
  type FireToClaim,
  type ScheduleFire,
  type ScheduleFireKind,
  type ScheduleJobTemplate,
  type ScheduleRecord,
  type ScheduleState,
  type ScheduleStore,
  type TriggerScheduleResult,
  type UpsertSchedulesParams,
  type UpsertSchedulesResult,
  missedFireRecord,
} from '../../store/schedule-store.js';
import type { EnqueueResult } from '../../store/store.js';
import { parseJobData, type Queryable } from './enqueue.js';
import { holdClient } from './held-client.js';
import type { NamedQuery } from './hot-queries.js';
import { checkNewJobs, int, invalid } from '../../store/input.js';
import { checkPgText } from './input.js';
import type { ScheduleQueries } from './schedules-queries.js';
import { toStoreError } from './store-error.js';

/** What the schedule operations need of the PostgresStore that owns them. */
export interface PgScheduleHost {
  pool: Pool;
  queries: ScheduleQueries;
  /** The schema name, for the upsert's advisory lock. */
  schema: string;
  assertOpen(): void;
  /** The store's enqueue path on a client inside our transaction; `committed()` wakes workers after COMMIT. */
  enqueueInTransaction(client: Queryable, jobs: NewJob[]): Promise<{ results: EnqueueResult[]; committed(): void }>;
}

interface ScheduleRow {
  name: string;
  trigger: string;
  trigger_key: string;
  policy: string;
  job: string;
  paused: boolean;
  next_fire_at: number | null;
  created_at: number;
  updated_at: number;
  removed_at: number | null;
}

interface FireRow {
  schedule: string;
  kind: ScheduleFireKind;
  fire_at: number;
  last_fire_at: number;
  count: number;
  count_exact: boolean;
  job_id: string | null;
  late_ms: number | null;
  catch_up: boolean;
  recorded_at: number;
}

type RecordRow = ScheduleRow & { last_fire: FireRow | null; last_missed: FireRow | null };

/** Advisory-lock class of schedule upserts ("ds"): processes starting together declare one at a time. */
const UPSERT_LOCK_CLASS = 0x6473;

/**
 * The ScheduleStore half of the PostgreSQL store. A claim is one transaction
 * on one connection: the schedule row is locked FOR UPDATE (claimers of one
 * schedule, and trigger-now, queue up there), then a statement with a fresh
 * snapshot applies the guarded slot update and reads the running count and
 * the recorded fire times, then the jobs go in through the store's enqueue
 * statement (NOTIFY delivered on commit), then the fire rows, unique per
 * (schedule, fire time). All times are the server's now().
 */
export class PgSchedules implements ScheduleStore {
  constructor(private readonly host: PgScheduleHost) {}

  private get q(): ScheduleQueries {
    return this.host.queries;
  }

  async upsertSchedules(params: UpsertSchedulesParams): Promise<UpsertSchedulesResult> {
    if (!Array.isArray(params?.schedules)) throw invalid('schedules', 'schedules must be an array');
    const names = params.schedules.map((d, i) => assertName(`schedules[${i}].name`, d.name));
    if (new Set(names).size !== names.length) throw invalid('schedules', 'schedules declares a name twice');
    const removeUndeclared = params.removeUndeclared === true;
    return this.tx('upsertSchedules', async (c) => {
      await c.query({ text: 'SELECT pg_advisory_xact_lock($1, hashtext($2))', values: [UPSERT_LOCK_CLASS, this.host.schema] });
      const stored = new Map((await this.query<ScheduleRow>(c, this.q.upsertSchedules.lock, [removeUndeclared ? null : names])).map((r) => [r.name, r]));
      const inserts: object[] = [];
      const updates: object[] = [];
      const missed: Array<{ schedule: string; m: MissedFires }> = [];
      const schedules: UpsertSchedulesResult['schedules'] = [];
      for (const d of params.schedules) {
        const trigger = JSON.stringify(d.trigger);
        const policy = JSON.stringify(d.policy);
        const job = JSON.stringify(d.job);
        const row = stored.get(d.name);
        if (!row) {
          inserts.push({ name: d.name, trigger, trigger_key: d.triggerKey, policy, job, paused: d.policy.paused, next: ms(d.initialNextFireAt) });
          if (d.initialMissed) missed.push({ schedule: d.name, m: d.initialMissed });
          schedules.push({ name: d.name, outcome: 'created', restored: false, nextFireAt: d.initialNextFireAt });
          continue;
        }
        const changedTrigger = row.trigger_key !== d.triggerKey;
        const declaredPausedBefore = (JSON.parse(row.policy) as Partial<SchedulePolicy>).paused ?? false;
        // The paused flag follows the declaration only when the declared value changed.
        const paused = declaredPausedBefore !== d.policy.paused ? d.policy.paused : row.paused;
        const next = changedTrigger ? ms(d.initialNextFireAt) : row.next_fire_at;
        const touch = changedTrigger || row.trigger !== trigger || row.policy !== policy || row.job !== job || row.paused !== paused || row.removed_at !== null;
        updates.push({ name: d.name, trigger, trigger_key: d.triggerKey, policy, job, paused, next, touch });
        if (changedTrigger && d.initialMissed) missed.push({ schedule: d.name, m: d.initialMissed });
        schedules.push({
          name: d.name,
          outcome: changedTrigger ? 'trigger_changed' : 'kept',
          restored: row.removed_at !== null,
          nextFireAt: next === null ? null : new Date(next),
        });
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
    int('lookaheadMs', params?.lookaheadMs, 0, Number.MAX_SAFE_INTEGER);
    int('limit', params.limit, 0, 1_000_000);
    const rows = await this.run<ScheduleRow & { now_ms: number; next_ms: number | null }>(this.q.listDueSchedules, [params.lookaheadMs, params.limit], 'listDueSchedules');
    const first = rows[0]!;
    return {
      now: new Date(first.now_ms),
      due: rows.filter((r) => r.name !== null).map(toState),
      nextFireAt: first.next_ms === null ? null : new Date(first.next_ms),
    };
  }

  async claimFire(params: ClaimFireParams): Promise<ClaimFireResult> {
    const { schedule, expected } = params;
    if (typeof schedule !== 'string') throw invalid('schedule', 'schedule must be a string');
    if (!Array.isArray(params.fires)) throw invalid('fires', 'fires must be an array');
    if (typeof expected !== 'object' || expected === null) throw invalid('expected', 'expected must be the state the plan started from');
    const jobs = params.fires.map((f) => f.job);
    checkNewJobs(jobs);
    checkPgText(jobs);
    parseJobData(jobs);
    const resume = params.resume === true;
    let committed = (): void => {};
    const result = await this.tx('claimFire', async (c): Promise<ClaimFireResult> => {
      const locked = await this.query<{ now_ms: number }>(c, this.q.claimFire.lock, [schedule]);
      if (locked.length === 0) return { outcome: 'lost', schedule: null };
      const now = new Date(locked[0]!.now_ms);
      const [slot] = await this.query<{ moved: number; running: number | null; taken: number[] }>(c, this.q.claimFire.moveSlot, [
        schedule,
        ms(params.nextFireAt),
        ms(expected.nextFireAt),
        expected.triggerKey,
        resume,
        params.maxRunning !== null,
        params.fires.map((f) => f.fireAt.getTime()),
        expected.paused,
      ]);
      if (slot!.moved === 0) {
        const [row] = await this.query<ScheduleRow>(c, this.q.claimFire.state, [schedule]);
        return { outcome: 'lost', schedule: row ? toState(row) : null };
      }
      const running = params.maxRunning === null ? null : slot!.running!;
      const taken = new Set(slot!.taken);
      const duplicates: Date[] = [];
      const fresh = params.fires.filter((f) => {
        if (!taken.has(f.fireAt.getTime())) return true;
        duplicates.push(f.fireAt);
        return false;
      });
      const limited = limitByMaxRunning(fresh, running ?? 0, params.maxRunning);
      const toEnqueue = limited.enqueue as FireToClaim[];
      let ids: string[] = [];
      if (toEnqueue.length > 0) {
        const enqueued = await this.host.enqueueInTransaction(c, toEnqueue.map((f) => f.job));
        ids = enqueued.results.map((r) => r.id);
        committed = enqueued.committed;
      }
      const base = { schedule, count: 1, countExact: true, recordedAt: now };
      const fired = toEnqueue.map((f, i): ScheduleFire => ({ ...base, kind: 'fired', fireAt: f.fireAt, lastFireAt: f.fireAt, jobId: ids[i]!, lateMs: f.lateMs, catchUp: f.catchUp }));
      const skipped = limited.skipped.map((f): ScheduleFire => ({ ...base, kind: 'max-running', fireAt: f.fireAt, lastFireAt: f.fireAt, jobId: null, lateMs: null, catchUp: f.catchUp }));
      const missed = params.missed ? { ...missedFireRecord(params.missed), schedule, recordedAt: now } : null;
      const rows = [...fired, ...skipped, ...(missed ? [missed] : [])];
      if (rows.length > 0) {
        await this.insertFires(c, schedule, rows);
        await this.query(c, this.q.claimFire.trimHistory, [schedule, FIRE_HISTORY_LIMIT]);
      }
      return { outcome: 'claimed', fired, skipped, duplicates, missed, running };
    });
    committed();
    return result;
  }

  async triggerSchedule(params: { name: string; job: NewJob }): Promise<TriggerScheduleResult | null> {
    const jobs = [params?.job];
    checkNewJobs(jobs);
    checkPgText(jobs);
    parseJobData(jobs);
    let committed = (): void => {};
    const result = await this.tx('triggerSchedule', async (c): Promise<TriggerScheduleResult | null> => {
      // The schedule's lock: a claim counting maxRunning sees this job or runs before it.
      const locked = await this.query<{ now_ms: number }>(c, this.q.claimFire.lock, [params.name]);
      if (locked.length === 0) return null;
      const at = new Date(locked[0]!.now_ms);
      const enqueued = await this.host.enqueueInTransaction(c, jobs);
      committed = enqueued.committed;
      const job = enqueued.results[0]!;
      const fire: ScheduleFire = { schedule: params.name, kind: 'manual', fireAt: at, lastFireAt: at, count: 1, countExact: true, jobId: job.id, lateMs: null, catchUp: false, recordedAt: at };
      await this.insertFires(c, params.name, [fire]);
      await this.query(c, this.q.claimFire.trimHistory, [params.name, FIRE_HISTORY_LIMIT]);
      return { fire, job };
    });
    committed();
    return result;
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
    int('limit', params?.limit, 0, 1_000_000);
    return (await this.run<FireRow>(this.q.listScheduleFires, [params.name, params.limit], 'listScheduleFires')).map(toFire);
  }

  async deleteSchedule(params: { name: string }): Promise<boolean> {
    const [row] = await this.run<{ deleted: number }>(this.q.deleteSchedule, [params.name], 'deleteSchedule');
    return row!.deleted > 0;
  }

  // ------------------------------------------------------------------ plumbing

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
    let client: PoolClient;
    try {
      client = await this.host.pool.connect();
    } catch (e) {
      throw toStoreError(e, operation);
    }
    const unhold = holdClient(client);
    let broken = false;
    try {
      await client.query('BEGIN');
      const out = await fn(client);
      await client.query('COMMIT');
      return out;
    } catch (e) {
      // A connection that cannot even roll back is dropped rather than handed out again.
      broken = await client.query('ROLLBACK').then(
        () => false,
        () => true,
      );
      throw toStoreError(e, operation);
    } finally {
      unhold();
      client.release(broken);
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

function toState(r: ScheduleRow): ScheduleState {
  return {
    name: r.name,
    trigger: JSON.parse(r.trigger) as Trigger,
    triggerKey: r.trigger_key,
    // Defaults first: a policy stored by an older version gains newer options' defaults.
    policy: { ...DEFAULT_SCHEDULE_POLICY, ...(JSON.parse(r.policy) as Partial<SchedulePolicy>) },
    job: JSON.parse(r.job) as ScheduleJobTemplate,
    paused: r.paused,
    nextFireAt: r.next_fire_at === null ? null : new Date(r.next_fire_at),
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
    removedAt: r.removed_at === null ? null : new Date(r.removed_at),
  };
}

function toRecord(r: RecordRow): ScheduleRecord {
  return { ...toState(r), lastFire: r.last_fire ? toFire(r.last_fire) : null, lastMissed: r.last_missed ? toFire(r.last_missed) : null };
}

function toFire(r: FireRow): ScheduleFire {
  return {
    schedule: r.schedule,
    kind: r.kind,
    fireAt: new Date(r.fire_at),
    lastFireAt: new Date(r.last_fire_at),
    count: r.count,
    countExact: r.count_exact,
    jobId: r.job_id,
    lateMs: r.late_ms,
    catchUp: r.catch_up,
    recordedAt: new Date(r.recorded_at),
  };
}

function ms(d: Date | null): number | null {
  return d === null ? null : d.getTime();
}
