import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino, { type Logger } from 'pino';
import { ValidationError } from '../../core/errors.js';
import { isLoopbackHost } from '../kit/net.js';
import { createAdminApp, type AdminApp, type AdminAppOptions } from './app.js';
import { createAdminListener } from './node-listener.js';

export const DEFAULT_ADMIN_PORT = 7070;
const LOOPBACK_HOST = '127.0.0.1';
const DEFAULT_CLOSE_GRACE_MS = 5_000;

export type ServeAdminOptions = (
  | ({ app: AdminApp; docket?: never; keys?: never } & Partial<Record<Exclude<keyof AdminAppOptions, 'docket' | 'keys' | 'logger'>, never>>)
  | (Omit<AdminAppOptions, 'logger'> & { app?: never })
) & {
  /**
   * Interface to listen on. Default: all interfaces (`0.0.0.0`) when API keys
   * are configured, else `127.0.0.1`. Without keys only a loopback address is
   * accepted; anything else is refused with an INVALID_CONFIG error.
   */
  host?: string;
  /** Default 7070; 0 picks a free port (read it from the result). */
  port?: number;
  logger?: Logger | false;
};

export interface AdminServer {
  readonly app: AdminApp;
  readonly server: Server;
  readonly host: string;
  readonly port: number;
  /** e.g. `http://127.0.0.1:7070`, or `http://127.0.0.1:7070/admin` with a basePath */
  readonly url: string;
  /**
   * Stops accepting connections, ends event streams, waits up to `graceMs`
   * (default 5 s) for requests in flight, then cuts the rest.
   */
  close(options?: { graceMs?: number }): Promise<void>;
}

/**
 * Starts the admin API on a node:http server (through @hono/node-server). Resolves once listening.
 * With a `basePath` the app answers only under it (for a proxy that passes the path on unchanged).
 */
export async function serveAdmin(options: ServeAdminOptions): Promise<AdminServer> {
  const logger = options.logger === false ? null : (options.logger ?? pino({ name: 'docket-http' }, pino.destination(2)));
  if (options.app && options.docket) throw new ValidationError('INVALID_CONFIG', 'app', 'give either app or docket (with keys), not both');
  if (!options.app && !options.docket) throw new ValidationError('INVALID_CONFIG', 'docket', 'give app (from createAdminApp) or docket (with keys)');
  const port = options.port ?? DEFAULT_ADMIN_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new ValidationError('INVALID_CONFIG', 'port', `port must be an integer in [0, 65535] (got ${String(port)})`);

  // decide the bind before building anything, so a refused bind leaves nothing behind
  const authEnabled = options.app ? options.app.authEnabled : hasKeys(options.keys);
  const host = options.host ?? (authEnabled ? '0.0.0.0' : LOOPBACK_HOST);
  if (!authEnabled && !isLoopbackHost(host)) {
    throw new ValidationError(
      'INVALID_CONFIG',
      'host',
      `refusing to listen on ${host} without an API key: configure an admin or read key, or listen on ${LOOPBACK_HOST}`,
      { host },
    );
  }

  const ownsApp = !options.app;
  const app = options.app ?? createAdminApp({ ...(options as AdminAppOptions), logger: options.logger ?? logger ?? false });
  if (!authEnabled) logger?.warn({ host }, `admin API: no API key configured, listening on loopback (${host}) only`);

  const server = await new Promise<Server>((resolve, reject) => {
    const s = createServer(createAdminListener(app));
    s.listen(port, host);
    s.once('listening', () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', (err) => {
      if (ownsApp) app.close();
      reject(err);
    });
  });
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}${app.basePath}`;
  logger?.info({ url, auth: authEnabled }, 'admin API listening');

  let closing: Promise<void> | null = null;
  return {
    app,
    server,
    host,
    port: address.port,
    url,
    close(closeOptions = {}) {
      closing ??= new Promise<void>((resolve) => {
        if (ownsApp) app.close();
        const timer = setTimeout(() => server.closeAllConnections(), closeOptions.graceMs ?? DEFAULT_CLOSE_GRACE_MS);
        timer.unref();
        // a keep-alive connection goes idle only when its last response ends; close it then, not at its keep-alive timeout
        const idle = setInterval(() => server.closeIdleConnections(), 50);
        idle.unref();
        server.close(() => {
          clearTimeout(timer);
          clearInterval(idle);
          resolve();
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}

function hasKeys(keys: AdminAppOptions['keys'] | undefined): boolean {
  return (keys?.admin?.length ?? 0) + (keys?.read?.length ?? 0) > 0;
}
