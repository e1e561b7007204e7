import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * The dashboard's static files, served from /assets: htmx and uPlot straight
 * from node_modules (no bundler, no CDN) and the dashboard's own script and
 * stylesheet (src/admin/dashboard/assets, copied beside the build by `npm run build`).
 * Read once, on first use, and answered with a strong ETag.
 */
export interface Asset {
  body: Uint8Array;
  contentType: string;
  etag: string;
}

const require = createRequire(import.meta.url);
const own = (file: string) => () => fileURLToPath(new URL(`./assets/${file}`, import.meta.url));
const dep = (spec: string) => () => require.resolve(spec);

const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

const SOURCES: Record<string, { path: () => string; contentType: string }> = {
  'htmx.min.js': { path: dep('htmx.org/dist/htmx.min.js'), contentType: JS },
  'uPlot.iife.min.js': { path: dep('uplot/dist/uPlot.iife.min.js'), contentType: JS },
  'uPlot.min.css': { path: dep('uplot/dist/uPlot.min.css'), contentType: CSS },
  'dashboard.js': { path: own('dashboard.js'), contentType: JS },
  'dashboard.css': { path: own('dashboard.css'), contentType: CSS },
};

export const ASSET_NAMES = Object.keys(SOURCES);

const cache = new Map<string, Asset>();

/** The asset of that file name, or null for any other name (no path is ever built from the request). */
export function loadAsset(name: string): Asset | null {
  const source = Object.hasOwn(SOURCES, name) ? SOURCES[name] : undefined;
  if (!source) return null;
  let asset = cache.get(name);
  if (!asset) {
    const body = readFileSync(source.path());
    asset = { body, contentType: source.contentType, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` };
    cache.set(name, asset);
  }
  return asset;
}
