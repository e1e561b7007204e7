/**
 * A local site that hangs until the client goes away: a slow company website
 * to cancel a scrape on. (Starting the example: ../test-support/spawn-example.ts.)
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A website whose pages never answer; records each request and whether the client aborted it. */
export async function hangingSite(): Promise<{ url: string; requests: Array<{ path: string; aborted: boolean }>; close(): Promise<void> }> {
  const requests: Array<{ path: string; aborted: boolean }> = [];
  const server: Server = createServer((req, res) => {
    const entry = { path: req.url ?? '', aborted: false };
    requests.push(entry);
    res.on('close', () => {
      if (!res.writableEnded) entry.aborted = true;
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    },
  };
}
