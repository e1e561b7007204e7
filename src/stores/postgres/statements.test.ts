import { describe, expect, it } from 'vitest';
import { buildAdminQueries } from './admin-queries.js';
import { buildHotQueries, statementPrefix } from './hot-queries.js';
import { buildStatsQueries } from './job-stats.js';

describe('prepared statement names', () => {
  it('stay under the server’s 63-byte cut and distinct, even for the longest schema name', () => {
    for (const schema of ['docket', 'x'.repeat(48), `${'y'.repeat(47)}z`]) {
      const prefix = statementPrefix(schema);
      const s = `"${schema}"`;
      const names = [buildHotQueries(s, prefix), buildAdminQueries(s, prefix), buildStatsQueries(s, prefix)].flatMap((qs) =>
        Object.values(qs).map((q) => q.name),
      );
      for (const n of names) expect(Buffer.byteLength(n)).toBeLessThanOrEqual(63);
      expect(new Set(names.map((n) => n.slice(0, 63))).size).toBe(names.length);
    }
  });

  it('differ between schemas, so two stores on one pool never share a name', () => {
    expect(statementPrefix('a')).not.toBe(statementPrefix('b'));
  });
});
