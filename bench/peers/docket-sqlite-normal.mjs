// docket on SQLite with synchronous=NORMAL: in WAL mode a commit is not fsynced
// (the WAL is synced at checkpoints), so a power loss may drop the last
// commits but never corrupts the file. Reported beside the FULL default.
import { sqliteAdapter } from './_docket-sqlite.mjs';

export default sqliteAdapter({ name: 'docket-sqlite-normal', synchronous: 'NORMAL' });
