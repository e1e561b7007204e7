#!/usr/bin/env node
// The `docket` command: runs the built CLI (npm run build makes dist/).
import { existsSync } from 'node:fs';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('docket: dist/cli/main.js is missing: run `npm run build` first (or `npx tsx src/cli/main.ts` from a checkout)\n');
  process.exit(1);
}
await import(main.href);
