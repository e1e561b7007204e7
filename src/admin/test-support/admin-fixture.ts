import type { Docket, DocketOptions } from '../../docket.js';
import { createTestDocket } from '../../testing/index.js';
import { createAdminApp, type AdminApp, type AdminAppOptions } from '../api/app.js';

export const ADMIN_KEY = 'admin-key-0123456789abcdef';
export const READ_KEY = 'read-key-0123456789abcdef';

export interface Fixture {
  docket: Docket;
  app: AdminApp;
  call(method: string, path: string, init?: CallInit): Promise<Reply>;
  close(): Promise<void>;
}

export interface CallInit {
  /** Defaults to the admin key; `null` sends none. */
  key?: string | null;
  /** Sent as JSON unless a string. */
  body?: unknown;
  headers?: Record<string, string>;
}

export interface Reply {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON
  body: any;
  text: string;
}

/** A Docket on in-memory SQLite (not started) with an admin app holding one admin and one read key. */
export function adminFixture(options: { docket?: Partial<DocketOptions>; app?: Partial<AdminAppOptions> } = {}): Fixture {
  return adminFixtureOn(createTestDocket(options.docket), options.app);
}

/** The same, on a Docket the caller made; close() closes it too unless `ownsDocket` is false. */
export function adminFixtureOn(docket: Docket, appOptions: Partial<AdminAppOptions> = {}, ownsDocket = true): Fixture {
  const app = createAdminApp({ docket, keys: { admin: [ADMIN_KEY], read: [READ_KEY] }, logger: false, ...appOptions });
  return {
    docket,
    app,
    async call(method, path, init = {}) {
      const headers: Record<string, string> = { ...init.headers };
      const key = init.key === undefined ? ADMIN_KEY : init.key;
      if (key !== null) headers['x-api-key'] = key;
      let body: string | undefined;
      if (init.body !== undefined) {
        body = typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
        headers['content-type'] ??= 'application/json';
      }
      const res = await app.request(path, { method, headers, ...(body === undefined ? {} : { body }) });
      const text = await res.text();
      let parsed: unknown;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        parsed = null;
      }
      return { status: res.status, headers: res.headers, body: parsed, text };
    },
    async close() {
      app.close();
      if (ownsDocket) await docket.close({ graceMs: 0 });
    },
  };
}

/** Resolves with the first event of that name the Docket emits. */
export function nextEvent<T>(docket: Docket, event: Parameters<Docket['once']>[0]): Promise<T> {
  return new Promise((resolve) => docket.once(event, ((e: T) => resolve(e)) as never));
}
