/**
 * Requests generated from the admin API's own OpenAPI document, for the
 * contract tests: the operations with their declared statuses, and a seeded
 * generator of valid and invalid requests (path and query parameters, bodies,
 * content types, auth headers, methods, unknown paths). Small and
 * dependency-free: a seeded PRNG and a JSON Schema walker that knows the
 * subset of JSON Schema the document uses.
 */

/* eslint-disable @typescript-eslint/no-explicit-any -- the document is arbitrary JSON */
type Schema = any;

export interface DocParam {
  name: string;
  in: 'path' | 'query';
  required: boolean;
  schema: Schema;
}

export interface DocOperation {
  method: string;
  /** The OpenAPI template, `/api/v1/jobs/{id}`. */
  path: string;
  pattern: RegExp;
  scope: 'public' | 'read' | 'admin';
  params: DocParam[];
  query: DocParam[];
  /** The JSON body schema ($refs unresolved), if the operation takes one. */
  body: Schema | null;
  statuses: number[];
}

export function documentOperations(doc: any): DocOperation[] {
  const out: DocOperation[] = [];
  for (const [path, item] of Object.entries<any>(doc.paths)) {
    for (const [method, op] of Object.entries<any>(item)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const parameters: DocParam[] = (op.parameters ?? []).map((p: any) => ({ name: p.name, in: p.in, required: p.required === true, schema: p.schema ?? {} }));
      out.push({
        method,
        path,
        pattern: new RegExp(`^${path.replace(/[.+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`),
        scope: op['x-docket-scope'],
        params: parameters.filter((p) => p.in === 'path'),
        query: parameters.filter((p) => p.in === 'query'),
        body: op.requestBody?.content?.['application/json']?.schema ?? null,
        statuses: Object.keys(op.responses).map(Number).sort((a, b) => a - b),
      });
    }
  }
  return out;
}

/** mulberry32: a small, fast, seeded PRNG (numbers in [0, 1)). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export class Gen {
  constructor(readonly random: () => number) {}
  chance(p: number): boolean {
    return this.random() < p;
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.random() * (max - min + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)]!;
  }
  word(min = 1, max = 12): string {
    const chars = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
    let s = '';
    for (let i = this.int(min, max); i > 0; i--) s += chars[this.int(0, chars.length - 1)];
    return s;
  }
}

/** Strings that break things: NUL, lone surrogates, control characters, markup, very long text, non-ASCII. */
const NASTY_STRINGS = ['', ' ', '\u0000', '\ud800', 'a\udc00b', '../../etc/passwd', '<script>alert(1)</script>', "'; DROP TABLE jobs; --", '%00', '💥'.repeat(20), 'x'.repeat(3_000), 'null', 'NaN', '-1', '1e999', '__proto__', 'constructor'];
const NASTY_VALUES: unknown[] = [null, true, false, 0, -1, 1.5, 2 ** 53, -(2 ** 31), 1e308, '', 'x', [], {}, [null], { a: { b: { c: [] } } }, ...NASTY_STRINGS];

export interface ValueContext {
  components: Record<string, Schema>;
  /** Names and ids that exist (a valid path parameter sometimes names one). */
  known: { ids: string[]; names: string[]; jobs: string[] };
}

function resolve(schema: Schema, ctx: ValueContext): Schema {
  let s = schema ?? {};
  for (let i = 0; s.$ref && i < 10; i++) s = ctx.components[String(s.$ref).replace('#/components/schemas/', '')] ?? {};
  return s;
}

