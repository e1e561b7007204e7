import { describe, expect, it } from 'vitest';
import { maskPassword, parseStoreUrl, sqliteFilePath } from './store-url.js';

describe('store URLs', () => {
  it('sqlite: relative, absolute, memory, options', () => {
    expect(parseStoreUrl('sqlite:./docket.db')).toMatchObject({ kind: 'sqlite', path: './docket.db' });
    expect(parseStoreUrl('sqlite:///var/lib/docket.db')).toMatchObject({ kind: 'sqlite', path: '/var/lib/docket.db' });
    expect(parseStoreUrl('sqlite::memory:')).toMatchObject({ kind: 'sqlite', path: ':memory:' });
    expect(parseStoreUrl('sqlite:x.db?synchronous=normal&busyTimeoutMs=5000')).toMatchObject({ path: 'x.db', synchronous: 'NORMAL', busyTimeoutMs: 5_000 });
    expect(sqliteFilePath(parseStoreUrl('sqlite::memory:'))).toBeNull();
  });

  it('refuses what it cannot use, with the config exit code', () => {
    for (const bad of ['mysql://x', 'docket.db', 'sqlite:', 'sqlite:x.db?synchronous=sometimes', 'sqlite:x.db?cache=1', 'sqlite:x.db?busyTimeoutMs=-1']) {
      expect(() => parseStoreUrl(bad), bad).toThrow(expect.objectContaining({ exitCode: 5 }));
    }
  });

  it('postgres: schema from the query, password masked for display', () => {
    const spec = parseStoreUrl('postgres://app:s3cret@db.internal:5432/jobs?schema=queue&sslmode=require');
    expect(spec).toMatchObject({ kind: 'postgres', schema: 'queue', display: 'postgres://app:***@db.internal:5432/jobs?schema=queue&sslmode=require' });
    expect(spec.kind === 'postgres' && spec.connectionString).toBe('postgres://app:s3cret@db.internal:5432/jobs?sslmode=require');
    expect(parseStoreUrl('postgresql://localhost/db')).toMatchObject({ kind: 'postgres' });
    expect(maskPassword('postgres://u@h/db')).toBe('postgres://u@h/db');
  });
});
