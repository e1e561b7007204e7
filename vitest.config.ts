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
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
