// `npm run example:crm-import`: the one-off import (once, ever), the daily monitoring job, the jobs API.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createCrmApp } from './app.js';
import { loadConfig } from './config.js';
import { startStandInSite, type StandInSite } from './stand-in-site.js';
import { generateWorkbook } from './workbook.js';

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (error) {
  console.error((error as Error).message);
  process.exit(2);
}
mkdirSync(config.dataDir, { recursive: true });
if (!existsSync(config.crmXlsx)) {
  const made = await generateWorkbook(config.crmXlsx, { rows: Number(process.env.CRM_SAMPLE_ROWS ?? 2_000) });
  console.log(`generated ${config.crmXlsx}: ${made.rows} rows (${made.duplicates} duplicates, ${made.invalid} without email or phone)`);
}
// Without MOFA_URL, monitor a local stand-in page whose entries come from DATA_DIR/embassies.json.
let site: StandInSite | null = null;
if (!config.mofaUrl) site = await startStandInSite({ file: join(config.dataDir, 'embassies.json') });
const app = createCrmApp({ ...config, mofaUrl: config.mofaUrl ?? site!.url });
await app.start();
const server = serve({ fetch: app.http.fetch, hostname: config.host, port: config.port }, (info: AddressInfo) => {
  console.log(`store: ${config.database ? `postgres (${config.database.from})` : `sqlite (${join(config.dataDir, 'docket.db')})`}`);
  console.log(`crm-import listening on http://${info.address}:${info.port} (monitoring ${config.mofaUrl ?? `${site!.url}, a local stand-in`} daily at 03:00 ${config.taskTimezone})`);
});

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    if (stopping) return;
    stopping = true;
    server.close();
    void app
      .close()
      .then(() => site?.close())
      .then(() => process.exit(0));
  });
}
