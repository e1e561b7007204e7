import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DocketError } from '../../src/core/errors.js';
import { Docket } from '../../src/index.js';
import { SqliteStore } from '../../src/stores/sqlite/index.js';
import { until } from '../multiprocess/helpers.js';

/**
 * The reliability suite, full disk (issue 11): SQLite on an 8 MiB tmpfs, a
 * worker running, the disk filled until enqueue fails. Every failure is a
 * typed STORE_ERROR (the API's 503), every acknowledged job is kept and
 * runs, nothing is left held, and when space comes back enqueue works again
 * by itself. Needs root and a working `mount`; otherwise skipped with the
 * reason printed.
 */
const base = mkdtempSync(join(tmpdir(), 'docket-full-'));
const mnt = join(base, 'mnt');
mkdirSync(mnt);
let mounted = false;
let reason = '';
if (process.getuid?.() !== 0) reason = 'not running as root (mounting a tmpfs needs it)';
else {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mnt], { stdio: 'pipe' });
    mounted = true;
  } catch (e) {
    reason = `mount -t tmpfs failed: ${(e as Error).message.split('\n')[0]}`;
  }
}
if (!mounted) process.stderr.write(`\n*** SKIPPING the full-disk reliability test: ${reason} ***\n\n`);

afterAll(() => {
  if (mounted) execFileSync('umount', ['-l', mnt], { stdio: 'pipe' });
  rmSync(base, { recursive: true, force: true });
});

describe('reliability: a full disk under SQLite', () => {
  it.skipIf(!mounted)('enqueue fails with STORE_ERROR while full; nothing acknowledged is lost; it recovers when space returns', { timeout: 120_000 }, async () => {
    const store = new SqliteStore({ path: join(mnt, 'full.db') });
    const docket = new Docket({ store, logger: false, worker: { pollIntervalMs: 20, concurrency: 4 }, maintenance: { rescueIntervalMs: 100 }, retention: { completed: { maxCount: null } } });
    docket.defineJob('mp', { handler: async () => null });
    await docket.start();
    const acked: string[] = [];
    const filler = join(mnt, 'filler');
    const { bavail, bsize } = statfsSync(mnt);
    writeFileSync(filler, Buffer.alloc(Math.max(0, bavail * bsize - 512 * 1024)));
    const pad = 'x'.repeat(2_000);
    let failure: unknown = null;
    for (let i = 0; i < 5_000 && failure === null; i++) {
      try {
        acked.push(...(await docket.enqueueMany(Array.from({ length: 20 }, (_, n) => ({ name: 'mp', data: { i, n, pad } })))).map((j) => j.id));
      } catch (e) {
        failure = e;
      }
    }
    expect(failure).toBeInstanceOf(DocketError);
    expect((failure as DocketError).code).toBe('STORE_ERROR');
    expect((failure as DocketError).message).toMatch(/full/i);
    const fullAt = Date.now();
    rmSync(filler);
    let recoveredAfter = -1;
    await until(async () => {
      try {
        acked.push((await docket.enqueue('mp', { after: true })).id);
        recoveredAfter = Date.now() - fullAt;
        return true;
      } catch {
        return false;
      }
    }, 'enqueue to work again once space is back', 30_000, 20);
    await until(async () => (await store.getJobs({ jobIds: acked })).every((j) => j.state === 'completed'), 'every acknowledged job to complete', 60_000, 50);
    const counts = (await store.countJobs()).reduce((s, q) => ({ active: s.active + q.counts.active, waiting: s.waiting + q.counts.waiting }), { active: 0, waiting: 0 });
    expect(counts).toEqual({ active: 0, waiting: 0 });
    console.log(`reliability full disk (sqlite, 8 MiB tmpfs): ${acked.length} acknowledged jobs, lost 0, left held 0; enqueue failed with ${(failure as DocketError).code} (${(failure as DocketError).message}); enqueue worked again ${recoveredAfter} ms after space was freed`);
    await docket.close({ graceMs: 1_000 });
  });
});
