/**
 * The pipeline's jobs, one per seed task, routed to the seed's four queues.
 * Handlers report progress, pass `ctx.signal` to every request, and throw
 * typed errors so docket retries what is worth retrying (errors.ts).
 */
import type { Docket, JobContext } from 'docket';
import { collectStatistics } from './job-status.js';
import { DataError, errorCategory, NetworkError, RETRY_OPTIONS } from './errors.js';
import { analyseSegments, buildReport, enrich, normalise, scoreLead, type Company, type CompanyDirectory, type ReportType } from './leads.js';
import { fetchPage, parseSearchResults, scrapeCompany } from './scraper.js';

export const QUEUES = ['scraping', 'processing', 'analytics', 'maintenance'] as const;

export interface JobDeps {
  docket: Docket;
  companies: CompanyDirectory;
  /** The search page batch scraping queries (`?q=`). */
  searchUrl: () => string;
  /** Database maintenance of the store (SQLite: PRAGMA optimize; PostgreSQL: ANALYZE). */
  optimizeDatabase: () => Promise<Record<string, unknown>>;
}

type CompanyIds = { company_ids: string[] };
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

export function defineJobs(deps: JobDeps) {
  const { docket, companies } = deps;
  const now = () => new Date(docket.clock.now());

  /** Scrapes each URL in turn; one bad site does not fail the others. */
  async function scrapeAll(urls: string[], ctx: JobContext, offset = 0, total = urls.length) {
    const scraped: Array<{ company_id: string; url: string; name: string }> = [];
    const failed: Array<{ url: string; error: string; category: string }> = [];
    for (const [i, url] of urls.entries()) {
      ctx.progress(offset + i, total, `Scraping ${url} (${offset + i + 1}/${total})`);
      try {
        const company = companies.upsert(await scrapeCompany(url, ctx.signal), now());
        scraped.push({ company_id: company.id, url, name: company.name });
      } catch (error) {
        if (ctx.signal.aborted) throw error; // cancelled or timed out: stop here
        failed.push({ url, error: (error as Error).message, category: errorCategory(error) });
      }
    }
    return { scraped, failed };
  }

  /** Runs `step` on each known company with progress; unknown ids are reported, all unknown is a data error. */
  async function eachCompany<T>(ids: string[], ctx: JobContext, verb: string, step: (c: Company) => T) {
    const { found, missing } = companies.pick(ids);
    if (found.length === 0) throw new DataError(`none of the company ids is known: ${ids.slice(0, 5).join(', ')}`);
    const results: Array<{ company_id: string } & T> = [];
    for (const [i, c] of found.entries()) {
      ctx.signal.throwIfAborted();
      ctx.progress(i, found.length, `${verb} ${c.name}`);
      results.push({ company_id: c.id, ...step(c) });
    }
    ctx.progress(found.length, found.length, `${verb} done`);
    return { processed: results.length, missing, results };
  }

  return {
    // ------------------------------------------------------------ scraping (high)
    scrapeCompanies: docket.defineJob('scrape-companies', {
      queue: 'scraping', timeoutMs: 30 * MINUTE, ...RETRY_OPTIONS,
      async handler(data: { company_urls: string[] }, ctx) {
        const result = await scrapeAll(data.company_urls, ctx);
        ctx.progress(data.company_urls.length, data.company_urls.length, `Scraped ${result.scraped.length} of ${data.company_urls.length} companies`);
        // nothing scraped and a site was unreachable: retry the batch later
        if (result.scraped.length === 0 && result.failed.some((f) => f.category === 'network')) {
          throw new NetworkError(`no company could be scraped: ${result.failed[0]!.error}`);
        }
        return result;
      },
    }),

    scrapeCompany: docket.defineJob('scrape-company', {
      queue: 'scraping', timeoutMs: 2 * MINUTE, ...RETRY_OPTIONS,
      async handler(data: { company_url: string }, ctx) {
        ctx.progress(0, 1, `Scraping ${data.company_url}`);
        const company = companies.upsert(await scrapeCompany(data.company_url, ctx.signal), now());
        ctx.progress(1, 1, `Scraped ${company.name}`);
        return { company_id: company.id, name: company.name, domain: company.domain, industry: company.industry, emails: company.emails, phones: company.phones };
      },
    }),

    scrapeBatch: docket.defineJob('scrape-batch', {
      queue: 'scraping', timeoutMs: 60 * MINUTE, ...RETRY_OPTIONS,
      async handler(data: { search_queries: string[]; max_results_per_query: number }, ctx) {
        const queries = [];
        for (const [i, query] of data.search_queries.entries()) {
          ctx.progress(i, data.search_queries.length, `Searching "${query}"`);
          const url = new URL(deps.searchUrl());
          url.searchParams.set('q', query);
          const links = parseSearchResults(await fetchPage(url.href, ctx.signal), data.max_results_per_query);
          queries.push({ query, found: links.length, ...(await scrapeAll(links, ctx)) });
        }
        ctx.progress(data.search_queries.length, data.search_queries.length, 'Batch done');
        return { queries, total_scraped: queries.reduce((n, q) => n + q.scraped.length, 0) };
      },
    }),

    // ------------------------------------------------------------ processing (normal)
    processData: docket.defineJob('process-data', {
      queue: 'processing', timeoutMs: 10 * MINUTE, ...RETRY_OPTIONS,
      handler: (data: CompanyIds, ctx) =>
        eachCompany(data.company_ids, ctx, 'Processing', (c) => {
          normalise(c, now());
          return { emails: c.emails.length, phones: c.phones.length };
        }),
    }),

    calculateScores: docket.defineJob('calculate-scores', {
      queue: 'processing', timeoutMs: 10 * MINUTE, ...RETRY_OPTIONS,
      handler: (data: CompanyIds, ctx) =>
        eachCompany(data.company_ids, ctx, 'Scoring', (c) => {
          c.score = scoreLead(c, now());
          return { score: c.score.total, breakdown: c.score.breakdown };
        }),
    }),

    enrichCompanies: docket.defineJob('enrich-companies', {
      queue: 'processing', timeoutMs: 10 * MINUTE, ...RETRY_OPTIONS,
      handler: (data: CompanyIds, ctx) =>
        eachCompany(data.company_ids, ctx, 'Enriching', (c) => {
          c.enrichment = enrich(c, now());
          return { enrichment: c.enrichment };
        }),
    }),

    // ------------------------------------------------------------ analytics (normal)
    analyticsReport: docket.defineJob('analytics-report', {
      queue: 'analytics', timeoutMs: 10 * MINUTE, ...RETRY_OPTIONS,
      async handler(data: CompanyIds & { report_type: ReportType }, ctx) {
        const { found, missing } = companies.pick(data.company_ids);
        if (found.length === 0) throw new DataError('none of the company ids is known');
        ctx.progress(1, 2, 'Aggregating');
        const report = buildReport(found, data.report_type, now());
        ctx.progress(2, 2, 'Report ready');
        return { ...report, missing };
      },
    }),

    businessAnalysis: docket.defineJob('business-analysis', {
      queue: 'analytics', timeoutMs: 10 * MINUTE, ...RETRY_OPTIONS,
      async handler(data: CompanyIds, ctx) {
        const { found, missing } = companies.pick(data.company_ids);
        if (found.length === 0) throw new DataError('none of the company ids is known');
        ctx.progress(1, 1, 'Analysis ready');
        return { ...analyseSegments(found), missing };
      },
    }),

    // ------------------------------------------------------------ maintenance (low)
    cleanupJobs: docket.defineJob('cleanup-jobs', {
      queue: 'maintenance', timeoutMs: 30 * MINUTE, ...RETRY_OPTIONS,
      async handler(data: { older_than_days: number }, ctx) {
        const cutoff = new Date(now().getTime() - data.older_than_days * DAY);
        // docket's retention already prunes finished jobs (see pipeline.ts); this removes what it would still keep
        let deletedJobs = 0;
        let cursor: string | null = null;
        do {
          ctx.signal.throwIfAborted();
          const page = await docket.listJobs({ state: ['completed', 'failed', 'cancelled'], createdBefore: cutoff, order: 'asc', limit: 500, cursor });
          for (const job of page.jobs) {
            if (job.finishedAt && job.finishedAt < cutoff && (await docket.store.deleteJob({ jobId: job.id }))) deletedJobs++;
          }
          cursor = page.nextCursor;
          ctx.progress(deletedJobs, null, `Deleted ${deletedJobs} jobs finished before ${cutoff.toISOString()}`);
        } while (cursor);
        const deletedCompanies = companies.removeScrapedBefore(cutoff);
        return { older_than_days: data.older_than_days, cutoff: cutoff.toISOString(), deleted_jobs: deletedJobs, deleted_companies: deletedCompanies };
      },
    }),

    updateStatistics: docket.defineJob('update-statistics', {
      queue: 'maintenance', timeoutMs: 5 * MINUTE, ...RETRY_OPTIONS,
      // the snapshot is the job's result; /statistics shows the latest one beside the live numbers
      handler: () => collectStatistics(docket, QUEUES),
    }),

    healthCheck: docket.defineJob('health-check', {
      queue: 'maintenance', timeoutMs: MINUTE, ...RETRY_OPTIONS,
      async handler() {
        const t0 = performance.now();
        const storeNow = await docket.store.now();
        const latencyMs = Math.round((performance.now() - t0) * 10) / 10;
        const workers = await docket.store.listWorkers({ aliveWithinMs: 60_000 });
        const stuck = await docket.listJobs({ state: 'active', createdBefore: new Date(storeNow.getTime() - DAY), limit: 10 });
        const checks = {
          store: { ok: latencyMs < 1_000, latency_ms: latencyMs },
          workers: { ok: workers.length > 0, alive: workers.length },
          stuck_jobs: { ok: stuck.jobs.length === 0, ids: stuck.jobs.map((j) => j.id) },
        };
        return { healthy: Object.values(checks).every((c) => c.ok), checked_at: storeNow.toISOString(), checks, companies: companies.size };
      },
    }),

    optimizeDb: docket.defineJob('optimize-db', {
      queue: 'maintenance', timeoutMs: 30 * MINUTE, ...RETRY_OPTIONS,
      handler: () => deps.optimizeDatabase(),
    }),
  };
}

export type PipelineJobs = ReturnType<typeof defineJobs>;
