/**
 * `npm run bench`: docket's own benchmark on SQLite, at synchronous=FULL (the
 * default) and NORMAL, or on PostgreSQL (`--store postgres`). See bench/README.md.
 *
 *   npm run bench -- [--n 20000] [--quick] [--sync FULL,NORMAL] [--store sqlite|postgres]
 *                    [--scenarios single,concurrent,bulk,drain,latency]
 *                    [--concurrency 32] [--latency-rate 200] [--latency-seconds 10]
 *                    [--backlog B] [--guard [--guard-pct 90]]
 *                    [--repeat 1] [--dir /tmp] [--json out.json]   (or BENCH_JSON=out.json)
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fsyncCommitsPerSec } from './disk-probe.js';
import { SCENARIOS, type LatencyResult, type ScenarioName, type ScenarioOptions, type ThroughputResult } from './scenarios.js';
import { fmt, table } from './stats.js';
import { openPostgresSubject, openSqliteSubject, type Subject, type Synchronous } from './subject.js';

type Result = ThroughputResult | LatencyResult | { error: string };

const { values: args } = parseArgs({
  options: {
    n: { type: 'string' },
    quick: { type: 'boolean', default: false },
    sync: { type: 'string', default: 'FULL,NORMAL' },
    scenarios: { type: 'string', default: Object.keys(SCENARIOS).join(',') },
    concurrency: { type: 'string', default: '32' },
    'latency-rate': { type: 'string', default: '200' },
    'latency-seconds': { type: 'string' },
    dir: { type: 'string', default: os.tmpdir() },
    json: { type: 'string' },
    repeat: { type: 'string', default: '1' },
    store: { type: 'string', default: 'sqlite' },
    backlog: { type: 'string' },
    guard: { type: 'boolean', default: false },
    'guard-pct': { type: 'string', default: '90' },
    help: { type: 'boolean', default: false },
  },
});

if (args.help) {
  process.stdout.write(
    'npm run bench -- [--n 20000] [--quick] [--sync FULL,NORMAL] [--store sqlite|postgres] [--scenarios single,concurrent,bulk,drain,latency]\n' +
      '                 [--concurrency 32] [--latency-rate 200] [--latency-seconds 10] [--backlog B] [--guard [--guard-pct 90]]\n' +
      '                 [--repeat 1] [--dir DIR] [--json FILE]\n' +
      '  --backlog B   also drain B pre-enqueued jobs (row "drain at backlog B", with the ratio to the N drain and peak RSS)\n' +
      '  --guard       only the drain at N and at the backlog (default 1000000); exit 3 when backlog drain < guard-pct % of the N drain\n' +
      '  --store postgres   PG_URL, else a throwaway PostgreSQL 15 (stock settings) started for the run\n',
  );
  process.exit(0);
}

function positiveInt(name: string, v: string): number {
  const x = Number(v);
  if (!Number.isInteger(x) || x <= 0) throw new Error(`--${name} must be a positive integer (got ${v})`);
  return x;
}

const opts: ScenarioOptions = {
  n: positiveInt('n', args.n ?? (args.quick ? '2000' : '20000')),
  concurrency: positiveInt('concurrency', args.concurrency!),
  inFlight: 64,
  batch: 1000,
  latencyRate: positiveInt('latency-rate', args['latency-rate']!),
  latencySeconds: positiveInt('latency-seconds', args['latency-seconds'] ?? (args.quick ? '3' : '10')),
  stallMs: 30_000,
};
const syncs = args.sync!.split(',').map((s) => s.trim().toUpperCase()) as Synchronous[];
for (const s of syncs) if (s !== 'FULL' && s !== 'NORMAL') throw new Error(`--sync: FULL or NORMAL (got ${s})`);
const guard = args.guard!;
const guardPct = Number(args['guard-pct']);
const backlog = args.backlog !== undefined ? positiveInt('backlog', args.backlog) : guard ? 1_000_000 : null;
const storeKind = args.store!;
if (storeKind !== 'sqlite' && storeKind !== 'postgres') throw new Error(`--store: sqlite or postgres (got ${storeKind})`);
type RowName = ScenarioName | 'backlog';
const names = (guard ? ['drain'] : args.scenarios!.split(',').map((s) => s.trim())) as ScenarioName[];
for (const s of names) if (!(s in SCENARIOS)) throw new Error(`--scenarios: unknown ${s} (use ${Object.keys(SCENARIOS).join(',')})`);
const rowNames: RowName[] = backlog !== null ? [...names, 'backlog'] : names;
const jsonPath = args.json ?? process.env.BENCH_JSON;
const repeat = positiveInt('repeat', args.repeat!);

/**
 * With --repeat, the best run of each scenario is reported (highest jobs/s,
 * lowest p99): on a shared machine other load only ever makes a run slower,
 * so the best run is the closest to what docket itself costs. A run that
 * lost jobs or failed always wins, so it cannot hide.
 */
