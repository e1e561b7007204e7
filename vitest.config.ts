import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (p: string) => fileURLToPath(new URL(`./src/${p}`, import.meta.url));

export default defineConfig({
  // Examples import docket by its package name, as users do; tests resolve it to the source.
  resolve: {
    alias: [
      { find: /^docket$/, replacement: src('index.ts') },
      { find: /^docket\/sqlite$/, replacement: src('stores/sqlite/index.ts') },
      { find: /^docket\/postgres$/, replacement: src('stores/postgres/index.ts') },
      { find: /^docket\/http$/, replacement: src('admin/api/index.ts') },
      { find: /^docket\/testing$/, replacement: src('testing/index.ts') },
    ],
  },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'examples/**/*.test.ts'],
    // Safety nets against a hang, not speed checks (no test asserts a
    // wall-clock bound): a test that spawns a dozen CLI processes took 18 s
    // on a quiet machine and over 30 s under .ci/run's load.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // vitest's default (cores - 1) runs the files one at a time on a 2-core
    // machine: 474 s. Most of the suite waits on child processes (CLI, serve,
    // PostgreSQL, Redis, browsers), not on a core, so one file per core plus
    // one overlaps those waits: 319 s on 2 cores. No test asserts a wall-clock
    // bound, so the extra contention cannot fail one.
    maxWorkers: availableParallelism() + 1,
  },
});
