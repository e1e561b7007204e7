// `npm run example:precompute-cache`: the precompute job, its daily schedule and the HTTP endpoints.
import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { createPrecomputeApp } from './app.js';
import { loadConfig } from './config.js';

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (error) {
  console.error((error as Error).message);
  process.exit(2);
}
const app = createPrecomputeApp(config);
await app.start();
const server = serve({ fetch: app.http.fetch, hostname: config.host, port: config.port }, (info: AddressInfo) => {
  // The test (and you) read the address from this line.
  console.log(`precompute-cache listening on http://${info.address}:${info.port} (cache: ${app.cache.kind}, ${config.cityPrecompute}, ${config.precomputeDays} days, daily at ${config.precomputeTime} IST${config.schedEnabled ? '' : ', scheduling disabled'})`);
});

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    if (stopping) return;
    stopping = true;
    server.close();
    void app.close().then(() => process.exit(0));
  });
}