function better(a: Result | null, b: Result): Result {
  if (a === null) return b;
  const bad = (r: Result) => 'error' in r || r.lost > 0 || r.stray > 0;
  if (bad(a)) return a;
  if (bad(b)) return b;
  if ('p99' in a && 'p99' in b) return (b.p99 ?? Infinity) < (a.p99 ?? Infinity) ? b : a;
  const ta = a as ThroughputResult;
  const tb = b as ThroughputResult;
  return (tb.completePerSec ?? tb.jobsPerSec ?? 0) > (ta.completePerSec ?? ta.jobsPerSec ?? 0) ? b : a;
}

const log = (msg: string) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

function summary(name: ScenarioName, r: Result): string {
  if ('error' in r) return `ERROR ${r.error}`;
  const v = `lost ${r.lost}, dup ${r.dup}${r.stray ? `, stray ${r.stray}` : ''}`;
  if (name === 'latency') {
    const l = r as LatencyResult;
    return `p50 ${fmt(l.p50, 2)} / p95 ${fmt(l.p95, 2)} / p99 ${fmt(l.p99, 2)} / max ${fmt(l.max, 1)} ms; ${v}`;
  }
  const t = r as ThroughputResult;
  return `${fmt(t.jobsPerSec)} jobs/s${t.completePerSec ? ` (${fmt(t.completePerSec)} until all completed)` : ''}, ${fmt(t.cpuUsPerJob, 1)} µs CPU/job; ${v}`;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(args.dir!, 'docket-bench-'));
  let pgServer: { url: string; stop(): Promise<void> } | null = null;
  if (storeKind === 'postgres' && !process.env.PG_URL) {
    const { startPostgresServer } = await import('../test/support/postgres/postgres-server.js');
    pgServer = await startPostgresServer();
  }
  const pgUrl = process.env.PG_URL ?? pgServer?.url ?? '';
  const columns: Array<{ name: string; open: () => Promise<Subject> }> =
    storeKind === 'postgres'
      ? [{ name: 'postgres', open: () => openPostgresSubject({ url: pgUrl }) }]
      : syncs.map((sync) => ({ name: sync, open: () => openSqliteSubject({ dir, synchronous: sync }) }));
  const results: Record<string, Record<string, Result>> = {};
  let probeAfter: number | null = null;
  log(`node ${process.version}, ${os.availableParallelism()} cpus; N=${opts.n}, concurrency ${opts.concurrency}; files in ${dir}`);
  // The disk probe is SQLite's ceiling; a PostgreSQL run reports the server's URL instead.
  const probeBefore = storeKind === 'sqlite' ? fsyncCommitsPerSec(dir) : null;
  if (storeKind === 'sqlite') log(`disk: ${fmt(probeBefore)} fsynced single-row commits/s (plain SQLite, FULL)`);
  try {
    for (const { name: sync, open } of columns) {
      results[sync] = {};
      for (const name of rowNames) {
        let best: Result | null = null;
        for (let k = 1; k <= repeat; k++) {
          const subject = await open();
          let r: Result;
          try {
            r = name === 'backlog' ? await SCENARIOS.drain.run(subject, { ...opts, n: backlog! }) : await SCENARIOS[name].run(subject, opts);
          } catch (e) {
            r = { error: e instanceof Error ? e.message : String(e) };
          } finally {
            await subject.close();
          }
          log(`${sync} ${name === 'backlog' ? `drain at backlog ${backlog}` : name}${repeat > 1 ? ` #${k}` : ''}: ${summary(name === 'backlog' ? 'drain' : name, r)}`);
          best = better(best, r);
        }
        results[sync]![name] = best!;
      }
    }
    if (storeKind === 'sqlite') probeAfter = fsyncCommitsPerSec(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await pgServer?.stop();
  }
  const cols = columns.map((c) => c.name);

  const cell = (sync: string, name: RowName, pick: (r: ThroughputResult & LatencyResult) => string) => {
    const r = results[sync]?.[name];
    if (!r) return '—';
    if ('error' in r) return 'ERR';
    const v = pick(r as ThroughputResult & LatencyResult);
    return r.lost > 0 ? `${v} (LOST ${r.lost})` : v;
  };
  const rows: string[][] = [];
  for (const name of names) {
    const title = SCENARIOS[name].title;
    if (name === 'latency') {
      for (const p of ['p50', 'p95', 'p99', 'max'] as const) {
        rows.push([`${title} ${opts.latencyRate}/s × ${opts.latencySeconds}s, ${p} ms`, ...cols.map((s) => cell(s, name, (r) => fmt(r[p], 2)))]);
      }
    } else {
      rows.push([`${title}, jobs/s`, ...cols.map((s) => cell(s, name, (r) => fmt(r.jobsPerSec)))]);
      if (name === 'drain') {
        rows.push(['drain, until all recorded completed, jobs/s', ...cols.map((s) => cell(s, name, (r) => fmt(r.completePerSec)))]);
        rows.push(['drain, CPU time of this process per job, µs', ...cols.map((s) => cell(s, name, (r) => fmt(r.cpuUsPerJob, 1)))]);
        rows.push(['drain, peak RSS of the process, MB', ...cols.map((s) => cell(s, name, (r) => fmt(r.peakRssMb)))]);
      }
    }
  }
  const guardFailures: string[] = [];
  if (backlog !== null) {
    const b = `drain at backlog ${backlog.toLocaleString('en')}`;
    rows.push([`${b}, jobs/s`, ...cols.map((s) => cell(s, 'backlog', (r) => fmt(r.jobsPerSec)))]);
    rows.push([`${b}, until all recorded completed, jobs/s`, ...cols.map((s) => cell(s, 'backlog', (r) => fmt(r.completePerSec)))]);
    rows.push([`${b}, CPU time of this process per job, µs`, ...cols.map((s) => cell(s, 'backlog', (r) => fmt(r.cpuUsPerJob, 1)))]);
    rows.push([`${b}, peak RSS of the process, MB`, ...cols.map((s) => cell(s, 'backlog', (r) => fmt(r.peakRssMb)))]);
    const ratio = (s: string): number | null => {
      const at = results[s]?.backlog as ThroughputResult | undefined;
      const base = results[s]?.drain as ThroughputResult | undefined;
      if (!at?.jobsPerSec || !base?.jobsPerSec) return null;
      return (100 * at.jobsPerSec) / base.jobsPerSec;
    };
    if (names.includes('drain')) {
      rows.push([`${b} ÷ drain at N, %${guard ? ` (guard: ≥ ${guardPct})` : ''}`, ...cols.map((s) => fmt(ratio(s)))]);
      if (guard) {
        for (const s of cols) {
          const r = ratio(s);
          if (r === null || r < guardPct) guardFailures.push(`${s}: drain at backlog ${backlog} is ${r === null ? 'unmeasured' : `${r.toFixed(0)} %`} of the drain at N=${opts.n} (guard ${guardPct} %)`);
        }
      }
    }
  }
  let lost = 0;
  let errors = 0;
  for (const bySync of Object.values(results)) {
    for (const r of Object.values(bySync)) {
      if ('error' in r) errors++;
      else lost += r.lost + r.stray;
    }
  }
  rows.push(['lost + stray jobs, all scenarios (must be 0)', ...cols.map((s) => String(Object.values(results[s]!).reduce((a, r) => a + ('error' in r ? 0 : r.lost + r.stray), 0)))]);
  rows.push(['duplicate deliveries, all scenarios', ...cols.map((s) => String(Object.values(results[s]!).reduce((a, r) => a + ('error' in r ? 0 : r.dup), 0)))]);

  process.stdout.write(
    `## docket on ${storeKind === 'postgres' ? 'PostgreSQL' : 'SQLite'}: N=${opts.n}${backlog !== null ? `, backlog ${backlog}` : ''}, concurrency ${opts.concurrency}${args.quick ? ' (quick)' : ''}${repeat > 1 ? `, best of ${repeat}` : ''}\n\n` +
      `node ${process.version}, ${os.availableParallelism()} CPUs (${os.cpus()[0]?.model ?? '?'}); ` +
      (storeKind === 'sqlite'
        ? `disk: ${fmt(probeBefore)} fsynced commits/s before, ${fmt(probeAfter)} after (plain SQLite, the ceiling for sequential adds at FULL)\n\n`
        : `PostgreSQL: ${process.env.PG_URL ? 'PG_URL' : 'a throwaway server started for this run (stock settings)'}\n\n`) +
      table(['scenario', ...cols.map((s) => (storeKind === 'postgres' ? s : `synchronous=${s}`))], rows) +
      '\n',
  );
  for (const [sync, bySync] of Object.entries(results)) {
    for (const [name, r] of Object.entries(bySync)) if ('error' in r) process.stdout.write(`\n**${sync} ${name}**: ${r.error}\n`);
  }
  if (jsonPath) {
    const meta = { date: new Date().toISOString(), node: process.version, cpus: os.availableParallelism(), cpu: os.cpus()[0]?.model, opts, store: storeKind, backlog, guard: guard ? guardPct : null, syncs, repeat, diskFsyncCommitsPerSec: { before: probeBefore, after: probeAfter } };
    writeFileSync(jsonPath, JSON.stringify({ meta, results }, null, 2));
    log(`wrote ${jsonPath}`);
  }
  if (lost > 0) log(`LOST ${lost} jobs: this run is not valid`);
  for (const f of guardFailures) log(`GUARD FAILED ${f}`);
  process.exitCode = lost > 0 ? 1 : errors > 0 ? 2 : guardFailures.length > 0 ? 3 : 0;
}

main().then(
  // Exit even if a timer of a failed scenario is still pending.
  () => setTimeout(() => process.exit(process.exitCode ?? 0), 100).unref(),
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
