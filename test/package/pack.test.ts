/**
 * What ships: nothing that only tests or the demo use is in the package.
 *
 * The package is what `npm pack` selects (package.json `files`, ignore files)
 * from `bin/` and a build. Compiling takes half a minute, so this test does
 * not: the build's output is exactly TypeScript's program for
 * tsconfig.build.json (every non-declaration source file under src/ becomes
 * dist/<path>.js, .d.ts, .js.map) plus what the build script copies. Those
 * paths are laid out as empty files in a scratch copy of the package, and
 * npm itself says which of them it would pack.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NOT_SHIPPED = /fixture|test-support|demo|\.test\./i;

interface PackageJson {
  files: string[];
  scripts: { build: string };
  exports: Record<string, string | { types: string; import: string }>;
}

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as PackageJson;

/** dist paths tsc would write for tsconfig.build.json (no type check: --listFilesOnly). */
function compiledOutputs(): string[] {
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const listed = execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--listFilesOnly'], { cwd: ROOT, encoding: 'utf8' });
  const srcDir = join(ROOT, 'src') + sep;
  return listed
    .split('\n')
    .map((line) => line.trim())
    .filter((file) => file.startsWith(srcDir) && /\.tsx?$/.test(file) && !file.endsWith('.d.ts'))
    .flatMap((file) => {
      const base = join('dist', relative(srcDir, file)).replace(/\.tsx?$/, '');
      return [`${base}.js`, `${base}.d.ts`, `${base}.js.map`];
    });
}

/** Files the build script copies (scripts/copy-assets.mjs). */
async function copiedOutputs(): Promise<string[]> {
  const { ASSET_COPIES } = (await import('../../scripts/copy-assets.mjs')) as { ASSET_COPIES: Array<[string, string]> };
  return ASSET_COPIES.map(([, to]) => to);
}

let scratch: string;
let packed: string[];

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'docket-pack-'));
  for (const name of ['package.json', '.npmignore', '.gitignore', 'README.md', 'LICENSE']) {
    if (existsSync(join(ROOT, name))) cpSync(join(ROOT, name), join(scratch, name));
  }
  cpSync(join(ROOT, 'bin'), join(scratch, 'bin'), { recursive: true });
  for (const file of [...compiledOutputs(), ...(await copiedOutputs())]) {
    mkdirSync(dirname(join(scratch, file)), { recursive: true });
    writeFileSync(join(scratch, file), '');
  }
  const json = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: scratch, encoding: 'utf8', env: { ...process.env, npm_config_loglevel: 'silent' } });
  packed = (JSON.parse(json) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((f) => f.path.split(sep).join('/'));
}, 60_000);

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('npm pack', () => {
  it('lists no fixture, test-support, demo or test file', () => {
    expect(packed.length).toBeGreaterThan(100);
    expect(packed.filter((path) => NOT_SHIPPED.test(path))).toEqual([]);
  });

  it('ships every subpath export and the dashboard assets', () => {
    for (const [subpath, target] of Object.entries(pkg.exports)) {
      if (typeof target === 'string') continue; // ./package.json
      expect(packed, subpath).toContain(target.import.replace(/^\.\//, ''));
      expect(packed, subpath).toContain(target.types.replace(/^\.\//, ''));
    }
    expect(packed).toContain('dist/admin/dashboard/assets/dashboard.js');
    expect(packed).toContain('dist/admin/dashboard/assets/dashboard.css');
    expect(packed).toContain('dist/admin/dashboard/assets/htmx.min.js');
    expect(packed).toContain('dist/admin/dashboard/assets/uPlot.iife.min.js');
    expect(packed).toContain('bin/docket.mjs');
  });
});
