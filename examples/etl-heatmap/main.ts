// `npm run example:etl-heatmap`: the ETL and heatmap schedules and POST /admin/run-jobs.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createEtlApp } from './app.js';
import { loadConfig } from './config.js';

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (error) {
  console.error((error as Error).message);
  process.exit(2);
}
const firstRun = !existsSync(config.dataDir);
const app = createEtlApp(config);
if (firstRun) {
  // Something to see on the first run: three readings of 10 in Pune today, so the heatmap's sum is 30.
  const today = new Date().toISOString().slice(0, 10);
  const rows = [`${today}T06:00:00Z,18.5204,73.8567,10`, `${today}T07:30:00Z,18.5314,73.8446,10`, `${today}T09:15:00Z,18.5089,73.9260,10`];
  writeFileSync(join(app.warehouse.incoming, `sample-${today}.csv`), `ts,lat,lon,value\n${rows.join('\n')}\n`);
}
await app.start();
const server = serve({ fetch: app.http.fetch, hostname: config.host, port: config.port }, (info: AddressInfo) => {
  console.log(
    `etl-heatmap listening on http://${info.address}:${info.port} (ETL every ${config.etlIntervalMinutes} min, heatmap every ${config.heatmapIntervalMinutes} min for levels ${config.heatmapLevels.join(',')}; drop CSV files into ${app.warehouse.incoming}${config.adminApiKey ? '' : '; set ADMIN_API_KEY to enable /admin/run-jobs'})`,
  );
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
