import { describe, expect, it } from 'vitest';
import { createCliLogger, prettyLine } from './logger.js';

describe('CLI logger', () => {
  it('pretty lines: time, level, message, fields; an error stack below', () => {
    const line = prettyLine(JSON.stringify({ level: 40, time: Date.UTC(2026, 0, 1, 14, 3, 11), pid: 1, hostname: 'h', name: 'docket', msg: 'job failed', jobId: '7', err: { message: 'boom', stack: 'Error: boom\n    at f (x.ts:1:1)' } }));
    expect(line).toBe('14:03:11 WARN  job failed  jobId=7 err="boom"\n    at f (x.ts:1:1)\n');
    expect(prettyLine('not json')).toBe('not json\n');
  });

  it('json format writes pino lines; pretty rewrites them; level filters', () => {
    const lines: string[] = [];
    const sink = { write: (s: string) => void lines.push(s) };
    createCliLogger({ level: 'info', format: 'json', stream: sink }).info({ a: 1 }, 'hello');
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 30, msg: 'hello', a: 1 });
    const pretty = createCliLogger({ level: 'warn', format: 'pretty', stream: sink });
    pretty.info('dropped');
    pretty.warn('kept');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^\d\d:\d\d:\d\d WARN {2}kept\n$/);
  });
});
