import type { Command } from 'commander';
import type { Act } from '../program.js';
import { fields, writeJson } from '../output.js';

/** `docket migrate`: creates or upgrades the store's schema (idempotent; safe while other processes run). */
export function registerMigrateCommand(program: Command, act: Act): void {
  program
    .command('migrate')
    .description("create or upgrade the store's schema (idempotent; safe while other docket processes run)")
    .action(
      act(async (ctx) => {
        const { store, source } = await ctx.openStore();
        const before = await schemaVersion(store);
        await store.migrate();
        const after = await schemaVersion(store);
        const result = { store: source.display, kind: store.kind, schemaVersionBefore: before, schemaVersion: after };
        if (ctx.json) return writeJson(ctx.io, result);
        const change = before === null || after === null ? 'migrated' : before === after ? `already at version ${after}` : `version ${before} -> ${after}`;
        ctx.io.stdout.write(fields([['store', `${source.display} (${store.kind})`], ['schema', change]]));
      }),
    );
}

/** The schema version where the store reports it (SQLite's diagnostics), else null. */
async function schemaVersion(store: object): Promise<number | null> {
  const d = store as { diagnostics?: () => Promise<{ schemaVersion?: number }> };
  if (typeof d.diagnostics !== 'function') return null;
  return (await d.diagnostics()).schemaVersion ?? null;
}
