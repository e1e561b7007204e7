import { describe, expect, it } from 'vitest';
import { ValidationError } from './errors.js';
import { assertName, serializeJson } from './validate.js';

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
