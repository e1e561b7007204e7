import { describe, expect, it } from 'vitest';
import { ValidationError } from './errors.js';
import { assertName, assertText, checkJsonText, MAX_JSON_DEPTH, serializeJson, textProblem } from './validate.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return (e as ValidationError).code;
  }
  return undefined;
}

describe('assertName', () => {
  it('accepts the documented alphabet', () => {
    for (const n of ['a', 'send-email', 'etl.v2:daily_run', 'A'.repeat(128)]) expect(assertName('name', n)).toBe(n);
  });
  it('rejects the rest with INVALID_NAME and names the field', () => {
    for (const n of ['', '-lead', 'has space', 'ü', 'A'.repeat(129), 42, null]) expect(codeOf(() => assertName('queue', n))).toBe('INVALID_NAME');
    try {
      assertName('options.queue', 'bad name');
    } catch (e) {
      expect((e as ValidationError).field).toBe('options.queue');
    }
  });
});

describe('serializeJson', () => {
  it('serialises plain JSON', () => {
    expect(serializeJson('data', { a: [1, 'x', null, true], b: { c: 1.5 } }, 1_000)).toBe('{"a":[1,"x",null,true],"b":{"c":1.5}}');
  });
  it.each([
    ['undefined', undefined],
    ['a function', { f: () => 1 }],
    ['NaN', { n: NaN }],
    ['Infinity', [Infinity]],
    ['a Date', { when: new Date() }],
    ['a Map', new Map()],
    ['a bigint', { n: 1n }],
    ['an undefined property', { u: undefined }],
  ])('rejects %s with INVALID_DATA', (_label, value) => {
    expect(codeOf(() => serializeJson('data', value, 1_000))).toBe('INVALID_DATA');
  });
  it('rejects cycles', () => {
    const a: Record<string, unknown> = {};
    a.self = a;
    expect(codeOf(() => serializeJson('data', a, 1_000))).toBe('INVALID_DATA');
  });
  it('allows the same object twice when it is not a cycle', () => {
    const shared = { x: 1 };
    expect(serializeJson('data', [shared, shared], 1_000)).toBe('[{"x":1},{"x":1}]');
  });
  it('caps the size in UTF-8 bytes', () => {
    expect(codeOf(() => serializeJson('data', 'é'.repeat(600), 1_000))).toBe('PAYLOAD_TOO_LARGE');
    expect(serializeJson('data', 'é'.repeat(400), 1_000)).toHaveLength(402);
  });
});

/** A value nested `depth` arrays deep: [[[ … ]]]. Built without recursion. */
function nested(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

function errorOf(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return e as ValidationError;
  }
  throw new Error('expected a ValidationError');
}