/** A value the schema (probably) accepts. */
export function validValue(g: Gen, schema: Schema, ctx: ValueContext, depth = 0): unknown {
  const s = resolve(schema, ctx);
  if (s.enum) return g.pick(s.enum);
  if (s.const !== undefined) return s.const;
  const alternatives = s.anyOf ?? s.oneOf;
  if (alternatives) return validValue(g, g.pick(alternatives), ctx, depth + 1);
  const type = Array.isArray(s.type) ? g.pick(s.type.filter((t: string) => t !== 'null').length ? s.type.filter((t: string) => t !== 'null') : s.type) : s.type;
  switch (type) {
    case 'null':
      return null;
    case 'boolean':
      return g.chance(0.5);
    case 'integer': {
      const min = s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : 0);
      const max = Math.min(s.maximum ?? 1_000, min + 1_000);
      return g.int(min, max);
    }
    case 'number':
      return g.int(s.minimum ?? 0, 1_000) + g.random();
    case 'string':
      if (s.format === 'date-time') return new Date(Date.UTC(2030, 0, 1) + g.int(0, 1e9)).toISOString();
      if (s.example !== undefined && g.chance(0.5)) return s.example;
      if (s.pattern) return g.chance(0.3) && ctx.known.names.length ? g.pick(ctx.known.names) : g.word(1, Math.min(12, s.maxLength ?? 12));
      return g.word(Math.max(1, s.minLength ?? 1), Math.min(30, s.maxLength ?? 30));
    case 'array':
      return Array.from({ length: g.int(0, 3) }, () => validValue(g, s.items ?? {}, ctx, depth + 1));
    case 'object': {
      if (!s.properties) return depth > 2 ? {} : { [g.word()]: g.pick(NASTY_VALUES) };
      const obj: Record<string, unknown> = {};
      const required = new Set<string>(s.required ?? []);
      for (const [k, v] of Object.entries<Schema>(s.properties)) {
        if (!required.has(k) && !g.chance(0.35)) continue;
        // a body's `name` is usually a defined job, so valid enqueues get past UNKNOWN_JOB
        obj[k] = k === 'name' && ctx.known.jobs.length && g.chance(0.7) ? g.pick(ctx.known.jobs) : validValue(g, v, ctx, depth + 1);
      }
      // `not: { required: [a, b] }`: never both
      const excluded: string[] | undefined = s.not?.required;
      if (excluded && excluded.every((k) => k in obj)) delete obj[excluded[1]!];
      return obj;
    }
    default:
      // unconstrained (job data, results): any JSON
      return g.pick([null, { n: g.int(0, 100) }, [1, 'two', { three: 3 }], g.word(), g.int(-5, 5)]);
  }
}

/** A value the schema probably refuses (or a nasty one it may accept). */
export function invalidValue(g: Gen, schema: Schema, ctx: ValueContext): unknown {
  const s = resolve(schema, ctx);
  if (s.type === 'object' && s.properties && g.chance(0.7)) {
    const obj = validValue(g, s, ctx) as Record<string, unknown>;
    const keys = Object.keys(s.properties);
    switch (g.int(0, 4)) {
      case 0:
        obj[`unknown_${g.word()}`] = 1;
        break;
      case 1:
        for (const k of s.required ?? []) delete obj[k];
        break;
      case 2:
        if (s.not?.required) for (const k of s.not.required) obj[k] = validValue(g, s.properties[k], ctx);
        break;
      default: {
        const k = g.pick(keys);
        obj[k] = g.chance(0.5) ? g.pick(NASTY_VALUES) : invalidValue(g, s.properties[k], ctx);
      }
    }
    return obj;
  }
  if ((s.type === 'integer' || s.type === 'number') && g.chance(0.6)) return g.pick([(s.minimum ?? 0) - 1, (s.maximum ?? 1e6) + 1, 1.5, '7', -0, Number.POSITIVE_INFINITY]);
  if (g.chance(0.1)) return deepJson(g.int(50, 200));
  return g.pick(NASTY_VALUES);
}

/** JSON nested `depth` arrays deep. */
function deepJson(depth: number): unknown {
  let v: unknown = 0;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

/** A path or query parameter value as text: valid, or not. */
export function paramText(g: Gen, p: DocParam, ctx: ValueContext, valid: boolean): string {
  if (valid) {
    if (p.in === 'path' && p.name === 'id' && ctx.known.ids.length && g.chance(0.6)) return g.pick(ctx.known.ids);
    if (p.in === 'path' && ctx.known.names.length && g.chance(0.6)) return g.pick(ctx.known.names);
    const v = validValue(g, p.schema, ctx);
    return typeof v === 'string' ? v : JSON.stringify(v);
  }
  return g.pick(['null', '', '-1', '1e2', '0x10', ' 5', 'true', 'a b', '%', '..', '💥', 'x'.repeat(300), '\u0000', '[]', '{}', String(2 ** 60)]);
}

export interface GeneratedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
  /** The operation the request was generated for (null: a random method or an unknown path). */
  op: DocOperation | null;
  kind: string;
}

