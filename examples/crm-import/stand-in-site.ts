// A local stand-in for the monitored ministry page: an HTML table of embassies. With `file`, the
// list is read from that JSON file on every request, so editing it is a change on "the remote site"
// (a test calls setEmbassies instead).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Embassy {
  country: string;
  city: string;
  address: string;
  phone: string;
}

export const DEFAULT_EMBASSIES: Embassy[] = [
  { country: 'India', city: 'New Delhi', address: 'EP-12, Chandragupta Marg, Chanakyapuri', phone: '+91 11 2611 1111' },
  { country: 'Japan', city: 'Tokyo', address: '9-10 Minami-Azabu 3-chome, Minato-ku', phone: '+81 3 5489 0804' },
  { country: 'United Kingdom', city: 'London', address: '1-2 Grosvenor Crescent, Belgravia', phone: '+44 20 7808 8300' },
  { country: 'Egypt', city: 'Cairo', address: '4 Ibn Seena Street, Giza', phone: '+20 2 3776 6102' },
  { country: 'Germany', city: 'Berlin', address: 'Hiroshimastraße 18-20', phone: '+49 30 516 516' },
];

export function renderPage(embassies: Embassy[]): string {
  const rows = embassies.map((e) => `<tr><td>${e.country}</td><td>${e.city}</td><td>${e.address}</td><td>${e.phone}</td></tr>`).join('\n');
  return `<!doctype html><html><head><title>Embassies abroad</title></head><body><h1>Embassies abroad</h1>
<table><thead><tr><th>Country</th><th>City</th><th>Address</th><th>Phone</th></tr></thead><tbody>
${rows}
</tbody></table></body></html>`;
}

export interface StandInSite {
  readonly url: string;
  setEmbassies(embassies: Embassy[]): void;
  close(): Promise<void>;
}

/** Serves the page at `/embassies` on 127.0.0.1 (port 0 = a free one). */
export async function startStandInSite(options: { port?: number; file?: string } = {}): Promise<StandInSite> {
  const { file } = options;
  if (file && !existsSync(file)) writeFileSync(file, `${JSON.stringify(DEFAULT_EMBASSIES, null, 2)}\n`);
  let page = renderPage(DEFAULT_EMBASSIES);
  const server: Server = createServer((req, res) => {
    if (req.url === '/embassies') {
      try {
        const body = file ? renderPage(JSON.parse(readFileSync(file, 'utf8')) as Embassy[]) : page;
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(body);
      } catch (error) {
        res.writeHead(500).end(`stand-in: cannot read ${file}: ${(error as Error).message}`);
      }
    }
    else res.writeHead(404).end('not found');
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/embassies`,
    setEmbassies(list) {
      page = renderPage(list);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
