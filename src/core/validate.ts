import { ValidationError } from './errors.js';

/** Queue, job and schedule names: safe in URLs, metrics labels, Redis keys and logs. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

export const DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024;

export function assertName(field: string, value: unknown): string {
  if (typeof value !== 'string' || !NAME_PATTERN.test(value)) {
    throw new ValidationError(
      'INVALID_NAME',
      field,
      `${field} must match ${NAME_PATTERN} (got ${describe(value)})`,
      { value: typeof value === 'string' ? value.slice(0, 200) : describe(value) },
    );
  }
  return value;
}

/**
 * Serialises a payload, refusing anything JSON would silently change
 * (undefined, functions, NaN, Dates, class instances, cycles) so the
 * handler receives exactly what was enqueued.
 */
export function serializeJson(field: string, value: unknown, maxBytes: number): string {
  checkJson(field, value, field, new Set());
  const json = JSON.stringify(value);
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes > maxBytes) {
    throw new ValidationError('PAYLOAD_TOO_LARGE', field, `${field} is ${bytes} bytes; the limit is ${maxBytes}`, {
      bytes,
      maxBytes,
    });
  }
  return json;
}

function checkJson(field: string, value: unknown, path: string, seen: Set<object>): void {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(value)) fail(field, path, `is ${value}, which JSON cannot represent`);
      return;
    case 'object': {
      if (value === null) return;
      if (seen.has(value)) fail(field, path, 'contains a cycle');
      const proto = Object.getPrototypeOf(value);
      if (Array.isArray(value)) {
        seen.add(value);
        value.forEach((v, i) => checkJson(field, v, `${path}[${i}]`, seen));
        seen.delete(value);
        return;
      }
      if (proto !== Object.prototype && proto !== null) {
        fail(field, path, `is a ${value.constructor?.name ?? 'non-plain object'}; only plain objects, arrays and primitives are allowed`);
      }
      seen.add(value);
      for (const [k, v] of Object.entries(value)) checkJson(field, v, `${path}.${k}`, seen);
      seen.delete(value);
      return;
    }
    default:
      fail(field, path, `is ${typeof value}, which JSON cannot represent`);
  }
}

function fail(field: string, path: string, what: string): never {
  throw new ValidationError('INVALID_DATA', field, `${path} ${what}`, { path });
}

export function assertInteger(field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ValidationError('INVALID_OPTION', field, `${field} must be an integer in [${min}, ${max}] (got ${describe(value)})`);
  }
  return value;
}

export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (value === null || value === undefined || typeof value !== 'object') return String(value);
  return Array.isArray(value) ? 'an array' : 'an object';
}
