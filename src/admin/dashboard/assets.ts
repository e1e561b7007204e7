import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * The dashboard's static files, served from /assets: htmx and uPlot (no
 * bundler, no CDN) and the dashboard's own script and stylesheet. The build
 * copies all of them into dist/admin/dashboard/assets (scripts/copy-assets.mjs),
 * so the published package serves its own copies and does not depend on
 * `htmx.org` or `uplot`; from source (`npm start`, tests) the vendored files
 * come from those dev dependencies in node_modules.
 * Read once, on first use, and answered with a strong ETag.
 */
export interface Asset {
  body: Uint8Array;
  contentType: string;
  etag: string;
}

const require = createRequire(import.meta.url);
const own = (file: string) => () => fileURLToPath(new URL(`./assets/${file}`, import.meta.url));
/** The build's copy beside this module, else (running from source) the dev dependency's file. */
const vendored = (file: string, spec: string) => () => {
  const built = own(file)();
  return existsSync(built) ? built : require.resolve(spec);
};

const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

const SOURCES: Record<string, { path: () => string; contentType: string }> = {
  'htmx.min.js': { path: vendored('htmx.min.js', 'htmx.org/dist/htmx.min.js'), contentType: JS },
  'uPlot.iife.min.js': { path: vendored('uPlot.iife.min.js', 'uplot/dist/uPlot.iife.min.js'), contentType: JS },
  'uPlot.min.css': { path: vendored('uPlot.min.css', 'uplot/dist/uPlot.min.css'), contentType: CSS },
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
