/**
 * A scheduler process for the multi-process scheduler test. Configured by env:
 *   DOCKET_DB   the SQLite file, or
 *   DOCKET_STORE  a store URL instead (e.g. postgres://…?schema=…)
 *   PROC_ID     a name for this process
 *   OUT_FILE    each fire this process wins is appended as `<fireAt ms> <job id>`
 *   ANCHOR_MS   the schedule's first fire (every second from there)
 * Runs only the scheduler (no worker); prints `ready` once started; SIGTERM stops it.
 */
import { appendFileSync } from 'node:fs';
import { Docket } from '../../src/index.js';
import { openStore, parseStoreUrl } from '../../src/cli/store-url.js';
import { SqliteStore } from '../../src/stores/sqlite/index.js';

const env = (name: string): string => {
  const v = process.env[name];
  if (v === undefined) throw new Error(`missing ${name}`);
  return v;
};

const out = env('OUT_FILE');
const storeUrl = process.env.DOCKET_STORE;
const docket = new Docket({
  store: storeUrl ? await openStore(parseStoreUrl(storeUrl)) : new SqliteStore({ path: env('DOCKET_DB') }),
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
