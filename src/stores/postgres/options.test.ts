import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../core/errors.js';
import { DEFAULT_PG_MAX_CONNECTIONS, DEFAULT_PG_SCHEMA, resolvePostgresStoreOptions } from './options.js';
import { PostgresStore } from './postgres-store.js';

describe('PostgresStore options', () => {
  it('fills in defaults', () => {
    const o = resolvePostgresStoreOptions({ connectionString: 'postgres://x@127.0.0.1:1/db' });
    expect(o).toMatchObject({ schema: DEFAULT_PG_SCHEMA, migrate: true, maxConnections: DEFAULT_PG_MAX_CONNECTIONS, pool: null });
  });

  it.each([
    [{}, 'connectionString'],
    [{ connectionString: 'postgres://a', pool: new pg.Pool() }, 'connectionString'],
    [{ connectionString: 'postgres://a', schema: 'Bad-Name' }, 'schema'],
    [{ connectionString: 'postgres://a', maxConnections: 1 }, 'maxConnections'],
    [{ connectionString: 'postgres://a', migrate: 'yes' }, 'migrate'],
    [{ connectionString: 'postgres://a', bogus: 1 }, 'bogus'],
    [{ pool: new pg.Pool(), maxConnections: 5 }, 'maxConnections'],
    [{ connectionString: 'postgres://a', logger: { info() {} } }, 'logger'],
  ])('rejects %o naming the field', (input, field) => {
    let err: unknown;
    try {
      resolvePostgresStoreOptions(input);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).field).toBe(field);
    expect((err as ValidationError).code).toBe('INVALID_OPTION');
  });

  it('does no I/O when constructed (a bad host fails only when used, with STORE_ERROR)', async () => {
    const store = new PostgresStore({ connectionString: 'postgres://nobody@127.0.0.1:1/none' });
    await expect(store.now()).rejects.toMatchObject({ code: 'STORE_ERROR', details: { transient: true } });
    await store.close();
  });
});
