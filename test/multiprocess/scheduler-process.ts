/**
 * A scheduler process for the multi-process scheduler test. Configured by env:
 *   DOCKET_STORE  a store URL (sqlite:/path/to/file.db, postgres://…?schema=…)
 *   PROC_ID     a name for this process
 *   OUT_FILE    each fire this process wins is appended as `<fireAt ms> <job id>`
 *   ANCHOR_MS   the schedule's first fire (every second from there)
 * Runs only the scheduler (no worker); prints `ready` once started; SIGTERM stops it.
 */
import { appendFileSync } from 'node:fs';
import { Docket } from '../../src/index.js';
import { openStore, parseStoreUrl } from '../../src/cli/store-url.js';

const env = (name: string): string => {
  const v = process.env[name];
  if (v === undefined) throw new Error(`missing ${name}`);
  return v;
};

const out = env('OUT_FILE');
const docket = new Docket({
  store: await openStore(parseStoreUrl(env('DOCKET_STORE'))),
  logger: false,
  worker: { enabled: false },
  maintenance: { enabled: false },
});
docket.defineJob('tick', { handler: async () => null });
docket.on('schedule:fired', (e) => appendFileSync(out, `${e.fireAt.getTime()} ${e.jobId}\n`));
docket.on('scheduler:error', (e) => process.stderr.write(`${env('PROC_ID')} scheduler error in ${e.operation}: ${String(e.error)}\n`));
await docket.schedule('every-second', { every: '1s', anchor: Number(env('ANCHOR_MS')) }, { job: 'tick' });
await docket.start();
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  void docket.close({ graceMs: 0 }).then(() => process.exit(0));
});
