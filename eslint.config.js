// ESLint flat config. The import-direction zones encode DESIGN.md's layering:
// dependencies point inward (core <- store <- stores/*; runtime <- services;
// services use the Store interface, never a concrete store; admin/ goes through
// the Docket and the application layer, never around them), and no runtime
// import cycle is allowed anywhere in src/.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

/** Folders that use the Store interface and must never import a concrete store. */
const services = ['worker', 'scheduler', 'maintenance', 'jobs', 'runtime', 'admin'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'examples/**/node_modules/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['src/**/*.ts', 'src/**/*.tsx'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createTypeScriptImportResolver()],
      // no-cycle follows imports through these files; without a parser for .ts it sees none
      'import-x/extensions': ['.ts', '.tsx', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts', '.tsx'] },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': ['error'],
      // Runtime cycles only: `import type` is erased and orders nothing at load time.
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            {
              target: './src/core',
              from: './src',
              except: ['./core'],
              message: 'core/ is pure domain: it imports nothing else of docket.',
            },
            {
              target: './src/store',
              from: './src',
              except: ['./core', './store'],
              message: 'store/ may import only core/.',
            },
            {
              target: './src/stores',
              from: './src',
              except: ['./core', './store', './stores', './testing'],
              message: 'a store may import only core/ and store/.',
            },
            {
              // test-support/ (shared test helpers, never built) may reach wider
              target: './src/runtime/!(test-support)/**/*',
              from: './src',
              except: ['./core', './runtime'],
              message: 'runtime/ (service life cycle, events, outage reporting) may import only core/.',
            },
            {
              target: './src/runtime/*.ts',
              from: './src',
              except: ['./core', './runtime'],
              message: 'runtime/ (service life cycle, events, outage reporting) may import only core/.',
            },
            ...services.map((s) => ({
              target: `./src/${s}`,
              from: './src/stores',
              message: `${s}/ uses the Store interface, never a concrete store.`,
            })),
            {
              target: './src/admin',
              from: ['./src/worker', './src/maintenance', './src/enqueue', './src/cli'],
              message: 'admin/ goes through the Docket (and its application layer), never around it.',
            },
            {
              target: './src/admin/kit',
              from: ['./src/admin/api', './src/admin/dashboard'],
              message: 'admin/kit/ is what the API and the dashboard share: it imports neither.',
            },
            {
              target: './src/admin/dashboard',
              from: './src/admin/api',
              message: 'the dashboard uses admin/kit/, not the API (the API mounts the dashboard, not the other way round).',
            },
          ],
        },
      ],
    },
  },
  {
    // The admin surfaces go through the Docket's job admin (docket.jobs), never its store.
    files: ['src/admin/**/*.ts', 'src/admin/**/*.tsx', 'src/cli/**/*.ts'],
    ignores: ['**/*.test.ts', '**/*.test.tsx', '**/test-support/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.name='docket'][property.name='store']",
          message: 'go through the Docket (docket.jobs, src/jobs/job-admin.ts), not around it to its store.',
        },
      ],
    },
  },
  {
    // The CLI and tests are the edges: they may print.
    files: ['src/cli/**', '**/*.test.ts'],
    rules: { 'no-console': 'off' },
  },
);
