// Change detection for the monitored embassy page: fetch, extract the table's entries, compare with
// the last snapshot. The seed scrapes a ministry's site; here the page is a local stand-in (stand-in-site.ts).
import { createHash } from 'node:crypto';
import type { CrmDb } from './crm-db.js';

export interface MonitorResult {
  url: string;
  entries: number;
  /** The first run stores a baseline and reports no change. */
  baseline: boolean;
  changed: boolean;
  added: string[];
  removed: string[];
  modified: string[];
}

/** `<tr><td>Country</td><td>City</td><td>…details…</td></tr>` → { "Country / City": "details" }. */
export function extractEntries(html: string): Record<string, string> {
  const entries: Record<string, string> = {};
  const text = (s: string) => s.replace(/<[^>]*>/g, ' ').replace(/&amp;/g, '&').replace(/&nbsp;/g, ' ').replace(/\s+/g, ' ').trim();
  for (const [, row] of html.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/gi)) {
    const cells = [...row!.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/gi)].map((m) => text(m[1]!));
    if (cells.length < 2) continue; // header rows use <th>
    entries[`${cells[0]} / ${cells[1]}`] = cells.slice(2).join(' | ');
  }
  return entries;
}

export async function checkPage(db: CrmDb, url: string, now: Date, signal: AbortSignal): Promise<MonitorResult> {
  const response = await fetch(url, { signal, headers: { 'user-agent': 'crm-import-example/1.0' } });
  if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status}`);
  const html = await response.text();
  const entries = extractEntries(html);
  if (Object.keys(entries).length === 0) throw new Error(`GET ${url}: no entries found (has the page layout changed?)`);
  const contentHash = createHash('sha256').update(JSON.stringify(entries)).digest('hex');
  const last = db.lastSnapshot(url);
  const result: MonitorResult = { url, entries: Object.keys(entries).length, baseline: last === null, changed: false, added: [], removed: [], modified: [] };
  if (last && last.contentHash !== contentHash) {
    result.added = Object.keys(entries).filter((k) => !(k in last.entries));
    result.removed = Object.keys(last.entries).filter((k) => !(k in entries));
    result.modified = Object.keys(entries).filter((k) => k in last.entries && last.entries[k] !== entries[k]);
    result.changed = true;
  }
  if (!last || result.changed) db.saveSnapshot(url, contentHash, entries, result.changed ? result : null, now);
  return result;
}
