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
 * The limits every stored JSON value (job data, a handler's result, a schedule's job data)
 * obeys, on every store.
 *
 * Nesting depth: at most MAX_JSON_DEPTH arrays/objects inside each other (`{}` and `[]` are
 * depth 1, a scalar is depth 0). SQLite's JSON functions refuse more than 1,000 levels, so a
 * deeper value stored there could never be read back; PostgreSQL's parser recurses until
 * its stack limit. 100 is Ruby's JSON default (max_nesting), under serde_json's 128 and far
 * above what job data needs; it is not configurable, since no store may be given more than
 * it can read. Checked without recursion, so any depth is refused cheaply.
 *
 * Text: no string (object keys included) may hold NUL (U+0000) or a lone surrogate (half of
 * a UTF-16 pair). PostgreSQL text cannot hold NUL and its client silently turns a lone
 * surrogate into U+FFFD; SQLite would keep both. One rule, so a value means the same on every
 * store: refused with a typed error, never altered. String and key lengths are bounded by
 * the payload's byte cap (maxPayloadBytes), not separately.
 */
export const MAX_JSON_DEPTH = 100;

/**
 * Why `s` cannot be stored as text on every store (a NUL, or a lone surrogate that UTF-8
 * cannot encode), or null when it can. See MAX_JSON_DEPTH for the rule.
 */
export function textProblem(s: string): string | null {
  if (!SUSPECT_CHARS.test(s)) return null;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0) return `contains a NUL character (U+0000) at index ${i}`;
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = s.charCodeAt(i + 1);
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) i++;
      else return `contains a lone surrogate (U+${c.toString(16).toUpperCase()}) at index ${i}, which UTF-8 cannot encode`;
    }
  }
  return null;
}

// NUL is exactly what this looks for.
// eslint-disable-next-line no-control-regex
const SUSPECT_CHARS = /[\u0000\ud800-\udfff]/;

/** Refuses a string that breaks the text rule (textProblem) with a typed error naming the field. */
export function assertText(field: string, value: string, code: 'INVALID_OPTION' | 'INVALID_DATA' = 'INVALID_OPTION'): string {
  const problem = textProblem(value);
  if (problem !== null) throw new ValidationError(code, field, `${field} ${problem}`);
  return value;
}

/** The first `max` UTF-16 units of `s`, without splitting a surrogate pair (a half would be a lone surrogate). */
export function clipText(s: string, max: number): string {
  if (s.length <= max) return s;
  const c = s.charCodeAt(max - 1);
  return s.slice(0, c >= 0xd800 && c <= 0xdbff ? max - 1 : max);
}

/**
 * Serialises a payload, refusing anything JSON would silently change
 * (undefined, functions, NaN, Dates, class instances, cycles, array holes), anything a
 * store could not read back (nesting deeper than MAX_JSON_DEPTH, NUL, lone surrogates),
 * so the handler receives exactly what was enqueued, on every store.
 */
export function serializeJson(field: string, value: unknown, maxBytes: number): string {
  checkJsonValue(field, value);
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

interface Frame {
  node: Record<string | number, unknown>;
  /** Own enumerable keys of an object; null for an array. */
  keys: string[] | null;
  length: number;
  next: number;
  /** Where this container sits in its parent (null for the root). */
  key: string | number | null;
}

/**
 * Walks a value with an explicit stack (no recursion: a value nested 100,000 deep is refused
 * at level MAX_JSON_DEPTH + 1, not by a stack overflow). Throws INVALID_DATA naming the path.
 */
export function checkJsonValue(field: string, root: unknown): void {
  const stack: Frame[] = [];
  visitJson(field, stack, root, null);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (top.next === top.length) {
      stack.pop();
      continue;
    }
    const i = top.next++;
    if (top.keys === null) {
      // A hole would become null in JSON: refused like undefined.
      visitJson(field, stack, i in top.node ? top.node[i] : undefined, i);
    } else {
      const k = top.keys[i]!;
      visitJson(field, stack, top.node[k], k);
    }
  }
}

