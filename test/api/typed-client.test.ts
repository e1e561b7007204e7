import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';
import { afterEach, describe, expect, it } from 'vitest';
import { serveAdmin, type AdminServer } from 'docket/http';
import { createTestDocket } from 'docket/testing';
import type { Docket } from '../../src/docket.js';

/**
 * Issue 12, "OpenAPI": a user generates a typed client from the document a
 * running server serves (openapi-typescript), writes a small program with
 * openapi-fetch against it, typechecks it with tsc and runs it: enqueue, list
 * and cancel a job through a server mounted under a basePath, whose URL the
 * program takes from the document's `servers`. The program also holds calls
 * that the generated types must refuse (`@ts-expect-error`), so a document
 * that typed everything as `unknown` would fail the typecheck.
 */

const require = createRequire(import.meta.url);
const TSC = require.resolve('typescript/bin/tsc');
const ADMIN_KEY = 'admin-key-0123456789abcdef';
/** Inside the repository's node_modules, so the program resolves openapi-fetch and @types/node as a user's project would. */
const CACHE = fileURLToPath(new URL('../../node_modules/.cache/', import.meta.url));

let docket: Docket | null = null;
let server: AdminServer | null = null;
let dir: string | null = null;
afterEach(async () => {
  await server?.close({ graceMs: 0 });
  await docket?.close({ graceMs: 0 });
  if (dir) rmSync(dir, { recursive: true, force: true });
  server = null;
  docket = null;
  dir = null;
});

const PROGRAM = `
import createClient from 'openapi-fetch';
import type { components, paths } from './schema.js';

const spec = (await (await fetch(process.env.DOCKET_SPEC_URL!)).json()) as { servers: Array<{ url: string }> };
const baseUrl = new URL(spec.servers[0]!.url, process.env.DOCKET_SPEC_URL!).href.replace(/\\/$/, '');
const client = createClient<paths>({ baseUrl, headers: { 'x-api-key': process.env.DOCKET_KEY! } });

const enqueued = await client.POST('/api/v1/jobs', { body: { name: 'send-email', data: { to: 'ops@example.com' }, delayMs: 3_600_000, priority: 5 } });
if (!enqueued.data) throw new Error('enqueue failed: ' + enqueued.response.status);
const id: string = enqueued.data.id;
const state: components['schemas']['JobState'] | undefined = enqueued.data.job?.state;

const listed = await client.GET('/api/v1/jobs', { params: { query: { state: 'delayed', queue: 'default', limit: 10 } } });
if (!listed.data) throw new Error('list failed: ' + listed.response.status);
const listedIds: string[] = listed.data.jobs.map((j) => j.id);

const cancelled = await client.POST('/api/v1/jobs/{id}/cancel', { params: { path: { id } } });
if (!cancelled.data) throw new Error('cancel failed: ' + cancelled.response.status);
const outcome: 'cancelled' | 'cancel_requested' = cancelled.data.outcome;

const missing = await client.POST('/api/v1/jobs/{id}/cancel', { params: { path: { id: 'no-such-job' } } });
const problemCode: string | undefined = missing.error?.code;

// Never called: what the generated types must refuse.
export function refusedByTheTypes(): void {
  // @ts-expect-error: name is required
  void client.POST('/api/v1/jobs', { body: { data: {} } });
  // @ts-expect-error: delayMs is a number of milliseconds
  void client.POST('/api/v1/jobs', { body: { name: 'send-email', delayMs: '1h' } });
  // @ts-expect-error: priority is a number
  void client.POST('/api/v1/jobs', { body: { name: 'send-email', priority: 'high' } });
  // @ts-expect-error: no such path
  void client.GET('/api/v1/job');
  // @ts-expect-error: the path parameter is required
  void client.POST('/api/v1/jobs/{id}/cancel', {});
}

console.log(JSON.stringify({
  status: enqueued.response.status,
  location: enqueued.response.headers.get('location'),
  id,
  state,
  listedIds,
  outcome,
  cancelStatus: cancelled.response.status,
  missingStatus: missing.response.status,
  problemCode,
}));
`;

function run(file: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { ...options, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${[file, ...args].join(' ')} failed: ${stdout}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

describe('a client generated from the served document', () => {
  it('typechecks and enqueues, lists and cancels a job on a real server under a basePath', async () => {
    docket = createTestDocket();
    docket.defineJob('send-email', { handler: async () => 'sent' });
    server = await serveAdmin({ docket, keys: { admin: [ADMIN_KEY] }, basePath: '/ops', host: '127.0.0.1', port: 0, logger: false });
    const specUrl = `${server.url}/api/v1/openapi.json`;

    // openapi-typescript reads the document from the server, as a user points it at the URL
    const types = astToString(await openapiTS(new URL(specUrl)));
    mkdirSync(CACHE, { recursive: true });
    dir = mkdtempSync(join(CACHE, 'docket-typed-client-'));
    writeFileSync(join(dir, 'schema.d.ts'), types);
    writeFileSync(join(dir, 'client.mts'), PROGRAM);
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { strict: true, target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext', types: ['node'], skipLibCheck: true, outDir: '.' },
        files: ['client.mts'],
      }),
    );

    await run(process.execPath, [TSC, '-p', 'tsconfig.json'], { cwd: dir });
    const out = await run(process.execPath, ['client.mjs'], { cwd: dir, env: { ...process.env, DOCKET_SPEC_URL: specUrl, DOCKET_KEY: ADMIN_KEY } });
    const result = JSON.parse(out.trim().split('\n').pop()!) as Record<string, unknown>;

    expect(result).toMatchObject({
      status: 201,
      location: `/ops/api/v1/jobs/${String(result.id)}`,
      state: 'delayed',
      outcome: 'cancelled',
      cancelStatus: 200,
      missingStatus: 404,
      problemCode: 'JOB_NOT_FOUND',
    });
    expect(result.listedIds).toContain(result.id);
    expect((await docket.jobs.get(String(result.id)))?.state).toBe('cancelled');
  });
});
