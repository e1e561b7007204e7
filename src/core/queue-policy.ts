import { z } from 'zod';
import { ValidationError } from './errors.js';
import { FINISHED_STATES, type FinishedState } from './job.js';

/**
 * Queue policy: what every process applies to a queue — pause and retention
 * today; the flow-control issue adds its limits (concurrency, rate limit,
 * groups) as further keys of the same object. It is store state (one row per
 * queue, see ARCHITECTURE.md "Queue policy"), so two processes with different
 * configs still treat a queue the same way.
 *
 * Three shapes:
 * - `QueuePolicy`: the effective policy, every key filled in (`resolveQueuePolicy`).
 * - `QueuePolicyOverrides`: what is stored for one queue (or for every queue,
 *   under `ALL_QUEUES`): only the keys someone set; an absent key takes the
 *   default. `'unlimited'` is an explicit "no limit".
 * - `QueuePolicyPatch`: a change (JSON merge patch, RFC 7396): a given key is
 *   set, an absent key is left alone, `null` clears a key (or a whole group)
 *   back to the default.
 */

// ---------------------------------------------------------------- effective policy and named defaults

/** How long finished jobs of one state are kept; whichever limit is hit first prunes. `null` = no limit. */
export interface RetentionRule {
  maxAgeMs: number | null;
  maxCount: number | null;
}
export interface RetentionPolicy {
  completed: RetentionRule;
  failed: RetentionRule;
  cancelled: RetentionRule;
}

export interface QueuePolicy {
  /** Workers of every process claim nothing from a paused queue (running jobs finish). */
  paused: boolean;
  retention: RetentionPolicy;
}

const DAY = 24 * 60 * 60 * 1_000;
export const DEFAULT_RETENTION: Readonly<RetentionPolicy> = Object.freeze({
  completed: Object.freeze({ maxAgeMs: 7 * DAY, maxCount: 10_000 }),
  failed: Object.freeze({ maxAgeMs: 30 * DAY, maxCount: 10_000 }),
  cancelled: Object.freeze({ maxAgeMs: 7 * DAY, maxCount: 10_000 }),
});
export const DEFAULT_PAUSED = false;
export const DEFAULT_QUEUE_POLICY: Readonly<QueuePolicy> = Object.freeze({ paused: DEFAULT_PAUSED, retention: DEFAULT_RETENTION });

/**
 * The stored row whose overrides apply to every queue (under each queue's
 * own): the config's top-level `retention`. Not a queue name (names start
 * with a letter or digit), so it never collides with one and is never listed.
 */
export const ALL_QUEUES = '*';

/** An explicit "no limit" in overrides and patches (`null` there means "back to the default"). */
export const UNLIMITED = 'unlimited';
export type PolicyLimit = number | typeof UNLIMITED;

/** Bounds every store can hold (PostgreSQL's prune takes maxCount as int4). */
export const MAX_RETENTION_AGE_MS = Number.MAX_SAFE_INTEGER;
export const MAX_RETENTION_COUNT = 2_147_483_647;

// ---------------------------------------------------------------- overrides and patches

export interface RetentionRuleOverrides {
  maxAgeMs?: PolicyLimit;
  maxCount?: PolicyLimit;
}
export interface QueuePolicyOverrides {
  /** Present only when true (false is the default). */
  paused?: boolean;
  retention?: Partial<Record<FinishedState, RetentionRuleOverrides>>;
}

export interface RetentionRulePatch {
  maxAgeMs?: PolicyLimit | null;
  maxCount?: PolicyLimit | null;
}
export interface QueuePolicyPatch {
  paused?: boolean | null;
  retention?: Partial<Record<FinishedState, RetentionRulePatch | null>> | null;
}

const RULE_KEYS = ['maxAgeMs', 'maxCount'] as const;
type RuleKey = (typeof RULE_KEYS)[number];
const RULE_MAX: Record<RuleKey, number> = { maxAgeMs: MAX_RETENTION_AGE_MS, maxCount: MAX_RETENTION_COUNT };

const limit = (max: number) => z.union([z.number().int().min(0).max(max), z.literal(UNLIMITED)]);
const rulePatch = z
  .object({ maxAgeMs: limit(MAX_RETENTION_AGE_MS).nullable().optional(), maxCount: limit(MAX_RETENTION_COUNT).nullable().optional() })
  .strict();
const retentionPatch = z
  .object({ completed: rulePatch.nullable().optional(), failed: rulePatch.nullable().optional(), cancelled: rulePatch.nullable().optional() })
  .strict();

/** A change to one queue's policy (strict: an unknown key is refused, naming it). */
export const queuePolicyPatchSchema = z
  .object({ paused: z.boolean().nullable().optional(), retention: retentionPatch.nullable().optional() })
  .strict();

/**
 * Checks a patch; a `ValidationError` (`INVALID_OPTION`) names the first bad
 * field under `prefix` (e.g. `policy.retention.completed.maxCount`).
 * `queue` = ALL_QUEUES refuses `paused` (pause is per queue).
 */
