import type { Command } from 'commander';
import { ScheduleNotFoundError } from '../../core/errors.js';
import { assertName } from '../../core/validate.js';
import type { ScheduleFire } from '../../store/schedule-store.js';
import type { ScheduleInfo } from '../../scheduler/schedule-info.js';
import { fields, formatDuration, formatJson, formatRelative, formatTime, table, writeJson } from '../output.js';
import { parsePositiveInteger } from '../parse.js';
import type { Act } from '../program.js';

/**
 * `docket schedules`: the schedules stored in the store (a `serve` with the
 * scheduler stores the config's at start). Works without a config file:
 * what a fire enqueues is stored with the schedule.
 */
export function registerSchedulesCommand(program: Command, act: Act): void {
  const schedules = program.command('schedules').description('stored schedules with next and last fires; trigger now, pause, resume');

  schedules
    .command('list', { isDefault: true })
    .option('--next <n>', 'next fire times to show per schedule', parsePositiveInteger, 1)
    .description('every stored schedule: trigger, status, next fire, last fire, last miss')
    .action(
      act<{ next: number }>(async (ctx, f) => {
        const { docket } = await ctx.openDocket('admin', { mustExist: true });
        const [list, now] = await Promise.all([docket.listSchedules({ nextFires: Math.min(f.next, 100) }), docket.jobs.now()]);
        if (ctx.json) return writeJson(ctx.io, { schedules: list });
        if (list.length === 0) {
          ctx.io.stdout.write('no schedules stored (docket serve stores the config\'s schedules when it starts)\n');
          return;
        }
        const t = now.getTime();
        ctx.io.stdout.write(
          table(list, [
            { header: 'NAME', value: (s) => s.name, max: 30 },
            { header: 'TRIGGER', value: (s) => s.description, max: 45 },
            { header: 'STATUS', value: status },
            { header: 'JOB', value: (s) => `${s.job.name} → ${s.job.queue}`, max: 40 },
            { header: 'NEXT', value: (s) => (s.nextFires.length ? s.nextFires.map((d) => nextLabel(d, t)).join(', ') : '-'), max: 60 },
            { header: 'LAST FIRE', value: (s) => (s.lastFire ? `${formatRelative(s.lastFire.fireAt, t)}${s.lastFire.jobId ? ` (job ${s.lastFire.jobId})` : ''}` : '-') },
            { header: 'LAST MISSED', value: (s) => (s.lastMissed ? describeFire(s.lastMissed, t) : '-'), max: 40 },
          ]),
        );
      }),
    );

  schedules
    .command('show')
    .argument('<name>', 'schedule name')
    .option('--next <n>', 'next fire times', parsePositiveInteger, 5)
    .option('--recent <n>', 'recent fire records', parsePositiveInteger, 10)
    .description('one schedule: trigger, policy, job, next fires and recent fire history')
    .action(
      act<{ next: number; recent: number }>(async (ctx, f, [name]) => {
        const { docket } = await ctx.openDocket('admin', { mustExist: true });
        const s = await docket.getSchedule(name!, { nextFires: Math.min(f.next, 100), recentFires: Math.min(f.recent, 1_000) });
        if (!s) throw new ScheduleNotFoundError(name!);
        if (ctx.json) return writeJson(ctx.io, s);
        const t = (await docket.jobs.now()).getTime();
        const p = s.policy;
        ctx.io.stdout.write(
          fields([
            ['name', s.name],
            ['trigger', s.description],
            ['status', status(s)],
            ['job', `${s.job.name} on ${s.job.queue}, priority ${s.job.priority}, ${s.job.maxAttempts} attempts${s.job.timeoutMs ? `, timeout ${formatDuration(s.job.timeoutMs)}` : ''}`],
            ['data', formatJson(s.data, 100)],
            ['policy', `misfire grace ${formatDuration(p.misfireGraceMs)}, catch-up ${p.catchUp}${p.catchUp === 'all' ? ` (max ${p.catchUpMax})` : ''}, max running ${p.maxRunning ?? 'no limit'}${p.jitterMs ? `, jitter ${formatDuration(p.jitterMs)}` : ''}`],
            ['next fires', s.nextFires.length ? s.nextFires.map((d) => `${formatTime(d)} (${nextLabel(d, t)})`).join('\n') : '-'],
          ]),
        );
        if (s.recentFires.length) {
          ctx.io.stdout.write(
            '\nrecent fires:\n' +
              table(s.recentFires, [
                { header: 'KIND', value: (r) => r.kind },
                { header: 'FIRE TIME', value: (r) => formatTime(r.fireAt) + (r.count > 1 ? ` .. ${formatTime(r.lastFireAt)}` : '') },
                { header: 'COUNT', value: (r) => `${r.count}${r.countExact ? '' : '+'}`, align: 'right' },
                { header: 'JOB', value: (r) => r.jobId ?? '-' },
                { header: 'LATE', value: (r) => (r.lateMs === null ? '-' : formatDuration(r.lateMs)) },
                { header: 'RECORDED', value: (r) => formatRelative(r.recordedAt, t) },
              ]),
          );
        }
      }),
    );

  schedules
    .command('trigger')
    .argument('<name>', 'schedule name')
    .description("enqueue the schedule's job now, outside its slots (recorded as a manual fire)")
    .action(
      act(async (ctx, _f, [name]) => {
        assertName('name', name);
        const { docket } = await ctx.openDocket('admin', { mustExist: true });
        const job = await docket.triggerSchedule(name!);
        if (ctx.json) return writeJson(ctx.io, { schedule: name, jobId: job.id, name: job.name, created: job.created });
        ctx.io.stdout.write(`triggered schedule ${name}: job ${job.id} (${job.name})\n`);
      }),
    );

  for (const [verb, pause] of [
    ['pause', true],
    ['resume', false],
  ] as const) {
    schedules
      .command(verb)
      .argument('<name>', 'schedule name')
      .description(pause ? 'stop the schedule firing (in every process) until resumed; due fires are recorded as paused' : 'fire again from the next fire time after now (fires missed while paused are not replayed)')
      .action(
        act(async (ctx, _f, [name]) => {
          assertName('name', name);
          const { docket } = await ctx.openDocket('admin', { mustExist: true });
          const s = await (pause ? docket.pauseSchedule(name!) : docket.resumeSchedule(name!));
          if (ctx.json) return writeJson(ctx.io, { name: s.name, paused: s.paused, nextFireAt: s.nextFireAt });
          const now = (await docket.jobs.now()).getTime();
          ctx.io.stdout.write(pause ? `schedule ${name} paused\n` : `schedule ${name} resumed; next fire ${s.nextFireAt ? `${formatTime(s.nextFireAt)} (${formatRelative(s.nextFireAt, now)})` : 'none (no more fires)'}\n`);
        }),
      );
  }
}

function status(s: ScheduleInfo): string {
  if (s.removedAt) return 'removed';
  if (s.paused) return 'paused';
  if (s.nextFireAt === null) return 'done';
  return 'active';
}

/** A stored slot in the past means no scheduler has handled it yet. */
function nextLabel(d: Date, now: number): string {
  return d.getTime() < now - 1_000 ? `due ${formatDuration(now - d.getTime())} ago` : formatRelative(d, now);
}

function describeFire(f: ScheduleFire, now: number): string {
  return `${f.kind} ×${f.count}${f.countExact ? '' : '+'} ${formatRelative(f.lastFireAt, now)}`;
}