/** Checks one value; a container is pushed on `stack` for the loop above to walk. */
function visitJson(field: string, stack: Frame[], value: unknown, key: string | number | null): void {
  switch (typeof value) {
    case 'string': {
      const problem = textProblem(value);
      if (problem !== null) failAt(field, stack, key, problem);
      return;
    }
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(value)) failAt(field, stack, key, `is ${value}, which JSON cannot represent`);
      return;
    case 'object': {
      if (value === null) return;
      // The open containers are the ancestors (at most MAX_JSON_DEPTH of them): a cheaper cycle check than a Set.
      for (let d = 0; d < stack.length; d++) if (stack[d]!.node === value) failAt(field, stack, key, 'contains a cycle');
      const isArray = Array.isArray(value);
      if (!isArray) {
        const proto = Object.getPrototypeOf(value) as unknown;
        if (proto !== Object.prototype && proto !== null) {
          failAt(field, stack, key, `is a ${(value as { constructor?: { name?: string } }).constructor?.name ?? 'non-plain object'}; only plain objects, arrays and primitives are allowed`);
        }
      }
      if (stack.length >= MAX_JSON_DEPTH) failAt(field, stack, key, `is nested more than ${MAX_JSON_DEPTH} levels deep (arrays and objects inside each other); the limit is ${MAX_JSON_DEPTH}`);
      const keys = isArray ? null : Object.keys(value);
      if (keys !== null) {
        for (const k of keys) {
          const problem = textProblem(k);
          if (problem !== null) failAt(field, stack, key, `has a key that ${problem}`);
        }
      }
      stack.push({ node: value as Record<string | number, unknown>, keys, length: keys === null ? (value as unknown[]).length : keys.length, next: 0, key });
      return;
    }
    default:
      failAt(field, stack, key, `is ${typeof value}, which JSON cannot represent`);
  }
}

function failAt(field: string, stack: Frame[], key: string | number | null, what: string): never {
  const path = pathOf(field, stack, key);
  throw new ValidationError('INVALID_DATA', field, `${path} ${what}`, { path });
}

const MAX_PATH_CHARS = 300;

function pathOf(field: string, stack: Frame[], key: string | number | null): string {
  let path = field;
  const segment = (k: string | number | null): string => (k === null ? '' : typeof k === 'number' ? `[${k}]` : `.${k.length > 40 ? `${k.slice(0, 40)}…` : k}`);
  for (let i = 1; i < stack.length; i++) path += segment(stack[i]!.key);
  path += segment(key);
  return path.length > MAX_PATH_CHARS ? `${path.slice(0, MAX_PATH_CHARS / 2)}…${path.slice(-MAX_PATH_CHARS / 2)}` : path;
}

/**
 * Checks JSON text as a store receives it (job data, a handler's result): exactly one JSON
 * value, nested at most MAX_JSON_DEPTH deep, no NUL and no lone surrogate in any string,
 * whether written raw or as a `\\u` escape. One linear pass, no recursion, no allocation.
 * Throws INVALID_DATA naming the field.
 */
export function checkJsonText(field: string, text: string): void {
  const problem = jsonTextProblem(text);
  if (problem !== null) throw new ValidationError('INVALID_DATA', field, `${field} ${problem}`);
}

const enum Next {
  Value,
  /** After `[`: a value or `]`. */
  FirstItem,
  /** After `{`: a key or `}`. */
  FirstKey,
  Key,
  /** After a complete value: `,` / a closing bracket, or the end. */
  After,
}

/** Why `text` is not storable JSON, or null. */
export function jsonTextProblem(text: string): string | null {
  // The closing character each open container expects: 0x5d `]` for an array, 0x7d `}` for an object.
  const containers: number[] = [];
  const n = text.length;
  let i = 0;
  let next = Next.Value;
  for (;;) {
    while (i < n && isJsonSpace(text.charCodeAt(i))) i++;
    if (i === n) return next === Next.After && containers.length === 0 ? null : syntax('unexpected end', i);
    const c = text.charCodeAt(i);
    switch (next) {
      case Next.FirstItem:
        if (c === 0x5d) {
          containers.pop();
          i++;
          next = Next.After;
        } else {
          next = Next.Value;
        }
        continue;
      case Next.Value: {
        if (c === 0x5b || c === 0x7b) {
          if (containers.length >= MAX_JSON_DEPTH) return `is nested more than ${MAX_JSON_DEPTH} levels deep (arrays and objects inside each other); the limit is ${MAX_JSON_DEPTH}`;
          containers.push(c + 2);
          i++;
          next = c === 0x5b ? Next.FirstItem : Next.FirstKey;
          continue;
        }
        const end = c === 0x22 ? scanString(text, i) : scanScalar(text, i);
        if (end < 0) return scanError;
        i = end;
        next = Next.After;
        continue;
      }
      case Next.FirstKey:
        if (c === 0x7d) {
          containers.pop();
          i++;
          next = Next.After;
        } else {
          next = Next.Key;
        }
        continue;
      case Next.Key: {
        if (c !== 0x22) return syntax('expected a string key', i);
        const end = scanString(text, i);
        if (end < 0) return scanError.startsWith('contains') ? `has a key that ${scanError}` : scanError;
        i = end;
        while (i < n && isJsonSpace(text.charCodeAt(i))) i++;
        if (text.charCodeAt(i) !== 0x3a) return syntax("expected ':'", i);
        i++;
        next = Next.Value;
        continue;
      }
      case Next.After: {
        const open = containers[containers.length - 1];
        if (open === undefined) return syntax('unexpected text after the value', i);
        if (c === 0x2c) {
          i++;
          next = open === 0x5d ? Next.Value : Next.Key;
        } else if (c === open) {
          containers.pop();
          i++;
        } else {
          return syntax(`expected ',' or '${String.fromCharCode(open)}'`, i);
        }
        continue;
      }
    }
  }
}

