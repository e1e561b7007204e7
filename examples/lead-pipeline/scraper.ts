/**
 * Fetches a company website and extracts a lead from it: schema.org JSON-LD
 * first (most company sites have it), then <title>, meta description and
 * mailto:/tel: links. Every request carries the job's AbortSignal, so a
 * cancelled or timed-out job stops its download at once.
 */
import { DataError, NetworkError } from './errors.js';

export interface ScrapedCompany {
  url: string;
  domain: string;
  name: string;
  description: string | null;
  industry: string | null;
  employees: number | null;
  founded: number | null;
  city: string | null;
  country: string | null;
  emails: string[];
  phones: string[];
  social: string[];
}

const PAGE_TIMEOUT_MS = 15_000;
const MAX_PAGE_BYTES = 2 * 1024 * 1024;

/** GETs an HTML page; network trouble and 429/5xx are NetworkError (retried), other 4xx and non-HTML DataError (not). */
export async function fetchPage(url: string, signal: AbortSignal): Promise<string> {
  let res: Response;
  try {
    res = await fetch(url, {
      signal: AbortSignal.any([signal, AbortSignal.timeout(PAGE_TIMEOUT_MS)]),
      headers: { 'user-agent': 'lead-pipeline/1.0 (+docket example)', accept: 'text/html' },
    });
  } catch (error) {
    if (signal.aborted) throw signal.reason; // the job was cancelled or timed out: let docket record that
    throw new NetworkError(`could not fetch ${url}: ${(error as Error).message}`, { cause: error });
  }
  if (res.status === 429 || res.status >= 500) {
    await res.body?.cancel();
    throw new NetworkError(`${url} answered ${res.status}`);
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new DataError(`${url} answered ${res.status}`);
  }
  const type = res.headers.get('content-type') ?? '';
  if (!type.includes('html')) {
    await res.body?.cancel();
    throw new DataError(`${url} is not an HTML page (${type || 'no content type'})`);
  }
  const text = await res.text();
  if (text.length > MAX_PAGE_BYTES) throw new DataError(`${url} is larger than ${MAX_PAGE_BYTES} bytes`);
  return text;
}

export async function scrapeCompany(url: string, signal: AbortSignal): Promise<ScrapedCompany> {
  return parseCompany(url, await fetchPage(url, signal));
}

export function parseCompany(url: string, html: string): ScrapedCompany {
  const org = findOrganization(html);
  const title = decode(/<title[^>]*>([^<]*)<\/title>/i.exec(html)?.[1]?.split('|')[0]?.trim() ?? '');
  const metaDescription = /<meta\s+name="description"\s+content="([^"]*)"/i.exec(html)?.[1];
  const name = str(org?.name) ?? (title || null);
  if (!name) throw new DataError(`${url} has no company name (no JSON-LD Organization, no <title>)`);
  const address = (org?.address ?? {}) as Record<string, unknown>;
  const employees = org?.numberOfEmployees as { value?: unknown } | number | undefined;
  const mailto = [...html.matchAll(/href="mailto:([^"?]+)/gi)].map((m) => m[1]!);
  const tel = [...html.matchAll(/href="tel:([^"]+)/gi)].map((m) => m[1]!);
  return {
    url,
    domain: hostname(str(org?.url)) ?? hostname(url)!,
    name,
    description: str(org?.description) ?? (metaDescription ? decode(metaDescription) : null),
    industry: str(org?.industry),
    employees: num(typeof employees === 'object' ? employees?.value : employees),
    founded: num(org?.foundingDate === undefined ? undefined : parseInt(String(org.foundingDate), 10)),
    city: str(address.addressLocality),
    country: str(address.addressCountry),
    emails: unique([str(org?.email), ...mailto].filter((e): e is string => !!e).map((e) => e.toLowerCase())),
    phones: unique([str(org?.telephone), ...tel].filter((p): p is string => !!p).map(normalisePhone)),
    social: Array.isArray(org?.sameAs) ? org.sameAs.filter((s): s is string => typeof s === 'string') : [],
  };
}

/** Links of a search results page (`<a class="result" href>`), at most `max`. */
export function parseSearchResults(html: string, max: number): string[] {
  return unique([...html.matchAll(/<a\s+class="result"\s+href="([^"]+)"/gi)].map((m) => decode(m[1]!))).slice(0, max);
}

function findOrganization(html: string): Record<string, unknown> | null {
  for (const m of html.matchAll(/<script\s+type="application\/ld\+json"\s*>([\s\S]*?)<\/script>/gi)) {
    try {
      const items = [JSON.parse(m[1]!)].flat() as Array<Record<string, unknown>>;
      const org = items.find((x) => x && typeof x === 'object' && ['Organization', 'Corporation', 'LocalBusiness'].includes(String(x['@type'])));
      if (org) return org;
    } catch {
      // a broken JSON-LD block is common on real sites; fall back to the HTML
    }
  }
  return null;
}

const hostname = (u: string | null) => {
  if (!u) return null;
  try {
    return new URL(u).hostname.replace(/^www\./, '');
  } catch {
    return null;
  }
};
const normalisePhone = (p: string) => p.replace(/[^\d+]/g, '');
const unique = (xs: string[]) => [...new Set(xs)];
const str = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : null);
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const decode = (s: string) => s.replace(/&#(\d+);/g, (_, d: string) => String.fromCharCode(Number(d))).replace(/&amp;/g, '&').replace(/&quot;/g, '"');
