import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { serveAdmin, type AdminServer } from 'docket/http';
import { createTestDocket } from 'docket/testing';
import type { Docket } from '../../src/docket.js';

/**
 * Issue 12, "OpenAPI": the document a real server serves lints clean (no
 * error, no warning) under Redocly's `recommended` rules, run as a user runs
 * it (`redocly lint --extends=recommended`), offline: telemetry and the update
 * check are off, the run happens in an empty directory (no redocly.yaml), and
 * where this process may (root, with unshare) the linter gets a network
 * namespace of its own with no interface but loopback, so a lookup would fail
 * the test rather than pass quietly.
 */

const require = createRequire(import.meta.url);
const REDOCLY = join(require.resolve('@redocly/cli/package.json'), '..', 'bin', 'cli.js');
const ADMIN_KEY = 'admin-key-0123456789abcdef';

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

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- an OpenAPI document, read loosely
type Spec = any;

async function servedSpec(options: { basePath?: string; publicMetrics?: boolean } = {}): Promise<Spec> {
  docket = createTestDocket();
  server = await serveAdmin({ docket, keys: { admin: [ADMIN_KEY] }, host: '127.0.0.1', port: 0, logger: false, ...options });
  const r = await fetch(`${server.url}/api/v1/openapi.json`);
  expect(r.status).toBe(200);
  return r.json();
}

const offline = process.getuid?.() === 0 && existsSync('/usr/bin/unshare');

interface LintReport {
  totals: { errors: number; warnings: number; ignored: number };
  problems: Array<{ ruleId: string; message: string; location: Array<{ pointer: string }> }>;
}

function lint(spec: Spec): Promise<LintReport> {
  dir = mkdtempSync(join(tmpdir(), 'docket-redocly-'));
  writeFileSync(join(dir, 'openapi.json'), JSON.stringify(spec, null, 2));
  const args = [REDOCLY, 'lint', 'openapi.json', '--format=json', '--extends=recommended'];
  const [file, argv] = offline ? ['/usr/bin/unshare', ['-n', process.execPath, ...args]] : [process.execPath, args];
  const env = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' };
  return new Promise((resolve, reject) => {
    execFile(file, argv, { cwd: dir!, env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const start = stdout.indexOf('{');
      if (start < 0) return reject(new Error(`redocly printed no report (${String(error)}): ${stderr}`));
      resolve(JSON.parse(stdout.slice(start)) as LintReport);
    });
  });
}

function problems(report: LintReport): string[] {
  return report.problems.map((p) => `${p.ruleId}: ${p.message} at ${p.location[0]?.pointer ?? '?'}`);
}

describe('the served OpenAPI document', () => {
  it(`lints clean under Redocly's recommended rules${offline ? ' (offline: own network namespace)' : ''}`, async () => {
    const report = await lint(await servedSpec());
    expect(problems(report)).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  });

  it('lints clean mounted under a basePath and with public metrics too', async () => {
    const spec = await servedSpec({ basePath: '/ops/docket', publicMetrics: true });
    expect(spec.servers).toEqual([expect.objectContaining({ url: '/ops/docket' })]);
    const report = await lint(spec);
    expect(problems(report)).toEqual([]);
  });

  it('names every operation: the operationIds are public API and change only on purpose', async () => {
    const spec = await servedSpec();
    const ids: string[] = [];
    for (const [path, item] of Object.entries(spec.paths as Record<string, Record<string, { operationId?: string }>>)) {
      for (const [method, op] of Object.entries(item)) ids.push(`${method.toUpperCase()} ${path} ${op.operationId}`);
    }
    expect(ids.sort()).toEqual(
      [
        'GET /healthz getHealth',
        'GET /metrics getMetrics',
        'GET /api/v1/events streamEvents',
        'GET /api/v1/queues listQueues',
        'GET /api/v1/queues/{queue} getQueue',
        'PATCH /api/v1/queues/{queue} setQueuePolicy',
        'POST /api/v1/queues/{queue}/pause pauseQueue',
        'POST /api/v1/queues/{queue}/resume resumeQueue',
        'GET /api/v1/jobs listJobs',
        'POST /api/v1/jobs enqueueJob',
        'GET /api/v1/jobs/{id} getJob',
        'DELETE /api/v1/jobs/{id} deleteJob',
        'POST /api/v1/jobs/{id}/cancel cancelJob',
        'POST /api/v1/jobs/{id}/retry retryJob',
        'POST /api/v1/jobs/{id}/run runJobNow',
        'GET /api/v1/workers listWorkers',
        'GET /api/v1/stats getStats',
        'GET /api/v1/schedules listSchedules',
        'GET /api/v1/schedules/{name} getSchedule',
        'DELETE /api/v1/schedules/{name} deleteSchedule',
        'POST /api/v1/schedules/{name}/trigger triggerSchedule',
        'POST /api/v1/schedules/{name}/pause pauseSchedule',
        'POST /api/v1/schedules/{name}/resume resumeSchedule',
      ].sort(),
    );
  });

  it('declares the 201 Location header, 415 and 503 where they are answered, and a licence and server', async () => {
    const spec = await servedSpec();
    const enqueue = spec.paths['/api/v1/jobs'].post;
    const trigger = spec.paths['/api/v1/schedules/{name}/trigger'].post;
    for (const op of [enqueue, trigger]) {
      expect(op.responses['201'].headers.Location).toMatchObject({ required: true, schema: { type: 'string', format: 'uri-reference' } });
      expect(op.responses['503']).toBeDefined();
    }
    expect(Object.keys(enqueue.responses)).toEqual(expect.arrayContaining(['413', '415']));
    expect(spec.paths['/healthz'].get.responses['503']).toBeDefined();
    expect(spec.info.license).toEqual({ name: 'MIT', identifier: 'MIT' });
    expect(spec.servers).toEqual([expect.objectContaining({ url: '/' })]);
  });
});
