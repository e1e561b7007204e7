/**
 * `docket enqueue --wait` shows the job's progress while it runs (issue 12:
 * it showed nothing). The CLI runs in-process (runCli); the job runs in a
 * worker of this test on the same SQLite file, as a `docket worker` would,
 * and is held at 3/10 until the CLI has shown it. Waits are for output,
 * never for time.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Docket } from '../../docket.js';
import { SqliteStore } from '../../stores/sqlite/index.js';
import { captureStream, runCliInProcess, type CaptureStream } from '../test-support/run-cli.js';

let dir: string;
let worker: Docket;
let release: () => void;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'docket-wait-'));
  // the CLI needs the definition (enqueue validates against it); the handler runs in `worker` below
  writeFileSync(join(dir, 'docket.config.mjs'), "export default { jobs: { steps: { async handler() { throw new Error('not here'); } } } };\n");
  const gate = new Promise<void>((resolve) => (release = resolve));
  worker = new Docket({ store: new SqliteStore({ path: join(dir, 'docket.db') }), logger: false, worker: { pollIntervalMs: 20, progressFlushMs: 10 } });
  worker.defineJob('steps', {
    async handler(_data, ctx) {
      ctx.progress(3, 10, 'resizing images');
      await gate;
      ctx.progress(10, 10, 'done');
      return { resized: 10 };
    },
  });
  await worker.start();
});

afterEach(async () => {
  release();
  await worker.close({ graceMs: 0 });
  rmSync(dir, { recursive: true, force: true });
});

async function untilWritten(stream: CaptureStream, re: RegExp): Promise<void> {
  while (!re.test(stream.text())) await new Promise((r) => setTimeout(r, 20));
}

async function enqueueAndWait(extra: string[], tty: boolean) {
  const stderr = captureStream({ isTTY: tty });
  const run = runCliInProcess(['--store', `sqlite:${join(dir, 'docket.db')}`, 'enqueue', 'steps', '--wait', ...extra], { cwd: dir, stderr, tty });
  return { stderr, run };
}

describe('enqueue --wait shows progress', () => {
  it('not a terminal: one line per change on stderr; the result alone on stdout', async () => {
    const { stderr, run } = await enqueueAndWait([], false);
    await untilWritten(stderr, /3\/10 30% resizing images/);
    release();
    const r = await run;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^job \d+: active \(attempt 1\) 3\/10 30% resizing images$/m);
    expect(r.stderr).toMatch(/^job \d+: completed \(attempt 1\) 10\/10 100% done$/m);
    expect(r.stdout).toMatch(/^job: +\d+ completed\nresult: +\{"resized":10\}\n$/);
  });

  it('a terminal: a bar redrawn in place with percent and the message', async () => {
    const { stderr, run } = await enqueueAndWait([], true);
    await untilWritten(stderr, /\[######-+\] +30% 3\/10 resizing images/);
    release();
    const r = await run;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('\r\x1b[2K');
    expect(r.stderr).toMatch(/\[#{20}\] 100% 10\/10 done\n$/);
  });

  it('--json: progress events on stderr as JSON lines; stdout stays one JSON document', async () => {
    const { stderr, run } = await enqueueAndWait(['--json'], false);
    await untilWritten(stderr, /"current":3/);
    release();
    const r = await run;
    expect(r.code, r.stderr).toBe(0);
    const events = r.stderr.trimEnd().split('\n').map((l) => JSON.parse(l) as { event: string; state: string; progress: { current: number; total: number; message: string } | null });
    expect(events.every((e) => e.event === 'progress')).toBe(true);
    expect(events).toContainEqual(expect.objectContaining({ state: 'active', progress: expect.objectContaining({ current: 3, total: 10, message: 'resizing images' }) }));
    expect(events.at(-1)).toMatchObject({ state: 'completed', progress: { current: 10, total: 10, message: 'done' } });
    expect(JSON.parse(r.stdout)).toMatchObject({ state: 'completed', result: { resized: 10 } });
  });
});
