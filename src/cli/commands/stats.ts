import type { Command } from 'commander';
import { JOB_STATES } from '../../core/job.js';
import { assertName } from '../../core/validate.js';
import { windowRates } from '../../core/throughput.js';
import { emptyCounts } from '../../store/store.js';
import { formatDuration, formatNumber, formatRate, formatRelative, table, writeJson } from '../output.js';
import type { Act } from '../program.js';

/** The windows of GET /api/v1/stats: 1 minute, 15 minutes, 1 hour; run times over the last hour. */
const WINDOWS_MS = [60_000, 15 * 60_000, 60 * 60_000];
const RUN_TIME_WINDOW_MS = 60 * 60_000;
/** Three missed heartbeats (as GET /api/v1/workers). */
const ALIVE_WITHIN_MS = 15_000;

export function registerStatsCommand(program: Command, act: Act): void {
  program
    .command('stats')
    .option('-q, --queue <queue>', 'only this queue')
    .description('totals by state, throughput and failure rate (1m, 15m, 1h), run time per job name, live workers')
    .action(
      act<{ queue?: string }>(async (ctx, f) => {
        if (f.queue !== undefined) assertName('queue', f.queue);
        const { docket } = await ctx.openDocket('admin', { mustExist: true });
        const q = f.queue === undefined ? {} : { queue: f.queue };
        const [counts, s, workers] = await Promise.all([
          docket.jobs.counts(f.queue === undefined ? undefined : { queue: f.queue }),
          docket.jobs.stats({ windowsMs: WINDOWS_MS, runTimeWindowMs: RUN_TIME_WINDOW_MS, ...q }),
          docket.jobs.listWorkers({ aliveWithinMs: ALIVE_WITHIN_MS }),
        ]);
        const totals = emptyCounts();
        for (const c of counts) for (const state of JOB_STATES) totals[state] += c.counts[state];
        const windows = s.windows.map(windowRates);
        const result = { at: s.at, queue: f.queue ?? null, totals, windows, runTimeWindowMs: RUN_TIME_WINDOW_MS, byName: s.byName, workers };
        if (ctx.json) return writeJson(ctx.io, result);

        const out: string[] = [];
        out.push(`jobs${f.queue ? ` in queue ${f.queue}` : ''}: ${JOB_STATES.map((st) => `${st} ${formatNumber(totals[st])}`).join(' · ')}\n`);
        out.push(
          '\n' +
            table(windows, [
              { header: 'WINDOW', value: (w) => `last ${formatDuration(w.windowMs)}` },
              { header: 'COMPLETED', value: (w) => formatNumber(w.completed), align: 'right' },
              { header: 'FAILED', value: (w) => formatNumber(w.failed), align: 'right' },
              { header: 'CANCELLED', value: (w) => formatNumber(w.cancelled), align: 'right' },
              { header: 'PER MINUTE', value: (w) => formatNumber(w.throughputPerMinute, 1), align: 'right' },
              { header: 'FAILURE RATE', value: (w) => formatRate(w.failureRate), align: 'right' },
            ]),
        );
        if (result.byName.length > 0) {
          out.push(
            '\nrun time, jobs finished in the last hour:\n' +
              table(result.byName, [
                { header: 'NAME', value: (b) => b.name, max: 40 },
                { header: 'COMPLETED', value: (b) => formatNumber(b.completed), align: 'right' },
                { header: 'FAILED', value: (b) => formatNumber(b.failed), align: 'right' },
                { header: 'MEAN', value: (b) => (b.meanRunMs === null ? '-' : formatDuration(b.meanRunMs)), align: 'right' },
                { header: 'P95', value: (b) => (b.p95RunMs === null ? '-' : formatDuration(b.p95RunMs)), align: 'right' },
              ]),
          );
        }
        const nowMs = s.at.getTime();
        out.push(
          workers.length === 0
            ? '\nno live workers\n'
            : '\nworkers:\n' +
                table(workers, [
                  { header: 'ID', value: (w) => w.id, max: 40 },
                  { header: 'HOST', value: (w) => `${w.host}:${w.pid}`, max: 30 },
                  { header: 'QUEUES', value: (w) => w.queues.join(','), max: 40 },
                  { header: 'ACTIVE', value: (w) => `${w.activeJobs}/${w.concurrency}`, align: 'right' },
                  { header: 'UP', value: (w) => formatDuration(nowMs - w.startedAt.getTime()) },
                  { header: 'HEARTBEAT', value: (w) => formatRelative(w.lastHeartbeatAt, nowMs) },
                ]),
        );
        ctx.io.stdout.write(out.join(''));
      }),
    );
}
