import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { ValidationError } from '../../core/errors.js';
import { FINISHED_STATES, JOB_STATES } from '../../core/job.js';
import { UNLIMITED, type PolicyLimit, type QueuePolicyPatch, type RetentionRulePatch } from '../../core/queue-policy.js';
import { assertName } from '../../core/validate.js';
import type { AdminQueueInfo } from '../../jobs/job-admin.js';
import { table, writeJson } from '../output.js';
import { parseDuration } from '../parse.js';
import type { Act } from '../program.js';

export function registerQueuesCommand(program: Command, act: Act): void {
  const queues = program.command('queues').description('queues with counts by state and policy; pause, resume, set policy');

  queues
    .command('list', { isDefault: true })
    .description('every queue with jobs or a stored row: paused flag, counts by state, configured concurrency')
    .action(
      act(async (ctx) => {
        const { docket } = await ctx.openDocket('admin', { mustExist: true });
        const infos = await docket.jobs.listQueues();
        // queues the config declares or its jobs use show too, with zero counts
        const declared = new Set([...Object.keys(docket.config.queues), ...Object.values((await ctx.config()).config.jobs ?? {}).map((j) => j.queue ?? 'default')]);
        const byName = new Map(infos.map((q) => [q.queue, q]));
        for (const q of declared) if (!byName.has(q)) byName.set(q, await docket.jobs.getQueue(q));
        const rows = [...byName.values()]
          .sort((a, b) => a.queue.localeCompare(b.queue))
          .map((q) => ({ ...q, concurrency: docket.config.queues[q.queue]?.concurrency ?? null }));
        if (ctx.json) return writeJson(ctx.io, { queues: rows });
        if (rows.length === 0) {
          ctx.io.stdout.write('no queues yet (a queue exists once a job is enqueued to it)\n');
          return;
        }
        ctx.io.stdout.write(
          table(rows, [
            { header: 'QUEUE', value: (q) => q.queue },
            { header: 'STATUS', value: (q) => (q.paused ? 'paused' : 'running') },
            ...JOB_STATES.map((s) => ({ header: s.toUpperCase(), value: (q: (typeof rows)[number]) => String(q.counts[s]), align: 'right' as const })),
            { header: 'CONCURRENCY', value: (q) => (q.concurrency === null ? '-' : String(q.concurrency)), align: 'right' },
          ]),
        );
      }),
    );

  queues
    .command('show')
    .argument('<queue>', 'queue name')
    .description('one queue: counts and its policy (what applies, and what is set for it)')
    .action(
      act(async (ctx, _f, [queue]) => {
        assertName('queue', queue);
        const { docket } = await ctx.openDocket('admin', { mustExist: true });
        const q = await docket.jobs.getQueue(queue!);
        if (ctx.json) return writeJson(ctx.io, q);
        ctx.io.stdout.write(describeQueue(q));
      }),
    );

  const set = queues
    .command('set')
    .argument('<queue>', 'queue name')
    .description(
      "change the queue's policy for every process, at once; a value `default` clears the key back to the default, `unlimited` removes the limit. " +
        'Holds until a process starts whose config declares the same key.',
    )
    .option('--policy <json>', 'a JSON merge patch over the policy, e.g. \'{"retention":{"failed":{"maxCount":100}}}\'', parsePolicyJson);
  for (const state of FINISHED_STATES) {
    set.option(`--retention-${state}-max-age <duration>`, `prune ${state} jobs older than this (e.g. 7d, 12h; unlimited; default)`, (v) => parseLimit(v, parseDuration));
    set.option(`--retention-${state}-max-count <n>`, `keep at most this many ${state} jobs (unlimited; default)`, (v) => parseLimit(v, parseCount));
  }
  set.action(
    act(async (ctx, flags: Record<string, unknown>, [queue]) => {
      assertName('queue', queue);
      const patch = policyPatchFromFlags(flags);
      const { docket } = await ctx.openDocket('admin', { mustExist: true });
      const q = await docket.jobs.setQueuePolicy(queue!, patch);
      if (ctx.json) return writeJson(ctx.io, q);
      ctx.io.stdout.write(describeQueue(q));
    }),
  );

  for (const [verb, paused] of [
    ['pause', true],
    ['resume', false],
  ] as const) {
    queues
      .command(verb)
      .argument('<queue>', 'queue name')
      .description(paused ? 'stop every worker (all processes) from claiming jobs of this queue; running jobs finish' : 'let workers claim from the queue again')
      .action(
        act(async (ctx, _f, [queue]) => {
          assertName('queue', queue);
          const { docket } = await ctx.openDocket('admin', { mustExist: true });
          await (paused ? docket.jobs.pauseQueue(queue!) : docket.jobs.resumeQueue(queue!));
          if (ctx.json) return writeJson(ctx.io, { queue, paused });
          ctx.io.stdout.write(`queue ${queue} ${paused ? 'paused' : 'resumed'}\n`);
        }),
      );
  }
}

