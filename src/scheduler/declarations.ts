import { ValidationError } from '../core/errors.js';
import { resolveSchedulePolicy, type SchedulePolicy, type SchedulePolicyInput } from '../core/schedule-policy.js';
import { parseTrigger, type Trigger, type TriggerInput } from '../core/schedule-trigger.js';
import { assertName, describe } from '../core/validate.js';
import { buildNewJob } from '../enqueue/new-job.js';
import type { JobRegistry } from '../jobs/job-definition.js';
import type { ScheduleJobTemplate } from '../store/schedule-store.js';

/** What `docket.schedule(name, trigger, options)` takes: the job it enqueues, and the policy. */
export interface ScheduleOptions extends SchedulePolicyInput {
  /** The job to enqueue: its name, or the handle `defineJob` returned. Must be defined in this process. */
  job: string | { readonly name: string };
  /** The job's data (JSON), validated by the job's schema once, at declaration. Default null. */
  data?: unknown;
  /** Job options; the definition's defaults apply where not given. */
  queue?: string;
  priority?: number;
  maxAttempts?: number;
  timeoutMs?: number | null;
}

/** A schedule declared in config: `new Docket({ schedules: [{ name, trigger, job, ... }] })`. */
export interface ScheduleConfig extends ScheduleOptions {
  name: string;
  trigger: TriggerInput;
}

/** A declaration whose trigger, policy and options are valid; its job is looked up later. */
interface ValidSchedule {
  name: string;
  trigger: Trigger;
  policy: SchedulePolicy;
  jobName: string;
  data: unknown;
  jobOptions: { queue?: string; priority?: number; maxAttempts?: number; timeoutMs?: number | null };
}

/** A declaration ready to store: its job resolved against the job's definition. */
export interface ResolvedSchedule {
  name: string;
  trigger: Trigger;
  policy: SchedulePolicy;
  job: ScheduleJobTemplate;
}

interface Entry {
  valid: ValidSchedule;
  fromConfig: boolean;
  resolved: Promise<ResolvedSchedule> | null;
}

const JOB_KEYS = ['job', 'data', 'queue', 'priority', 'maxAttempts', 'timeoutMs'] as const;

/**
 * The schedules this process declares. Trigger, policy and option shape are
 * checked when declared; the job (UnknownJobError) and its data (the job's
 * schema, JSON, size) when `docket.schedule` is called, or at start for
 * schedules from config (their jobs are defined after the Docket is built).
 */
export class ScheduleDeclarations {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly registry: JobRegistry,
    private readonly maxPayloadBytes: number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** Config schedules: validated now (INVALID_CONFIG-style fields `schedules[i].…`); jobs resolved at start. */
  addConfig(list: unknown): void {
    if (list === undefined) return;
    if (!Array.isArray(list)) throw new ValidationError('INVALID_CONFIG', 'schedules', `schedules must be an array (got ${describe(list)})`);
    const valid = list.map((item, i) => {
      const at = `schedules[${i}]`;
      if (typeof item !== 'object' || item === null || Array.isArray(item)) {
        throw new ValidationError('INVALID_CONFIG', at, `${at} must be { name, trigger, job, ... } (got ${describe(item)})`);
      }
      const { name, trigger, ...options } = item as Record<string, unknown>;
      return validate(name, trigger, options, { name: `${at}.name`, trigger: `${at}.trigger`, options: at });
    });
    const names = new Set<string>();
    for (const v of valid) {
      if (names.has(v.name)) throw new ValidationError('INVALID_CONFIG', 'schedules', `schedules: "${v.name}" is declared twice`);
      names.add(v.name);
    }
    for (const v of valid) this.entries.set(v.name, { valid: v, fromConfig: true, resolved: null });
  }

  /**
   * Validates and resolves one declaration; a later one of the same name
   * replaces it. It is registered before this returns its promise, so a
   * `start()` right after an un-awaited call still sees it.
   */
  declare(name: unknown, trigger: unknown, options: unknown): Promise<ResolvedSchedule> {
    try {
      const valid = validate(name, trigger, options, { name: 'name', trigger: 'trigger', options: 'options' });
      const resolved = this.resolve(valid);
      const entry: Entry = { valid, fromConfig: false, resolved };
      this.entries.set(valid.name, entry);
      // A declaration whose data is refused is not kept (its caller got the error).
      resolved.catch(() => {
        if (this.entries.get(valid.name) === entry) this.entries.delete(valid.name);
      });
      return resolved;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  remove(name: string): boolean {
    return this.entries.delete(name);
  }

  /** Every declaration, resolved. Config ones throw here (UnknownJobError, bad data). */
  async resolveAll(): Promise<ResolvedSchedule[]> {
    const out: ResolvedSchedule[] = [];
    for (const entry of [...this.entries.values()]) {
      if (entry.resolved === null) {
        entry.resolved = this.resolve(entry.valid);
        entry.resolved.catch(() => (entry.resolved = null));
      }
      try {
        out.push(await entry.resolved);
      } catch (error) {
        if (entry.fromConfig) throw error;
        // A refused `docket.schedule` call: its caller has the error and the entry is gone.
      }
    }
    return out;
  }

  private resolve(v: ValidSchedule): Promise<ResolvedSchedule> {
    try {
      const def = this.registry.require(v.jobName);
      return buildNewJob(def, v.data, v.jobOptions, this.maxPayloadBytes).then((job) => ({
        name: v.name,
        trigger: v.trigger,
        policy: v.policy,
        job: { name: job.name, queue: job.queue, dataJson: job.dataJson, priority: job.priority, maxAttempts: job.maxAttempts, timeoutMs: job.timeoutMs },
      }));
    } catch (error) {
      return Promise.reject(error);
    }
  }
}

/** Synchronous checks: name, trigger (INVALID_CRON / INVALID_TIMEZONE / INVALID_TRIGGER), options and policy. */
function validate(name: unknown, trigger: unknown, options: unknown, fields: { name: string; trigger: string; options: string }): ValidSchedule {
  const scheduleName = assertName(fields.name, name);
  const parsed = parseTrigger(trigger, fields.trigger);
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new ValidationError('INVALID_OPTION', fields.options, `${fields.options} must be an object with at least { job } (got ${describe(options)})`);
  }
  const o = options as Record<string, unknown>;
  const policyInput: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(o)) if (!(JOB_KEYS as readonly string[]).includes(key)) policyInput[key] = value;
  const policy = resolveSchedulePolicy(policyInput, fields.options);
  const job = o.job;
  const jobName = typeof job === 'object' && job !== null && typeof (job as { name?: unknown }).name === 'string' ? (job as { name: string }).name : job;
  if (jobName === undefined) throw new ValidationError('INVALID_OPTION', `${fields.options}.job`, `${fields.options}.job is required: the name of the job to enqueue`);
  assertName(`${fields.options}.job`, jobName);
  const jobOptions: ValidSchedule['jobOptions'] = {};
  for (const key of ['queue', 'priority', 'maxAttempts', 'timeoutMs'] as const) {
    if (o[key] !== undefined) (jobOptions as Record<string, unknown>)[key] = o[key];
  }
  return { name: scheduleName, trigger: parsed, policy, jobName: jobName as string, data: o.data ?? null, jobOptions };
}

