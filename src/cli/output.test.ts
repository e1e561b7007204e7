import { describe, expect, it } from 'vitest';
import { fields, formatDuration, formatJson, formatProgress, formatRelative, table } from './output.js';

describe('human output', () => {
  it('tables: columns sized to the widest cell, right alignment, clipping, no trailing spaces', () => {
    const out = table(
      [
        { id: '7', name: 'send-email', note: 'x'.repeat(20) },
        { id: '12', name: 'a', note: '' },
      ],
      [
        { header: 'ID', value: (r) => r.id, align: 'right' },
        { header: 'NAME', value: (r) => r.name },
        { header: 'NOTE', value: (r) => r.note, max: 8 },
      ],
    );
    expect(out).toBe('ID  NAME        NOTE\n 7  send-email  xxxxxxx…\n12  a\n');
  });

  it('fields: aligned keys, continuation lines indented', () => {
    expect(fields([['id', '1'], ['data', '{\n  "a": 1\n}']])).toBe('id:   1\ndata: {\n        "a": 1\n      }\n');
  });

  it('durations, relative times, progress, JSON', () => {
    expect(formatDuration(350)).toBe('350ms');
    expect(formatDuration(1_234)).toBe('1.2s');
    expect(formatDuration(60_000)).toBe('1m');
    expect(formatDuration(245_000)).toBe('4m05s');
    expect(formatDuration(3_600_000)).toBe('1h');
    expect(formatDuration(90_061_000)).toBe('1d1h');
    expect(formatRelative(new Date(10_000), 5_000)).toBe('in 5.0s');
    expect(formatRelative(new Date(0), 120_000)).toBe('2m ago');
    expect(formatRelative(null, 0)).toBe('-');
    expect(formatProgress({ current: 3, total: 4, message: 'resizing', updatedAt: new Date() })).toBe('3/4 75% resizing');
    expect(formatProgress({ current: 42, total: null, message: null, updatedAt: new Date() })).toBe('42');
    expect(formatJson({ a: [1, 2] }, 100)).toBe('{"a":[1,2]}');
    expect(formatJson({ a: 'x'.repeat(20) }, 10)).toBe('{\n  "a": "xxxxxxxxxxxxxxxxxxxx"\n}');
  });
});
