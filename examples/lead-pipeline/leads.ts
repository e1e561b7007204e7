/**
 * The pipeline's domain: scraped companies and what processing adds to them
 * (normalised data, a lead score, enrichment), plus the analytics over them.
 *
 * Companies live in memory here, standing in for your CRM database: jobs and
 * their results are durable in docket's store, this directory is not.
 */
import { createHash } from 'node:crypto';
import type { ScrapedCompany } from './scraper.js';

export interface Company extends ScrapedCompany {
  id: string;
  scrapedAt: string;
  processedAt: string | null;
  score: LeadScore | null;
  enrichment: Enrichment | null;
}

export interface LeadScore {
  total: number;
  breakdown: Record<string, number>;
}

export interface Enrichment {
  sizeBand: string;
  region: string;
  yearsInBusiness: number | null;
  primaryContact: string | null;
}

/** `comp_` + a hash of the site, so scraping the same site again updates the same company. */
export function companyId(url: string): string {
  const u = new URL(url);
  return `comp_${createHash('sha256').update(`${u.hostname.replace(/^www\./, '')}${u.pathname.replace(/\/$/, '')}`).digest('hex').slice(0, 10)}`;
}

export class CompanyDirectory {
  private readonly byId = new Map<string, Company>();

  upsert(scraped: ScrapedCompany, at: Date): Company {
    const id = companyId(scraped.url);
    const before = this.byId.get(id);
    const company: Company = { ...scraped, id, scrapedAt: at.toISOString(), processedAt: null, score: before?.score ?? null, enrichment: before?.enrichment ?? null };
    this.byId.set(id, company);
    return company;
  }

  get(id: string): Company | undefined {
    return this.byId.get(id);
  }

  /** The companies with these ids, and the ids that are unknown. */
  pick(ids: readonly string[]): { found: Company[]; missing: string[] } {
    const found: Company[] = [];
    const missing: string[] = [];
    for (const id of ids) {
      const c = this.byId.get(id);
      if (c) found.push(c);
      else missing.push(id);
    }
    return { found, missing };
  }

  /** Removes companies scraped before `cutoff`; returns how many. */
  removeScrapedBefore(cutoff: Date): number {
    let n = 0;
    for (const [id, c] of this.byId) {
      if (Date.parse(c.scrapedAt) < cutoff.getTime()) {
        this.byId.delete(id);
        n++;
      }
    }
    return n;
  }

  get size(): number {
    return this.byId.size;
  }
}

/** process/data: tidy what scraping found (lower-case emails, digits-only phones, trimmed text). */
export function normalise(c: Company, at: Date): Company {
  c.name = c.name.replace(/\s+/g, ' ').trim();
  c.description = c.description?.replace(/\s+/g, ' ').trim() || null;
  c.emails = [...new Set(c.emails.map((e) => e.trim().toLowerCase()).filter((e) => /^[^@\s]+@[^@\s]+$/.test(e)))];
  c.phones = [...new Set(c.phones.map((p) => p.replace(/[^\d+]/g, '')).filter((p) => p.replace(/\D/g, '').length >= 7))];
  c.country = c.country?.toUpperCase() ?? null;
  c.processedAt = at.toISOString();
  return c;
}

const TARGET_INDUSTRIES = new Set(['Software', 'Financial Services', 'Health Care']);
const TARGET_COUNTRIES = new Set(['US', 'GB', 'DE', 'NL']);

/** process/scores: a 0–100 fit score with the reasons, so sales can see why. */
export function scoreLead(c: Company, at: Date): LeadScore {
  const e = c.employees ?? 0;
  const breakdown: Record<string, number> = {
    company_size: e >= 20 && e <= 500 ? 30 : e > 500 ? 15 : e > 0 ? 10 : 0,
    industry_fit: c.industry && TARGET_INDUSTRIES.has(c.industry) ? 25 : 0,
    has_email: c.emails.length > 0 ? 15 : 0,
    has_phone: c.phones.length > 0 ? 10 : 0,
    growth_stage: c.founded && at.getUTCFullYear() - c.founded <= 10 ? 10 : 0,
    target_market: c.country && TARGET_COUNTRIES.has(c.country) ? 10 : 0,
  };
  return { total: Object.values(breakdown).reduce((a, b) => a + b, 0), breakdown };
}

const REGIONS: Record<string, string> = { US: 'NA', CA: 'NA', MX: 'LATAM', BR: 'LATAM', GB: 'EMEA', DE: 'EMEA', NL: 'EMEA', PT: 'EMEA', FR: 'EMEA' };

/** process/enrich: derived firmographics. */
export function enrich(c: Company, at: Date): Enrichment {
  const e = c.employees;
  const sizeBand = e === null ? 'unknown' : e <= 10 ? '1-10' : e <= 50 ? '11-50' : e <= 200 ? '51-200' : e <= 1000 ? '201-1000' : '1000+';
  return {
    sizeBand,
    region: (c.country && REGIONS[c.country]) ?? 'other',
    yearsInBusiness: c.founded ? at.getUTCFullYear() - c.founded : null,
    primaryContact: c.emails.find((m) => m.endsWith(`@${c.domain}`)) ?? c.emails[0] ?? null,
  };
}

export type ReportType = 'summary' | 'comprehensive';

/** analytics/report */
export function buildReport(companies: Company[], type: ReportType, at: Date) {
  const scored = companies.filter((c) => c.score);
  const report = {
    report_type: type,
    generated_at: at.toISOString(),
    companies: companies.length,
    scored: scored.length,
    average_score: scored.length ? round(scored.reduce((a, c) => a + c.score!.total, 0) / scored.length) : null,
    by_industry: countBy(companies, (c) => c.industry ?? 'unknown'),
    by_country: countBy(companies, (c) => c.country ?? 'unknown'),
    top_leads: [...scored].sort((a, b) => b.score!.total - a.score!.total).slice(0, 5).map((c) => ({ company_id: c.id, name: c.name, score: c.score!.total })),
  };
  if (type === 'summary') return report;
  return { ...report, details: companies.map((c) => ({ company_id: c.id, name: c.name, domain: c.domain, industry: c.industry, employees: c.employees, score: c.score, enrichment: c.enrichment })) };
}

/** analytics/analyze: which segment converts best, by average score. */
export function analyseSegments(companies: Company[]) {
  const groups = new Map<string, number[]>();
  for (const c of companies) {
    if (!c.score) continue;
    const key = c.industry ?? 'unknown';
    groups.set(key, [...(groups.get(key) ?? []), c.score.total]);
  }
  const segments = [...groups].map(([industry, scores]) => ({ industry, companies: scores.length, average_score: round(scores.reduce((a, b) => a + b, 0) / scores.length) }));
  segments.sort((a, b) => b.average_score - a.average_score || a.industry.localeCompare(b.industry));
  return {
    segments,
    by_size_band: countBy(companies, (c) => c.enrichment?.sizeBand ?? 'not enriched'),
    ideal_customer_profile: segments[0]?.industry ?? null,
    unscored: companies.filter((c) => !c.score).map((c) => c.id),
  };
}

function countBy<T>(xs: T[], key: (x: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[key(x)] = (out[key(x)] ?? 0) + 1;
  return out;
}

const round = (n: number) => Math.round(n * 10) / 10;
