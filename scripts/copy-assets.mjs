// Copies the dashboard's static files into the build (`npm run build` runs this
// after tsc): its own script and stylesheet, and the vendored htmx and uPlot
// files with their licences. So the published package serves them from dist/
// and does not depend on `htmx.org` or `uplot` (dev dependencies, ~2 MB of
// packages for ~90 KB of served files). From source (`npm start`, tests),
// src/admin/dashboard/assets.ts reads the vendored files from node_modules.
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const OWN = 'src/admin/dashboard/assets';
const TO = 'dist/admin/dashboard/assets';

/** [from, to] relative to the package root: every file the build copies. */
export const ASSET_COPIES = [
  ...readdirSync(join(ROOT, OWN)).map((name) => [`${OWN}/${name}`, `${TO}/${name}`]),
  ['node_modules/htmx.org/dist/htmx.min.js', `${TO}/htmx.min.js`],
  ['node_modules/htmx.org/LICENSE', `${TO}/htmx.org.LICENSE.txt`],
  ['node_modules/uplot/dist/uPlot.iife.min.js', `${TO}/uPlot.iife.min.js`],
  ['node_modules/uplot/dist/uPlot.min.css', `${TO}/uPlot.min.css`],
  ['node_modules/uplot/LICENSE', `${TO}/uplot.LICENSE.txt`],
];

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  mkdirSync(join(ROOT, TO), { recursive: true });
  for (const [from, to] of ASSET_COPIES) copyFileSync(join(ROOT, from), join(ROOT, to));
}
