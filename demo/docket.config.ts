/**
 * The demo behind `npm start` (`docket serve --config demo/docket.config.ts
 * --store sqlite:./docket.db`): a small shop's background work, producing a
 * steady, realistic stream of jobs to watch in the admin API and the terminal.
 *
 * - an interval schedule (`signups`, every 5 s) simulates new customers: each
 *   tick enqueues a welcome email, an avatar resize (with progress), a CRM
 *   sync (fails its first attempt, then succeeds on the retry) and a card
 *   charge (large amounts are declined with PermanentError: failed at once);
 * - a cron schedule (`sales-report`, at :00 and :30 of every minute, Berlin
 *   time) builds a report in five steps with progress;
 * - an interval schedule (`exchange-rates`, every 20 s, maxRunning 1) calls a
 *   slow partner that sometimes exceeds the job's timeout: the attempt times
 *   out and is retried.
 *
 * It imports docket by relative path because it lives in docket's repository
 * (outside what the package ships); your own docket.config.ts imports from
 * 'docket'.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { defineConfig, PermanentError, type Docket } from '../src/index.js';

/** Set by `setup` (serve/worker only): the signups job enqueues through it. */
let app: Docket | null = null;

const customers = ['ada', 'grace', 'linus', 'margaret', 'ken', 'barbara', 'dennis', 'radia', 'edsger', 'frances'];
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)]!;

export default defineConfig({
  worker: { concurrency: 8 },
  queues: {
    emails: { concurrency: 4 },
    media: { concurrency: 2 },
    integrations: { concurrency: 2 },
    billing: { concurrency: 2 },
    reports: { concurrency: 1 },
  },
  // keep the demo database small however long it runs
  retention: { completed: { maxAgeMs: 60 * 60_000, maxCount: 2_000 }, failed: { maxCount: 500 }, cancelled: { maxCount: 500 } },

  jobs: {
    'simulate-signups': {
      queue: 'default',
      async handler(data: { maxPerTick?: number } | null) {
        if (!app) return { enqueued: 0 };
        const count = 1 + Math.floor(Math.random() * (data?.maxPerTick ?? 3));
        const jobs = [];
        for (let i = 0; i < count; i++) {
          const who = pick(customers);
          jobs.push(
            { name: 'send-welcome-email', data: { to: `${who}@example.com` } },
            { name: 'resize-image', data: { file: `${who}-avatar.png`, sizes: [64, 128, 256, 512] } },
            { name: 'sync-crm', data: { accountId: `acct-${who}` } },
            { name: 'charge-card', data: { customer: who, cents: pick([1_999, 4_500, 12_000, 99_000]) } },
          );
        }
        await app.enqueueMany(jobs);
        return { signups: count, enqueued: jobs.length };
      },
    },

    'send-welcome-email': {
      queue: 'emails',
      async handler(data: { to: string }, ctx) {
        await sleep(150 + Math.random() * 250, undefined, { signal: ctx.signal });
        return { delivered: data.to, messageId: `<${ctx.jobId}@mail.example.com>` };
      },
    },

    'resize-image': {
      queue: 'media',
      timeoutMs: 30_000,
      async handler(data: { file: string; sizes: number[] }, ctx) {
        for (const [i, size] of data.sizes.entries()) {
          await sleep(300 + Math.random() * 400, undefined, { signal: ctx.signal });
          ctx.progress(i + 1, data.sizes.length, `${size}px done`);
        }
        return { variants: data.sizes.map((s) => `${data.file.replace(/\.\w+$/, '')}-${s}.webp`) };
      },
    },

    // A flaky partner API: the first attempt fails, the retry (after ~1 s) succeeds.
    'sync-crm': {
      queue: 'integrations',
      maxAttempts: 4,
      retry: { backoff: { type: 'exponential', delayMs: 1_000 }, jitter: 0.1 },
      async handler(data: { accountId: string }, ctx) {
        await sleep(200 + Math.random() * 200, undefined, { signal: ctx.signal });
        if (ctx.attempt === 1) throw new Error('CRM API answered 503 Service Unavailable');
        return { synced: data.accountId, attempt: ctx.attempt };
      },
    },

    // A declined card is not worth retrying: PermanentError fails the job at once.
    'charge-card': {
      queue: 'billing',
      async handler(data: { customer: string; cents: number }, ctx) {
        await sleep(300, undefined, { signal: ctx.signal });
        if (data.cents > 50_000) throw new PermanentError(`card declined for ${data.customer}: ${(data.cents / 100).toFixed(2)} EUR is over the limit`);
        return { charged: data.cents, currency: 'EUR' };
      },
    },

    'generate-report': {
      queue: 'reports',
      async handler(data: { kind: string } | null, ctx) {
        const sections = ['sales', 'refunds', 'churn', 'forecast', 'summary'];
        for (const [i, section] of sections.entries()) {
          await sleep(500 + Math.random() * 300, undefined, { signal: ctx.signal });
          ctx.progress(i + 1, sections.length, section);
        }
        return { report: `${data?.kind ?? 'report'}-${new Date().toISOString().slice(0, 16)}.pdf` };
      },
    },

    // Sometimes slower than its 2 s timeout: that attempt is aborted and retried.
    'refresh-exchange-rates': {
      queue: 'integrations',
      timeoutMs: 2_000,
      maxAttempts: 3,
      retry: { backoff: { type: 'fixed', delayMs: 1_500 } },
      async handler(_data: unknown, ctx) {
        await sleep(Math.random() < 0.35 ? 3_000 : 400, undefined, { signal: ctx.signal });
        return { base: 'EUR', rates: { USD: 1.08 + Math.random() / 100, GBP: 0.85 + Math.random() / 100 } };
      },
    },
  },

  schedules: [
    { name: 'signups', trigger: { every: '5s' }, job: 'simulate-signups', data: { maxPerTick: 3 } },
    { name: 'sales-report', trigger: { cron: '0,30 * * * * *', timezone: 'Europe/Berlin' }, job: 'generate-report', data: { kind: 'sales' }, maxRunning: 1 },
    { name: 'exchange-rates', trigger: { every: '20s' }, job: 'refresh-exchange-rates', maxRunning: 1 },
  ],

  // Runs in `docket serve` / `docket worker` only: a line per interesting event on stdout.
  setup(docket) {
    app = docket;
    const t0 = Date.now();
    const say = (line: string) => process.stdout.write(`${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s  ${line}\n`);
    const label = (e: { name: string; jobId: string }) => `${e.name}#${e.jobId}`;
    const offs = [
      docket.on('job:completed', (e) => {
        if (e.name !== 'simulate-signups') say(`✔ ${label(e)} completed in ${e.durationMs} ms`);
      }),
      docket.on('job:retrying', (e) => say(`↻ ${label(e)} failed (${e.error.message}); retry in ${(e.delayMs / 1000).toFixed(1)} s`)),
      docket.on('job:failed', (e) => say(`✘ ${label(e)} failed for good: ${e.error.message}`)),
      docket.on('schedule:fired', (e) => say(`⏰ schedule ${e.schedule} fired → ${e.name}#${e.jobId}${e.lateMs > 1_000 ? ` (${(e.lateMs / 1000).toFixed(1)} s late)` : ''}`)),
      docket.on('job:progress', (e) => {
        if (e.name === 'generate-report') say(`  ${label(e)} ${e.progress.current}/${e.progress.total ?? '?'} ${e.progress.message ?? ''}`);
      }),
    ];
    return () => {
      for (const off of offs) off();
      app = null;
    };
  },
});
