import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkConfigShape, loadConfig } from './config-file.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'docket-config-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('config file', () => {
  it('finds docket.config.* in the directory, in order; none is fine', async () => {
    expect(await loadConfig({ cwd: dir })).toEqual({ path: null, config: {} });
    writeFileSync(join(dir, 'docket.config.mjs'), 'export default { api: { port: 1 } };');
    writeFileSync(join(dir, 'docket.config.ts'), 'const port: number = 2; export default { api: { port } };');
    const loaded = await loadConfig({ cwd: dir });
    expect(loaded.path).toBe(join(dir, 'docket.config.ts'));
    expect(loaded.config.api?.port).toBe(2);
    expect(await loadConfig({ cwd: dir, disabled: true })).toEqual({ path: null, config: {} });
  });

  it('accepts a default export that is a (async) function', async () => {
    writeFileSync(join(dir, 'c.mjs'), 'export default async () => ({ worker: { concurrency: 3 } });');
    expect((await loadConfig({ cwd: dir, explicitPath: 'c.mjs' })).config).toEqual({ worker: { concurrency: 3 } });
  });

  it('errors name the file and the field, with the config exit code', async () => {
    await expect(loadConfig({ cwd: dir, explicitPath: 'missing.ts' })).rejects.toMatchObject({ exitCode: 5, message: expect.stringContaining('config file not found') });
    writeFileSync(join(dir, 'none.mjs'), 'export const x = 1;');
    await expect(loadConfig({ cwd: dir, explicitPath: 'none.mjs' })).rejects.toThrow(/has no default export/);
    writeFileSync(join(dir, 'throws.mjs'), 'throw new Error("kaput");');
    await expect(loadConfig({ cwd: dir, explicitPath: 'throws.mjs' })).rejects.toThrow(/cannot load config file .*throws\.mjs: kaput/);
    expect(() => checkConfigShape([], 'f')).toThrow(/must be an object/);
    expect(() => checkConfigShape({ jobs: [] }, 'f')).toThrow(/jobs must be an object/);
    expect(() => checkConfigShape({ setup: 1 }, 'f')).toThrow(/setup must be a function/);
    expect(() => checkConfigShape({ api: { port: 99999 } }, 'f')).toThrow(/api\.port/);
    expect(() => checkConfigShape({ api: { keys: { write: [] } } }, 'f')).toThrow(/unknown scope/);
    expect(() => checkConfigShape({ api: { keys: { admin: [1] } } }, 'f')).toThrow(/array of strings/);
    expect(() => checkConfigShape({ store: 5 }, 'f')).toThrow(/store must be/);
  });
});
