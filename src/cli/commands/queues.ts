import type { Command } from 'commander';
import { JOB_STATES } from '../../core/job.js';
import { assertName } from '../../core/validate.js';
import { table, writeJson } from '../output.js';
import type { Act } from '../program.js';

export function registerQueuesCommand(program: Command, act: Act): void {
  const queues = program.command('queues').description('queues with counts by state; pause and resume');

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
        for (const q of declared) if (!byName.has(q)) byName.set(q, { queue: q, paused: false, counts: { waiting: 0, delayed: 0, active: 0, completed: 0, failed: 0, cancelled: 0 } });
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
