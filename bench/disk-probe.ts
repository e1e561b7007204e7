/**
 * How many fsynced single-row commits per second the disk under `dir` does
 * right now (plain better-sqlite3, WAL, synchronous=FULL, no docket). It is
 * the ceiling for sequential adds at FULL, and on a shared machine it moves
 * with other people's I/O, so the benchmark prints it before and after.
 */
import Database from 'better-sqlite3';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

export function fsyncCommitsPerSec(dir: string, commits = 300): number {
  const path = join(dir, `disk-probe-${process.pid}.db`);
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    const t0 = performance.now();
    for (let i = 0; i < commits; i++) insert.run('{"probe":true}');
    return commits / ((performance.now() - t0) / 1000);
  } finally {
    db.close();
    for (const f of [path, `${path}-wal`, `${path}-shm`]) rmSync(f, { force: true });
  }
}