/** `default` (back to the default: null in the patch; commander cannot carry a null), `unlimited` -> no limit, else the value's own parser. */
const BACK_TO_DEFAULT = 'default';
function parseLimit(value: string, parse: (v: string) => number): PolicyLimit | typeof BACK_TO_DEFAULT {
  const v = value.trim().toLowerCase();
  if (v === BACK_TO_DEFAULT) return BACK_TO_DEFAULT;
  if (v === UNLIMITED || v === 'none') return UNLIMITED;
  return parse(value);
}

function parseCount(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError(`not a count (an integer >= 0, unlimited or default): "${value}"`);
  return n;
}

function parsePolicyJson(value: string): unknown {
  try {
    return JSON.parse(value) as unknown;
  } catch {
    throw new InvalidArgumentError(`not JSON: ${value}`);
  }
}

/** The flags as one merge patch (`--policy` first, the retention flags over it); the job admin validates it. */
function policyPatchFromFlags(flags: Record<string, unknown>): unknown {
  const base = flags.policy;
  const isObject = typeof base === 'object' && base !== null && !Array.isArray(base);
  if (base !== undefined && !isObject) throw new ValidationError('INVALID_OPTION', 'policy', '--policy must be a JSON object');
  const patch: QueuePolicyPatch = isObject ? { ...(base as QueuePolicyPatch) } : {};
  let given = base !== undefined;
  for (const state of FINISHED_STATES) {
    const cap = state[0]!.toUpperCase() + state.slice(1);
    const rule: RetentionRulePatch = {};
    const age = flags[`retention${cap}MaxAge`];
    const count = flags[`retention${cap}MaxCount`];
    const value = (v: unknown): PolicyLimit | null => (v === BACK_TO_DEFAULT ? null : (v as PolicyLimit));
    if (age !== undefined) rule.maxAgeMs = value(age);
    if (count !== undefined) rule.maxCount = value(count);
    if (Object.keys(rule).length === 0) continue;
    given = true;
    const retention = (patch.retention ??= {});
    retention[state] = { ...(retention[state] ?? {}), ...rule };
  }
  if (!given) throw new ValidationError('INVALID_OPTION', 'policy', 'nothing to set: give --retention-<state>-max-age / --retention-<state>-max-count or --policy');
  return patch;
}

function describeQueue(q: AdminQueueInfo): string {
  const limit = (v: number | null, age: boolean): string => (v === null ? 'unlimited' : age ? formatAge(v) : String(v));
  const set = (state: (typeof FINISHED_STATES)[number], key: 'maxAgeMs' | 'maxCount'): string => (q.policy.retention?.[state]?.[key] !== undefined ? ' (set)' : '');
  const lines = [
    `queue ${q.queue}: ${q.effectivePolicy.paused ? 'paused' : 'running'}`,
    `counts: ${JOB_STATES.map((s) => `${s} ${q.counts[s]}`).join(' · ')}`,
    'retention:',
    ...FINISHED_STATES.map((s) => {
      const r = q.effectivePolicy.retention[s];
      return `  ${s.padEnd(9)} max age ${limit(r.maxAgeMs, true)}${set(s, 'maxAgeMs')}, max count ${limit(r.maxCount, false)}${set(s, 'maxCount')}`;
    }),
  ];
  return `${lines.join('\n')}\n`;
}

function formatAge(ms: number): string {
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000],
  ] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
