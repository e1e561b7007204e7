// ESLint flat config. The import-direction zones encode DESIGN.md's layering:
// dependencies point inward (core <- store <- stores/*; services use the Store
// interface, never a concrete store).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

const services = ['worker', 'scheduler', 'maintenance', 'http', 'dashboard'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'examples/**/node_modules/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['src/**/*.ts', 'src/**/*.tsx'],
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver-next': [createTypeScriptImportResolver()] },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': ['error'],
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
            ...services.map((s) => ({
              target: `./src/${s}`,
              from: './src/stores',
              message: `${s}/ uses the Store interface, never a concrete store.`,
            })),
          ],
        },
      ],
    },
  },
  {
    // The CLI, the demo and tests are the edges: they may print.
    files: ['src/cli/**', 'src/demo/**', '**/*.test.ts'],
    rules: { 'no-console': 'off' },
  },
);
