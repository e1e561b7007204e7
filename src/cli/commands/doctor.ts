import type { Command } from 'commander';
import { SqliteStore } from '../../stores/sqlite/index.js';
import { describeError, EXIT } from '../exit-codes.js';
import { table, writeJson } from '../output.js';
import type { Act } from '../program.js';
import { sqliteFilePath } from '../store-url.js';
import { postgresChecks, sqliteFileChecks, sqliteSettingChecks, type Check } from './doctor-checks.js';

export function registerDoctorCommand(program: Command, act: Act): void {
  program
    .command('doctor')
    .option('--strict', 'exit 7 on warnings too, not only on failures')
    .description("check the store's settings (SQLite: journal mode, synchronous, busy timeout, file permissions, version; PostgreSQL: version, durability, schema) and print what to fix")
    .action(
      act<{ strict?: boolean }>(async (ctx, f) => {
        const source = await ctx.storeSource();
        const checks: Check[] = [{ check: 'store', status: 'info', value: `${source.display} (from ${source.from})` }];
        const config = await ctx.config();
        checks.push({ check: 'config', status: 'info', value: config.path ? `${config.path}: ${Object.keys(config.config.jobs ?? {}).length} job definition(s)` : 'none found (enqueue needs one; jobs/queues/stats work without)' });
        const spec = source.spec;
        if (spec === null) {
          checks.push({ check: 'settings', status: 'info', value: 'the config builds its own Store object: only a store URL can be checked (give --store to check one)' });
        } else if (spec.kind === 'sqlite') {
          const file = sqliteFilePath(spec);
          let open = true;
          if (file !== null) {
            const r = sqliteFileChecks(file);
            checks.push(...r.checks);
            open = r.exists;
          }
          if (open) {
            const store = new SqliteStore({ path: spec.path, ...(spec.synchronous ? { synchronous: spec.synchronous } : {}), ...(spec.busyTimeoutMs !== undefined ? { busyTimeoutMs: spec.busyTimeoutMs } : {}) });
            try {
              checks.push(...sqliteSettingChecks(await store.diagnostics(), spec));
            } finally {
              await store.close();
            }
          }
        } else {
          try {
            const { postgresDiagnostics } = await import('../../stores/postgres/diagnostics.js');
            checks.push(...postgresChecks(await postgresDiagnostics({ connectionString: spec.connectionString, ...(spec.schema ? { schema: spec.schema } : {}) })));
          } catch (e) {
            const err = describeError(e);
            const missingPg = err.code === 'ERR_MODULE_NOT_FOUND';
            checks.push({
              check: 'connection',
              status: 'fail',
              value: missingPg ? 'the pg package is not installed' : err.message,
              fix: missingPg ? 'npm install pg' : 'check the URL (host, port, user, password, database), that the server runs, and pg_hba.conf',
            });
          }
        }

        const failed = checks.filter((c) => c.status === 'fail').length;
        const warned = checks.filter((c) => c.status === 'warn').length;
        const healthy = failed === 0 && (!f.strict || warned === 0);
        if (ctx.json) writeJson(ctx.io, { ok: healthy, failed, warnings: warned, checks });
        else {
          ctx.io.stdout.write(
            table(checks, [
              { header: 'STATUS', value: (c) => c.status.toUpperCase() },
              { header: 'CHECK', value: (c) => c.check },
              { header: 'FOUND', value: (c) => c.value, max: 110 },
            ]),
          );
          const fixes = checks.filter((c) => c.fix);
          if (fixes.length) ctx.io.stdout.write(`\nto fix:\n${fixes.map((c) => `  - ${c.check}: ${c.fix}`).join('\n')}\n`);
          ctx.io.stdout.write(`\n${failed === 0 && warned === 0 ? 'all good' : `${failed} failed, ${warned} warning(s)`}\n`);
        }
        return healthy ? EXIT.OK : EXIT.CHECK_FAILED;
      }),
    );
}