export function parseQueuePolicyPatch(input: unknown, prefix = 'policy', queue?: string): QueuePolicyPatch {
  const r = queuePolicyPatchSchema.safeParse(input);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const keys = issue.code === 'unrecognized_keys' ? (issue as { keys?: string[] }).keys : undefined;
    const field = [prefix, ...issue.path.map(String), ...(keys ? [keys[0]!] : [])].filter(Boolean).join('.');
    const message = keys
      ? `${field}: unknown policy key (known: paused, retention.{${FINISHED_STATES.join(',')}}.{${RULE_KEYS.join(',')}})`
      : `${field}: ${describeIssue(issue)}`;
    throw new ValidationError('INVALID_OPTION', field, message);
  }
  if (queue === ALL_QUEUES && r.data.paused !== undefined) {
    throw new ValidationError('INVALID_OPTION', `${prefix}.paused`, `${prefix}.paused: pause is set per queue, not for every queue at once`);
  }
  return r.data as QueuePolicyPatch;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_union') return `must be an integer >= 0, "${UNLIMITED}" or null (null = back to the default)`;
  return issue.message;
}

/**
 * Reads overrides a store kept. Lenient on purpose: keys this version does
 * not know (written by a newer docket during a rolling deploy) and values it
 * cannot read are ignored, so an old process keeps applying what it knows
 * instead of failing every prune.
 */
export function readPolicyOverrides(stored: unknown, paused: boolean): QueuePolicyOverrides {
  const out: QueuePolicyOverrides = {};
  if (paused) out.paused = true;
  const retention = isObject(stored) ? stored.retention : undefined;
  if (!isObject(retention)) return out;
  for (const state of FINISHED_STATES) {
    const rule = retention[state];
    if (!isObject(rule)) continue;
    for (const key of RULE_KEYS) {
      const v = rule[key];
      if (v === UNLIMITED || (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= RULE_MAX[key])) {
        ((out.retention ??= {})[state] ??= {})[key] = v;
      }
    }
  }
  return out;
}

/** Applies a patch to stored overrides (merge patch: set, keep, or clear with null). Pure; returns a new object. */
export function applyPolicyPatch(current: QueuePolicyOverrides, patch: QueuePolicyPatch): QueuePolicyOverrides {
  const next = clone(current);
  if (patch.paused !== undefined) {
    if (patch.paused === true) next.paused = true;
    else delete next.paused; // false is the default, null clears: both leave the key out
  }
  if (patch.retention === null) delete next.retention;
  else if (patch.retention !== undefined) {
    const retention = (next.retention ??= {});
    for (const state of FINISHED_STATES) {
      const rule = patch.retention[state];
      if (rule === undefined) continue;
      if (rule === null) {
        delete retention[state];
        continue;
      }
      const target = (retention[state] ??= {});
      for (const key of RULE_KEYS) {
        const v = rule[key];
        if (v === undefined) continue;
        if (v === null) delete target[key];
        else target[key] = v;
      }
      if (Object.keys(target).length === 0) delete retention[state];
    }
    if (Object.keys(retention).length === 0) delete next.retention;
  }
  return next;
}

/** The effective policy: the named defaults, then each layer of overrides in order (e.g. ALL_QUEUES', then the queue's). */
export function resolveQueuePolicy(...layers: QueuePolicyOverrides[]): QueuePolicy {
  const policy: QueuePolicy = { paused: DEFAULT_PAUSED, retention: clone(DEFAULT_RETENTION) as RetentionPolicy };
  for (const layer of layers) {
    if (layer.paused !== undefined) policy.paused = layer.paused;
    for (const state of FINISHED_STATES) {
      const rule = layer.retention?.[state];
      if (!rule) continue;
      for (const key of RULE_KEYS) {
        const v = rule[key];
        if (v !== undefined) policy.retention[state][key] = v === UNLIMITED ? null : v;
      }
    }
  }
  return policy;
}

/** Overrides as the patch that sets exactly them (what a declaration writes). */
export function overridesToPatch(overrides: QueuePolicyOverrides): QueuePolicyPatch {
  return clone(overrides) as QueuePolicyPatch;
}

/** One key a declaration changes: its dotted path, the stored value (undefined = default) and the declared one. */
export interface PolicyChange {
  key: string;
  stored: PolicyLimit | boolean | undefined;
  declared: PolicyLimit | boolean | undefined;
}

/** The keys of `declared` whose value differs in `stored` (keys `declared` leaves out are not compared). */
export function declaredChanges(stored: QueuePolicyOverrides, declared: QueuePolicyOverrides): PolicyChange[] {
  const changes: PolicyChange[] = [];
  if (declared.paused !== undefined && declared.paused !== (stored.paused ?? DEFAULT_PAUSED)) {
    changes.push({ key: 'paused', stored: stored.paused, declared: declared.paused });
  }
  for (const state of FINISHED_STATES) {
    for (const key of RULE_KEYS) {
      const d = declared.retention?.[state]?.[key];
      const s = stored.retention?.[state]?.[key];
      if (d !== undefined && d !== s) changes.push({ key: `retention.${state}.${key}`, stored: s, declared: d });
    }
  }
  return changes;
}

export function isEmptyOverrides(o: QueuePolicyOverrides): boolean {
  return o.paused === undefined && (o.retention === undefined || Object.keys(o.retention).length === 0);
}

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
