// docket on SQLite for shared/bench/peers.mjs, at docket's default durability:
// WAL, synchronous=FULL (every commit is fsynced). A fresh database file in the
// harness's tmpDir per reset(). DOCKET_SQLITE_SYNCHRONOUS=NORMAL overrides the
// setting (or use docket-sqlite-normal.mjs, which has its own column name).
import { sqliteAdapter } from './_docket-sqlite.mjs';

export default sqliteAdapter({
  name: 'docket-sqlite',
  synchronous: process.env.DOCKET_SQLITE_SYNCHRONOUS || 'FULL',
});
