import type { MiddlewareHandler } from 'hono';
import { HttpProblem } from '../kit/problem.js';

/**
 * Refuses a JSON request body that is not valid UTF-8 (400 INVALID_REQUEST), before
 * the route's validator reads it. `Request.json()` decodes with replacement, so bytes
 * such as 0xC3 0x28 would otherwise reach the job as U+FFFD: input is refused, never
 * altered (issue 11). The bytes are read once through Hono's body cache, so the
 * validator's own read costs no second trip over the socket. Non-JSON bodies are left
 * to the validator (415).
 */
export const requireUtf8Body: MiddlewareHandler = async (c, next) => {
  if (/json/i.test(c.req.header('content-type') ?? '')) {
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    const at = invalidUtf8At(bytes);
    if (at >= 0) throw new HttpProblem('INVALID_REQUEST', `the request body is not valid UTF-8 (at byte ${at})`, { field: 'body', details: { byteOffset: at } });
  }
  await next();
};

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true });

/** -1 when `bytes` are valid UTF-8, else the offset of the first invalid sequence. */
export function invalidUtf8At(bytes: Uint8Array): number {
  try {
    fatalUtf8.decode(bytes);
    return -1;
  } catch {
    // Rare path: locate the first bad sequence for the message.
    return firstInvalidUtf8(bytes);
  }
}

function firstInvalidUtf8(b: Uint8Array): number {
  for (let i = 0; i < b.length; ) {
    const c = b[i]!;
    const need = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    if (need < 0) return i;
    // Second-byte ranges that exclude overlongs, surrogates and code points above U+10FFFF.
    const lo = c === 0xe0 ? 0xa0 : c === 0xf0 ? 0x90 : 0x80;
    const hi = c === 0xed ? 0x9f : c === 0xf4 ? 0x8f : 0xbf;
    for (let k = 1; k <= need; k++) {
      const d = b[i + k];
      if (d === undefined || d < (k === 1 ? lo : 0x80) || d > (k === 1 ? hi : 0xbf)) return i;
    }
    i += need + 1;
  }
  return b.length;
}
