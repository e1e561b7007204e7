/**
 * `npm start`: a demo worker on ./docket.db with a few realistic jobs, printing
 * what happens to them. Ctrl-C stops it gracefully (running jobs get up to 5 s,
 * the rest go straight back to the queue for the next start).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { Docket, PermanentError } from '../index.js';
import { SqliteStore } from '../stores/sqlite/index.js';

const path = process.env.DOCKET_DEMO_DB ?? './docket.db';
const docket = new Docket({
  store: new SqliteStore({ path }),
  logger: pino({ level: 'error' }, pino.destination({ dest: 2, sync: true })),
  worker: { concurrency: 4 },
  queues: { media: { concurrency: 2 } },
});

const sendWelcomeEmail = docket.defineJob('send-welcome-email', {
  queue: 'emails',
  async handler(data: { to: string }, ctx) {
    await sleep(150 + Math.random() * 200, undefined, { signal: ctx.signal });
    return { delivered: data.to };
  },
});

const resizeImage = docket.defineJob('resize-image', {
  queue: 'media',
  timeoutMs: 30_000,
  async handler(data: { file: string; sizes: number[] }, ctx) {
    for (const [i, size] of data.sizes.entries()) {
      await sleep(250 + Math.random() * 250, undefined, { signal: ctx.signal });
      ctx.progress(i + 1, data.sizes.length, `${size}px done`);
    }
    return { variants: data.sizes.map((s) => `${data.file.replace(/\.\w+$/, '')}-${s}.webp`) };
  },
});

// Fails its first attempt (a flaky partner API), then succeeds on the retry.
const syncCrm = docket.defineJob('sync-crm', {
  queue: 'integrations',
  maxAttempts: 4,
  retry: { backoff: { type: 'exponential', delayMs: 1_000 }, jitter: 0.1 },
  async handler(data: { accountId: string }, ctx) {
    await sleep(200, undefined, { signal: ctx.signal });
    if (ctx.attempt === 1) throw new Error('CRM API answered 503 Service Unavailable');
    return { synced: data.accountId, attempt: ctx.attempt };
  },
});

// A declined card is not worth retrying: PermanentError fails the job at once.
const chargeCard = docket.defineJob('charge-card', {
  queue: 'billing',
  async handler(data: { customer: string; cents: number }, ctx) {
    await sleep(300, undefined, { signal: ctx.signal });
    if (data.cents > 50_000) throw new PermanentError(`card declined for ${data.customer}: amount over limit`);
    return { charged: data.cents };
  },
});

const generateReport = docket.defineJob('generate-report', {
  queue: 'reports',
  async handler(data: { month: string }, ctx) {
    const sections = ['sales', 'refunds', 'churn', 'forecast', 'summary'];
    for (const [i, section] of sections.entries()) {
      await sleep(400, undefined, { signal: ctx.signal });
      ctx.progress(i + 1, sections.length, section);
    }
    return { report: `report-${data.month}.pdf` };
  },
});

// ------------------------------------------------------------------ output

const t0 = Date.now();
const stamp = () => `${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s`;
const say = (line: string) => console.log(`${stamp()}  ${line}`);
const label = (e: { name: string; jobId: string }) => `${e.name}#${e.jobId}`;
const bar = (current: number, total: number | null) => {
  if (!total) return String(current);
  const width = 20;
  const filled = Math.round((current / total) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${current}/${total}`;
};

docket.on('job:started', (e) => say(`▶ ${label(e)} started (attempt ${e.attempt})`));
docket.on('job:progress', (e) => say(`  ${label(e)} ${bar(e.progress.current, e.progress.total)} ${e.progress.message ?? ''}`));
docket.on('job:completed', (e) => say(`✔ ${label(e)} completed in ${e.durationMs} ms → ${JSON.stringify(e.result)}`));
docket.on('job:retrying', (e) => say(`↻ ${label(e)} failed (${e.error.message}); retrying in ${(e.delayMs / 1000).toFixed(1)} s`));
docket.on('job:failed', (e) => say(`✘ ${label(e)} failed for good: ${e.error.message}`));
docket.on('job:released', (e) => say(`⏸ ${label(e)} put back for the next start`));
docket.on('job:stalled', (e) => say(`⚠ job#${e.jobId} found with an expired lease (${e.outcome})`));

// ------------------------------------------------------------------ run

const customers = ['ada', 'grace', 'linus', 'margaret', 'ken'];
const pick = <T>(xs: T[]): T => xs[Math.floor(Math.random() * xs.length)]!;

async function enqueueSome(): Promise<void> {
  const who = pick(customers);
  await sendWelcomeEmail.enqueue({ to: `${who}@example.com` });
  await resizeImage.enqueue({ file: `${who}-avatar.png`, sizes: [64, 128, 256, 512] });
  await syncCrm.enqueue({ accountId: `acct-${who}` });
  await chargeCard.enqueue({ customer: who, cents: pick([1_999, 4_500, 99_000]) });
}

await docket.start();
say(`docket demo: worker on ${path} (Ctrl-C to stop)`);
await generateReport.enqueue({ month: new Date().toISOString().slice(0, 7) }, { idempotencyKey: `report:${new Date().toISOString().slice(0, 7)}` });
await enqueueSome();
const feeder = setInterval(() => void enqueueSome(), 4_000);

let stopping = false;
const stop = async (signal: string): Promise<void> => {
  if (stopping) {
    say('second signal: exiting now');
    process.exit(1);
  }
  stopping = true;
  clearInterval(feeder);
  say(`${signal}: stopping (running jobs get up to 5 s)…`);
  await docket.close({ graceMs: 5_000 });
  say('stopped');
  process.exit(0);
};
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
