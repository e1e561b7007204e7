/**
 * Cost of the SQLite store's cross-process watch (cross-process-signals.ts),
 * per tick: an idle tick (PRAGMA data_version only) and a tick after another
 * connection committed (queue probes + the cancel-requested query), with H
 * jobs held by other workers and 20 by this one, 1 of them with a cancel requested. `npx tsx bench/data-version-cost.ts`
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { systemClock } from '../src/core/clock.js';
import { CrossProcessSignals } from '../src/stores/sqlite/cross-process-signals.js';
import { SqliteStore } from '../src/stores/sqlite/index.js';

const dir = mkdtempSync(join(tmpdir(), 'dv-cost-'));
const job = { name: 'mp', queue: 'default', dataJson: '{}', priority: 0, delayMs: 0, runAt: null, maxAttempts: 3, timeoutMs: null, idempotencyKey: null, keepKeyForever: false, releaseKeyOnFailure: false, scheduleName: null, fireTime: null };
for (const held of [0, 200, 2_000, 20_000]) {
  const path = join(dir, `h${held}.db`);
  const store = new SqliteStore({ path });
  await store.migrate();
  await store.enqueue({ jobs: Array.from({ length: held + 20 + 100 }, () => job) });
  if (held > 0) await store.claimJobs({ workerId: 'other', queues: [{ queue: 'default', limit: held }], names: ['mp'], leaseMs: 600_000 });
  const mine = await store.claimJobs({ workerId: 'me', queues: [{ queue: 'default', limit: 20 }], names: ['mp'], leaseMs: 600_000 });
  const db = new Database(path);
  const statements = new Map<string, Database.Statement>();
  const prepare = (sql: string, pluck = false) => {
    let s = statements.get(sql + pluck);
    if (!s) statements.set(sql + pluck, (s = db.prepare(sql).pluck(pluck)));
    return s;
  };
  const signals = new CrossProcessSignals({ clock: systemClock, prepare, dataVersion: () => prepare('PRAGMA data_version', true).get() as number, emit: () => {} });
  signals.start();
  signals.claiming('me', [{ queue: 'default' }]);
  db.prepare('UPDATE docket_jobs SET cancel_requested = 1 WHERE id = ?').run(Number(mine[0]!.id));
  signals.tick();
  const N = 20_000;
  let t = process.hrtime.bigint();
  for (let i = 0; i < N; i++) signals.tick();
  const idle = Number(process.hrtime.bigint() - t) / N / 1000;
  const other = new Database(path);
  const bump = other.prepare('UPDATE docket_queues SET paused = paused');
  const M = 2_000;
  let work = 0n;
  for (let i = 0; i < M; i++) {
    other.prepare('INSERT OR REPLACE INTO docket_queues (queue, paused, updated_at) VALUES (?, 0, ?)').run('x', i);
    t = process.hrtime.bigint();
    if (!signals.tick()) throw new Error('no change seen');
    work += process.hrtime.bigint() - t;
  }
  void bump;
  signals.stop();
  console.log(`held by others ${held}: idle tick ${idle.toFixed(2)} µs; tick after another commit ${(Number(work) / M / 1000).toFixed(1)} µs`);
  other.close();
  db.close();
  await store.close();
}
rmSync(dir, { recursive: true, force: true });
