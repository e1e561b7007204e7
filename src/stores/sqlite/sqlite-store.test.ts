import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { runStoreConformance } from '../../store/conformance/index.js';
import { SqliteStore } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'docket-sqlite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

runStoreConformance({
  name: 'sqlite (file)',
  createStore: async () => {
    const store = new SqliteStore({ path: join(dir, `conformance-${n++}.db`) });
    await store.migrate();
    return store;
  },
});

runStoreConformance({
  name: 'sqlite (memory)',
  createStore: async () => {
    const store = new SqliteStore({ path: ':memory:' });
    await store.migrate();
    return store;
  },
});
