// The SQLite part shared by docket-sqlite.mjs and docket-sqlite-normal.mjs:
// a fresh file per reset() in the harness's tmpDir, deleted (with its -wal
// and -shm files) once the store is closed. Store options other than
// `synchronous` are SqliteStore's defaults.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { docketAdapter, loadDocket } from './_docket-factory.mjs';

export function sqliteAdapter({ name, synchronous }) {
  return docketAdapter({
    name,
    backend: 'sqlite',
    settings: `SqliteStore file in tmpDir, WAL, synchronous=${synchronous}`,
    async createStore({ tmpDir }, seq) {
      const { SqliteStore } = await loadDocket('stores/sqlite/index');
      const path = join(tmpDir, `${name}-${process.pid}-${seq}.db`);
      const store = new SqliteStore({ path, synchronous });
      return {
        store,
        destroy: () => {
          for (const f of [path, `${path}-wal`, `${path}-shm`]) rmSync(f, { force: true });
        },
      };
    },
  });
}
