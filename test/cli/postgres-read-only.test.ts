/**
 * Issue 12: `docket --store 'postgres://…?schema=dockte' stats` created the
 * mistyped schema and printed zeros. Commands that work on existing jobs,
 * queues and schedules never migrate or create anything: a missing schema
 * exits 6 (the store code, as for a missing SQLite file) with STORE_NOT_FOUND,
 * an outdated one exits 6 with STORE_NOT_MIGRATED. Run in-process (runCli)
 * against a throwaway PostgreSQL server.
 */
import pg from 'pg';
import { expect, it } from 'vitest';
import { runCliInProcess } from '../../src/cli/test-support/run-cli.js';
import { ensureBuilt, runJson } from './helpers.js';
import { describePostgres } from '../support/postgres/pg-test.js';
import { uniqueSchema } from '../support/postgres/postgres-server.js';

/** Every command that reads or changes what is already in the store (none of them may create it). */
const EXISTING_STORE_COMMANDS = [
  ['stats'],
  ['jobs', 'list'],
  ['jobs', 'show', '1'],
  ['jobs', 'cancel', '1'],
  ['jobs', 'retry', '1'],
  ['queues', 'list'],
  ['queues', 'show', 'default'],
  ['queues', 'pause', 'default'],
  ['queues', 'set', 'default', '--retention-failed-max-count', '100'],
  ['schedules', 'list'],
  ['schedules', 'show', 'nightly'],
  ['schedules', 'trigger', 'nightly'],
  ['schedules', 'pause', 'nightly'],
];

describePostgres('CLI on PostgreSQL: commands on an existing store never create one', (pgt) => {
  const urlFor = (schema: string) => `${pgt.url()}${pgt.url().includes('?') ? '&' : '?'}schema=${schema}`;
  async function sql<T extends Record<string, unknown>>(text: string, values: unknown[] = []): Promise<T[]> {
    const client = new pg.Client({ connectionString: pgt.url() });
    await client.connect();
    try {
      return (await client.query(text, values)).rows as T[];
    } finally {
      await client.end();
    }
  }
  const schemaExists = async (schema: string) => (await sql('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema])).length > 0;

  it.each(EXISTING_STORE_COMMANDS)('%s %s on a schema that does not exist: exit 6, STORE_NOT_FOUND, nothing created', async (...argv) => {
    const schema = uniqueSchema('dockte');
    const r = await runCliInProcess(['--no-config', '--store', urlFor(schema), ...argv, '--json']);
    expect(r.code, r.stderr).toBe(6);
    const error = (JSON.parse(r.stderr) as { error: { code: string; message: string; details: Record<string, unknown> } }).error;
    expect(error.code).toBe('STORE_NOT_FOUND');
    expect(error.message).toContain(`"${schema}"`);
    expect(error.message).toContain('docket migrate');
    expect(error.details).toMatchObject({ schema });
    expect(r.stdout).toBe('');
    expect(await schemaExists(schema)).toBe(false);
  });

  it('the built binary, as a user runs it: stats on a mistyped schema exits 6 and creates nothing', async () => {
    await ensureBuilt();
    const schema = uniqueSchema('dockte');
    const r = await runJson(['--no-config', '--store', urlFor(schema), 'stats']);
    expect(r.code).toBe(6);
    expect(JSON.parse(r.stderr).error).toMatchObject({ code: 'STORE_NOT_FOUND', details: { schema } });
    expect(await schemaExists(schema)).toBe(false);
  }, 240_000);

  it('says so in one line without --json, as for a missing SQLite file', async () => {
    const schema = uniqueSchema('dockte');
    const r = await runCliInProcess(['--no-config', '--store', urlFor(schema), 'stats']);
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(new RegExp(`^docket: no docket schema "${schema}" at postgres://.*docket migrate.* \\[STORE_NOT_FOUND\\]\\n$`));
    expect(r.stdout).toBe('');
  });

  it('an empty schema (created by hand) is not a store either, and gets no tables', async () => {
    const schema = uniqueSchema('empty');
    await sql(`CREATE SCHEMA ${schema}`);
    const r = await runCliInProcess(['--no-config', '--store', urlFor(schema), 'jobs', 'list', '--json']);
    expect(r.code).toBe(6);
    expect(JSON.parse(r.stderr).error.code).toBe('STORE_NOT_FOUND');
    expect(await sql('SELECT 1 FROM pg_tables WHERE schemaname = $1', [schema])).toEqual([]);
  });

  it('a schema lacking recent migrations exits 6 with STORE_NOT_MIGRATED and is left as it was', async () => {
    const store = await pgt.newStore();
    const schema = store.schema;
    const [{ version }] = await sql<{ version: number }>(`SELECT max(version) AS version FROM ${schema}.migrations`);
    await sql(`DELETE FROM ${schema}.migrations WHERE version = $1`, [version]);
    const r = await runCliInProcess(['--no-config', '--store', urlFor(schema), 'stats', '--json']);
    expect(r.code).toBe(6);
    const error = JSON.parse(r.stderr).error;
    expect(error.code).toBe('STORE_NOT_MIGRATED');
    expect(error.message).toContain('docket migrate');
    expect(error.details).toMatchObject({ schema, pending: [version] });
    expect(await sql(`SELECT 1 FROM ${schema}.migrations WHERE version = $1`, [version])).toEqual([]);
  });

  it('after docket migrate, the same command works (and migrate is what creates the schema)', async () => {
    const schema = uniqueSchema('made');
    const migrate = await runCliInProcess(['--no-config', '--store', urlFor(schema), 'migrate']);
    expect(migrate.code, migrate.stderr).toBe(0);
    expect(await schemaExists(schema)).toBe(true);
    const stats = await runCliInProcess(['--no-config', '--store', urlFor(schema), 'stats', '--json']);
    expect(stats.code, stats.stderr).toBe(0);
    expect(JSON.parse(stats.stdout)).toMatchObject({ totals: { waiting: 0 } });
  });
});