describe('payload nesting limit (issue 11, findings 1 and 2)', () => {
  it(`accepts ${MAX_JSON_DEPTH} levels, refuses one more with INVALID_DATA naming the path`, () => {
    expect(serializeJson('data', nested(MAX_JSON_DEPTH), 1e6)).toBe(`${'['.repeat(MAX_JSON_DEPTH)}1${']'.repeat(MAX_JSON_DEPTH)}`);
    const e = errorOf(() => serializeJson('data', { a: nested(MAX_JSON_DEPTH) }, 1e6));
    expect(e.code).toBe('INVALID_DATA');
    expect(e.field).toBe('data');
    expect(e.details.path).toMatch(/^data\.a(\[0\])+…(\[0\])+$/); // long paths are clipped in the middle
    expect(e.message).toMatch(/nested more than 100 levels deep/);
  });
  it.each([1_001, 1_800, 100_000])('refuses %i levels without a stack overflow', (depth) => {
    expect(errorOf(() => serializeJson('data', nested(depth), 1e9)).code).toBe('INVALID_DATA');
    const objects = JSON.parse(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`) as unknown;
    expect(errorOf(() => serializeJson('data', objects, 1e9)).code).toBe('INVALID_DATA');
  });
  it('still refuses cycles, holes and class instances deep inside', () => {
    const a: Record<string, unknown> = { list: [1, { x: 2 }] };
    (a.list as unknown[]).push(a);
    expect(errorOf(() => serializeJson('data', a, 1e6)).message).toBe('data.list[2] contains a cycle');
    // eslint-disable-next-line no-sparse-arrays
    expect(errorOf(() => serializeJson('data', { h: [1, , 3] }, 1e6)).details.path).toBe('data.h[1]');
    expect(errorOf(() => serializeJson('data', { d: [{ when: new Date(0) }] }, 1e6)).details.path).toBe('data.d[0].when');
  });
});

describe('the text rule: no NUL, no lone surrogate (issue 11, finding 4)', () => {
  it('textProblem finds NUL and lone surrogates, accepts pairs', () => {
    expect(textProblem('plain é 😀')).toBeNull();
    expect(textProblem('a\u0000b')).toMatch(/NUL/);
    expect(textProblem('\ud83d')).toMatch(/lone surrogate \(U\+D83D\)/);
    expect(textProblem('x\ude00')).toMatch(/lone surrogate/);
    expect(textProblem('\ude00\ud83d')).toMatch(/lone surrogate/);
  });
  it('refuses them in data strings and keys with INVALID_DATA naming the path, never altered', () => {
    expect(errorOf(() => serializeJson('data', { to: ['ok', 'a\u0000'] }, 1e6)).details.path).toBe('data.to[1]');
    expect(errorOf(() => serializeJson('data', { ['k\ud800']: 1 }, 1e6)).message).toMatch(/^data has a key that contains a lone surrogate/);
    expect(serializeJson('data', { s: '😀' }, 1e6)).toBe('{"s":"😀"}');
  });
  it('assertText gives the requested code and field', () => {
    const e = errorOf(() => assertText('options.idempotencyKey', 'k\u0000'));
    expect([e.code, e.field]).toEqual(['INVALID_OPTION', 'options.idempotencyKey']);
    expect(assertText('x', 'fine')).toBe('fine');
  });
});

describe('checkJsonText (what a store accepts as data or result text)', () => {
  const ok = ['null', '0', '-1.5e+3', '"text"', 'false', '[]', '{}', ' { "a" : [1, {"b": null}, "\\ud83d\\ude00 \\n"] } ', '"😀"', `${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}`];
  it.each(ok)('accepts %s', (text) => {
    expect(() => checkJsonText('data', text)).not.toThrow();
    expect(() => JSON.parse(text) as unknown).not.toThrow();
  });
  const bad: Array<[string, string, RegExp]> = [
    ['one level too deep', `${'['.repeat(MAX_JSON_DEPTH + 1)}${']'.repeat(MAX_JSON_DEPTH + 1)}`, /nested more than 100/],
    ['1,001 deep objects', `${'{"a":'.repeat(1_001)}1${'}'.repeat(1_001)}`, /nested more than 100/],
    ['100,000 deep', `${'['.repeat(100_000)}${']'.repeat(100_000)}`, /nested more than 100/],
    ['an escaped NUL', '{"a":"x\\u0000"}', /NUL/],
    ['an escaped NUL in a key', '{"\\u0000":1}', /key that contains a NUL/],
    ['an escaped lone high surrogate', '["\\ud83d"]', /lone surrogate/],
    ['an escaped lone low surrogate', '"\\ude00x"', /lone surrogate/],
    ['a raw lone surrogate', '"\ud83d"', /lone surrogate/],
    ['two values', '1 2', /not valid JSON/],
    ['a truncated value', '{"a":', /not valid JSON/],
    ['an unclosed array', '[1,2', /not valid JSON/],
    ['a trailing comma', '[1,]', /not valid JSON/],
    ['a mismatched bracket', '[1}', /not valid JSON/],
    ['a bad literal', 'nul', /not valid JSON/],
    ['a bad number', '01', /not valid JSON/],
    ['a bad escape', '"\\x"', /not valid JSON/],
    ['a raw control character', '"a\nb"', /not valid JSON/],
    ['an empty text', '', /not valid JSON/],
  ];
  it.each(bad)('refuses %s with INVALID_DATA', (_label, text, message) => {
    const e = errorOf(() => checkJsonText('jobs[0].dataJson', text));
    expect([e.code, e.field]).toEqual(['INVALID_DATA', 'jobs[0].dataJson']);
    expect(e.message).toMatch(message);
  });
  it('agrees with JSON.parse on what is JSON', () => {
    for (const [, text] of bad.filter(([, , m]) => String(m).includes('valid'))) expect(() => JSON.parse(text) as unknown).toThrow();
  });
});
