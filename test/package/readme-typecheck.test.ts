/**
 * Every ```ts block of README.md typechecks against the source, as its own
 * module (strict, as the project). A block that uses `docket`, `store` or
 * `Docket` without declaring them gets them declared, as the prose around it
 * assumes. So the README cannot drift from the API (a renamed option, a
 * method that returns something else) without this failing.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DIR = join(ROOT, 'test', 'package', '.readme-blocks'); // inside the project: zod, pino … resolve from its node_modules

afterAll(() => rmSync(DIR, { recursive: true, force: true }));

function prelude(code: string): string {
  const lines: string[] = [];
  const imports = (name: string) => new RegExp(`import[^;]*\\b${name}\\b[^;]*from 'docket'`).test(code);
  if (/\bDocket\b/.test(code) && !imports('Docket')) lines.push("import { Docket } from 'docket';");
  if (/\bdocket\./.test(code) && !/const docket\b/.test(code)) lines.push("declare const docket: import('docket').Docket;");
  if (/\bstore\b/.test(code) && !/const store\b/.test(code)) lines.push("declare const store: import('docket').Store;");
  return lines.join('\n');
}

it('README.md: every TypeScript block typechecks', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
  expect(blocks.length).toBeGreaterThanOrEqual(3);
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(DIR, { recursive: true });
  const files = blocks.map((code, i) => {
    const file = `block-${i + 1}.ts`;
    writeFileSync(join(DIR, file), `${prelude(code)}\n${code}\nexport {};\n`);
    return file;
  });
  writeFileSync(
    join(DIR, 'tsconfig.json'),
    JSON.stringify({ extends: '../../../tsconfig.json', compilerOptions: { noEmit: true, rootDir: '../../..' }, include: [], files }),
  );
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', join(DIR, 'tsconfig.json')], { encoding: 'utf8' });
  expect(`${r.stdout}${r.stderr}`.trim()).toBe('');
}, 180_000);
