/**
 * The logger of `docket serve` / `docket worker`: pino, to stderr, as JSON
 * lines (for log shippers) or as short human lines (on a terminal).
 */
import pino, { type Logger } from 'pino';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ['pretty', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

interface Sink {
  write(chunk: string): unknown;
}

export function createCliLogger(options: { level: LogLevel; format: LogFormat; stream: Sink }): Logger {
  const { stream } = options;
  const destination = options.format === 'json' ? { write: (line: string) => void stream.write(line) } : { write: (line: string) => void stream.write(prettyLine(line)) };
  return pino({ name: 'docket', level: options.level }, destination);
}

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const OMIT = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg', 'v']);

/** `14:03:11 INFO  admin API listening url=http://127.0.0.1:7070`; an `err` gets its stack on the next lines. */
export function prettyLine(json: string): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`;
  }
  const time = typeof o.time === 'number' ? new Date(o.time).toISOString().slice(11, 19) : '--:--:--';
  const level = (LEVEL_NAMES[o.level as number] ?? String(o.level)).padEnd(5);
  const extras: string[] = [];
  let stack = '';
  for (const [k, v] of Object.entries(o)) {
    if (OMIT.has(k)) continue;
    if (k === 'err' && typeof v === 'object' && v !== null) {
      const err = v as { message?: string; stack?: string };
      extras.push(`err=${JSON.stringify(err.message ?? '')}`);
      if (err.stack) stack = `\n    ${err.stack.split('\n').slice(1, 6).map((l) => l.trim()).join('\n    ')}`;
      continue;
    }
    extras.push(`${k}=${typeof v === 'string' && !/\s/.test(v) ? v : JSON.stringify(v)}`);
  }
  return `${time} ${level} ${String(o.msg ?? '')}${extras.length ? `  ${extras.join(' ')}` : ''}${stack}\n`;
}
