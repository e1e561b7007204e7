import type { Docket, DocketOptions } from '../../docket.js';
import { createAdminApp, type AdminApp, type AdminAppOptions } from '../api/app.js';
import type { ApiKeys } from '../kit/auth.js';
import { createTestDocket } from '../../testing/index.js';

export const ADMIN_KEY = 'admin-key-0123456789abcdef';
export const READ_KEY = 'read-key-0123456789abcdef';
/** app.request() resolves paths against this origin. */
export const ORIGIN = 'http://localhost';

export interface Page {
  status: number;
  headers: Headers;
  text: string;
}

export interface DashFixture {
  docket: Docket;
  app: AdminApp;
  /** Logs in with a key; returns the Cookie header value. */
  login(key: string): Promise<string>;
  get(path: string, cookie?: string | null, headers?: Record<string, string>): Promise<Page>;
  /** A form POST, as a same-origin browser page sends it unless `headers` say otherwise. */
  post(path: string, form: Record<string, string>, cookie?: string | null, headers?: Record<string, string | null>): Promise<Page>;
  close(): Promise<void>;
}

/** A Docket on in-memory SQLite (migrated, not started) and an admin app with one admin and one read key (or none). */
export async function dashFixture(options: { keys?: ApiKeys; docket?: Partial<DocketOptions>; app?: Partial<AdminAppOptions> } = {}): Promise<DashFixture> {
  const docket = createTestDocket(options.docket);
  const app = createAdminApp({ docket, keys: options.keys ?? { admin: [ADMIN_KEY], read: [READ_KEY] }, logger: false, ...options.app });
  const send = async (path: string, init: RequestInit): Promise<Page> => {
    const res = await app.request(path, init);
    return { status: res.status, headers: res.headers, text: await res.text() };
  };
  await docket.store.migrate();
  const fixture: DashFixture = {
    docket,
    app,
    async login(key) {
      const r = await fixture.post('/login', { key, next: '/' });
      const cookie = r.headers.get('set-cookie');
      if (r.status !== 303 || !cookie) throw new Error(`login failed: ${r.status} ${r.text.slice(0, 200)}`);
      return cookie.split(';')[0]!;
    },
    get(path, cookie, headers = {}) {
      return send(path, { headers: { ...headers, ...(cookie ? { cookie } : {}) } });
    },
    post(path, form, cookie, headers = {}) {
      const h: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', origin: ORIGIN, 'sec-fetch-site': 'same-origin' };
      for (const [k, v] of Object.entries(headers)) {
        if (v === null) delete h[k];
        else h[k] = v;
      }
      if (cookie) h.cookie = cookie;
      return send(path, { method: 'POST', headers: h, body: new URLSearchParams(form).toString() });
    },
    async close() {
      app.close();
      await docket.close({ graceMs: 0 });
    },
  };
  return fixture;
}
