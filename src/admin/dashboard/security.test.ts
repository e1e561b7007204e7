import { Hono } from 'hono';
import { describe, expect, test } from 'vitest';
import { localPath } from './context.js';
import { sameOriginProblem } from './security.js';

async function check(headers: Record<string, string>, url = 'http://127.0.0.1:7070/jobs/1/cancel'): Promise<string | null> {
  const app = new Hono();
  let result: string | null = 'not run';
  app.post('*', (c) => {
    result = sameOriginProblem(c);
    return c.text('ok');
  });
  await app.request(url, { method: 'POST', headers });
  return result;
}

describe('sameOriginProblem', () => {
  test('Sec-Fetch-Site decides when present: only same-origin passes', async () => {
    expect(await check({ 'sec-fetch-site': 'same-origin' })).toBeNull();
    for (const site of ['same-site', 'cross-site', 'none']) expect(await check({ 'sec-fetch-site': site, origin: 'http://127.0.0.1:7070' })).toMatch(/Sec-Fetch-Site/);
  });

  test('else Origin must equal the request origin (scheme, host and port)', async () => {
    expect(await check({ origin: 'http://127.0.0.1:7070', host: '127.0.0.1:7070' })).toBeNull();
    expect(await check({ origin: 'http://127.0.0.1:7071', host: '127.0.0.1:7070' })).toMatch(/Origin/);
    expect(await check({ origin: 'https://127.0.0.1:7070', host: '127.0.0.1:7070' })).toMatch(/Origin/);
    expect(await check({ origin: 'null', host: '127.0.0.1:7070' })).toMatch(/Origin/);
    // behind a TLS-terminating proxy
    expect(await check({ origin: 'https://docket.example', host: 'docket.example', 'x-forwarded-proto': 'https' })).toBeNull();
  });

  test('a request with neither header is refused', async () => {
    expect(await check({})).toMatch(/neither/);
  });
});

describe('localPath', () => {
  test('keeps same-origin paths and refuses everything that could leave the origin', () => {
    expect(localPath('/jobs?state=failed')).toBe('/jobs?state=failed');
    expect(localPath('/')).toBe('/');
    for (const bad of ['//evil.example', '/\\evil.example', 'https://evil.example', 'jobs', '', '/a b', 42, undefined, `/${'a'.repeat(3000)}`]) {
      expect(localPath(bad, '/fallback')).toBe('/fallback');
    }
  });
});