export interface Keys {
  admin: string;
  read: string;
}

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'PROPFIND', 'LOCK', 'FOO', 'get'];

function authHeaders(g: Gen, keys: Keys, op: DocOperation | null): Record<string, string> {
  const roll = g.random();
  if (roll < 0.6) return op?.scope === 'read' && g.chance(0.5) ? { 'x-api-key': keys.read } : { 'x-api-key': keys.admin };
  if (roll < 0.7) return { authorization: `Bearer ${g.pick([keys.admin, keys.read])}` };
  if (roll < 0.78) return {};
  if (roll < 0.86) return { 'x-api-key': g.pick(['wrong-key-0123456789', '', ' ', 'short', keys.admin.toUpperCase()]) };
  if (roll < 0.93) return { 'x-api-key': keys.read, authorization: `Bearer ${keys.admin}` };
  return { 'x-api-key': keys.admin, authorization: g.pick([`Bearer ${keys.admin}`, 'Basic dXNlcjpwdw==', 'Bearer', 'garbage']) };
}

/** One request: usually for an operation of the document (valid or not), sometimes another method or an unknown path. */
export function generateRequest(g: Gen, ops: DocOperation[], ctx: ValueContext, keys: Keys): GeneratedRequest {
  const roll = g.random();
  if (roll < 0.08) {
    // an unknown path
    const path = g.pick(['/api/v1/', '/api/v2/', '/api/v1/jobs/1/', '/zz-', '/api/v1/jobs/1/2/']) + g.word();
    return { method: g.pick(METHODS), path, headers: authHeaders(g, keys, null), op: null, kind: 'unknown path' };
  }
  const op = g.pick(ops);
  const validParams = g.chance(0.8);
  let path = op.path;
  for (const p of op.params) path = path.replace(`{${p.name}}`, encodeURIComponent(paramText(g, p, ctx, validParams || g.chance(0.5))));
  if (roll < 0.18) return { method: g.pick(METHODS), path, headers: authHeaders(g, keys, op), op: null, kind: 'random method' };

  const query = new URLSearchParams();
  for (const p of op.query) {
    if (!g.chance(0.4)) continue;
    query.append(p.name, paramText(g, p, ctx, g.chance(0.7)));
    if (g.chance(0.05)) query.append(p.name, paramText(g, p, ctx, true));
  }
  if (g.chance(0.08)) query.append(g.pick(['bogus', 'stat', 'limit_', 'Limit', '']), g.word());
  const qs = query.toString();
  const headers = authHeaders(g, keys, op);
  const req: GeneratedRequest = { method: op.method.toUpperCase(), path: qs ? `${path}?${qs}` : path, headers, op, kind: 'operation' };
  if (op.body || g.chance(0.05)) {
    const schema = op.body ?? { type: 'object' };
    const b = g.random();
    if (b < 0.55) req.body = JSON.stringify(validValue(g, schema, ctx));
    else if (b < 0.8) req.body = JSON.stringify(invalidValue(g, schema, ctx));
    else if (b < 0.82) {
      // nesting far past the documented limit, as text (JSON.stringify of it would overflow this stack)
      const n = g.int(101, 100_000);
      req.body = `{"name":"echo","data":${'['.repeat(n)}0${']'.repeat(n)}}`;
    } else if (b < 0.85) req.body = g.pick(['{', '{"name":', '[1,2', 'nul', '"\\ud800"', '{"name":"echo"}}', '\u0000', '']);
    else if (b < 0.9) req.body = Uint8Array.from([0x7b, 0x22, 0x6e, 0x61, 0x6d, 0x65, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]); // {"name":"\xC3(" }
    else if (b < 0.95) req.body = JSON.stringify({ name: 'echo', data: 'x'.repeat(g.int(3_000, 9_000)) });
    else req.body = JSON.stringify(validValue(g, schema, ctx));
    const ct = g.random();
    headers['content-type'] = ct < 0.85 ? 'application/json' : ct < 0.9 ? 'application/json; charset=utf-8' : g.pick(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonx', '']);
    if (headers['content-type'] === '') delete headers['content-type'];
  }
  return req;
}