function syntax(what: string, at: number): string {
  return `is not valid JSON: ${what} at position ${at}`;
}

function isJsonSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** What the last scan that returned -1 found wrong (the scanners return positions only, to stay monomorphic). */
let scanError = '';

function scanFailed(message: string): number {
  scanError = message;
  return -1;
}

/** Position after the string starting at `start` (a `"`), or -1 (see scanError). */
function scanString(text: string, start: number): number {
  const n = text.length;
  for (let i = start + 1; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) return i + 1;
    if (c >= 0x20 && c < 0xd800 && c !== 0x5c) continue;
    if (c === 0x5c) {
      const e = text.charCodeAt(i + 1);
      if (e !== 0x75) {
        // \" \\ \/ \b \f \n \r \t
        if (e !== 0x22 && e !== 0x5c && e !== 0x2f && e !== 0x62 && e !== 0x66 && e !== 0x6e && e !== 0x72 && e !== 0x74) return scanFailed(syntax('a bad escape', i));
        i++;
        continue;
      }
      const u = hex4(text, i + 2);
      if (u < 0) return scanFailed(syntax('a bad \\u escape', i));
      if (u === 0) return scanFailed(`contains a NUL character (\\u0000) at position ${i}`);
      if (u >= 0xd800 && u <= 0xdfff) {
        const low = u <= 0xdbff && text.charCodeAt(i + 6) === 0x5c && text.charCodeAt(i + 7) === 0x75 ? hex4(text, i + 8) : -1;
        if (low < 0xdc00 || low > 0xdfff) return scanFailed(`contains a lone surrogate (\\u${u.toString(16)}) at position ${i}, which UTF-8 cannot encode`);
        i += 6;
      }
      i += 5;
      continue;
    }
    if (c < 0x20) return scanFailed(c === 0 ? `contains a NUL character (U+0000) at position ${i}` : syntax('a control character in a string', i));
    if (c >= 0xd800 && c <= 0xdfff) {
      const low = text.charCodeAt(i + 1);
      if (c > 0xdbff || !(low >= 0xdc00 && low <= 0xdfff)) return scanFailed(`contains a lone surrogate (U+${c.toString(16).toUpperCase()}) at position ${i}, which UTF-8 cannot encode`);
      i++;
    }
  }
  return scanFailed(syntax('an unterminated string', start));
}

function hex4(text: string, at: number): number {
  let v = 0;
  for (let k = at; k < at + 4; k++) {
    const c = text.charCodeAt(k);
    const d = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

/** Position after the number or literal at `start`, or -1 (see scanError). */
function scanScalar(text: string, start: number): number {
  const c = text.charCodeAt(start);
  if (c === 0x74) return text.startsWith('true', start) ? start + 4 : scanFailed(syntax('expected a value', start));
  if (c === 0x66) return text.startsWith('false', start) ? start + 5 : scanFailed(syntax('expected a value', start));
  if (c === 0x6e) return text.startsWith('null', start) ? start + 4 : scanFailed(syntax('expected a value', start));
  let i = start;
  if (c === 0x2d) i++;
  const first = text.charCodeAt(i);
  if (first === 0x30) i++;
  else if (first >= 0x31 && first <= 0x39) while (isDigit(text.charCodeAt(++i)));
  else return scanFailed(syntax('expected a value', start));
  if (text.charCodeAt(i) === 0x2e) {
    if (!isDigit(text.charCodeAt(++i))) return scanFailed(syntax('a bad number', start));
    while (isDigit(text.charCodeAt(++i)));
  }
  const e = text.charCodeAt(i);
  if (e === 0x65 || e === 0x45) {
    const sign = text.charCodeAt(++i);
    if (sign === 0x2b || sign === 0x2d) i++;
    if (!isDigit(text.charCodeAt(i))) return scanFailed(syntax('a bad number', start));
    while (isDigit(text.charCodeAt(++i)));
  }
  return i;
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
