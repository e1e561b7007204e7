/**
 * Local stand-ins for the web the pipeline scrapes: a handful of company
 * websites (HTML with schema.org JSON-LD and a contact section, as real sites
 * have) and a search page for batch scraping. Mounted at /stand-in by the
 * example server, so the example runs without network access.
 *
 * `?delay_ms=N` on a company page answers after N ms (at most 120 s), to
 * play a slow site; the timer is dropped when the client goes away.
 */
import { Hono } from 'hono';

interface SiteCompany {
  slug: string;
  name: string;
  description: string;
  industry: string;
  employees: number;
  founded: number;
  city: string;
  country: string;
  email: string;
  phone: string;
  linkedin: string;
  /** What the stand-in search matches on. */
  tags: string[];
}

export const STAND_IN_COMPANIES: readonly SiteCompany[] = [
  {
    slug: 'brightwave-analytics', name: 'Brightwave Analytics', industry: 'Software',
    description: 'Product analytics for B2B SaaS teams: funnels, retention and revenue in one place.',
    employees: 48, founded: 2017, city: 'Berlin', country: 'DE', email: 'sales@brightwave.example', phone: '+49 30 5557 2010',
    linkedin: 'https://www.linkedin.com/company/brightwave-analytics', tags: ['tech startups', 'saas', 'analytics'],
  },
  {
    slug: 'ledgerly', name: 'Ledgerly', industry: 'Financial Services',
    description: 'Automated bookkeeping and cash-flow forecasting for small businesses.',
    employees: 120, founded: 2015, city: 'London', country: 'GB', email: 'hello@ledgerly.example', phone: '+44 20 7946 0321',
    linkedin: 'https://www.linkedin.com/company/ledgerly', tags: ['fintech companies', 'saas'],
  },
  {
    slug: 'paystream', name: 'Paystream', industry: 'Financial Services',
    description: 'Payment orchestration API for marketplaces, with payouts in 40 currencies.',
    employees: 65, founded: 2019, city: 'Amsterdam', country: 'NL', email: 'partners@paystream.example', phone: '+31 20 555 0147',
    linkedin: 'https://www.linkedin.com/company/paystream', tags: ['fintech companies', 'tech startups', 'payments'],
  },
  {
    slug: 'northwind-robotics', name: 'Northwind Robotics', industry: 'Industrial Automation',
    description: 'Autonomous mobile robots for warehouse picking and palletising.',
    employees: 310, founded: 2009, city: 'Pittsburgh', country: 'US', email: 'info@northwind-robotics.example', phone: '+1 412 555 0188',
    linkedin: 'https://www.linkedin.com/company/northwind-robotics', tags: ['robotics', 'hardware', 'tech startups'],
  },
  {
    slug: 'quillbox', name: 'Quillbox', industry: 'Software',
    description: 'Documentation tooling for developer platforms: docs-as-code with live API examples.',
    employees: 14, founded: 2022, city: 'Lisbon', country: 'PT', email: 'team@quillbox.example', phone: '+351 21 555 0199',
    linkedin: 'https://www.linkedin.com/company/quillbox', tags: ['tech startups', 'developer tools'],
  },
  {
    slug: 'cobalt-health', name: 'Cobalt Health', industry: 'Health Care',
    description: 'Remote patient monitoring for cardiology clinics.',
    employees: 220, founded: 2012, city: 'Boston', country: 'US', email: 'contact@cobalthealth.example', phone: '+1 617 555 0134',
    linkedin: 'https://www.linkedin.com/company/cobalt-health', tags: ['healthtech', 'tech startups'],
  },
  {
    slug: 'greenleaf-logistics', name: 'Greenleaf Logistics', industry: 'Logistics',
    description: 'Temperature-controlled freight across the Benelux since 1998.',
    employees: 900, founded: 1998, city: 'Rotterdam', country: 'NL', email: 'sales@greenleaf-logistics.example', phone: '+31 10 555 0172',
    linkedin: 'https://www.linkedin.com/company/greenleaf-logistics', tags: ['logistics'],
  },
  {
    slug: 'fernhill-coffee', name: 'Fernhill Coffee Roasters', industry: 'Food & Beverage',
    description: 'Small-batch coffee roastery and three cafés.',
    employees: 35, founded: 2005, city: 'Portland', country: 'US', email: 'wholesale@fernhillcoffee.example', phone: '+1 503 555 0110',
    linkedin: 'https://www.linkedin.com/company/fernhill-coffee', tags: ['food', 'retail'],
  },
];

const MAX_DELAY_MS = 120_000;
const escape = (s: string) => s.replace(/[&<>"]/g, (ch) => `&#${ch.charCodeAt(0)};`);

function companyPage(c: SiteCompany): string {
  const jsonLd = {
    '@context': 'https://schema.org',
    '@type': 'Organization',
    name: c.name,
    url: `https://www.${c.email.split('@')[1]}`,
    description: c.description,
    industry: c.industry,
    foundingDate: String(c.founded),
    numberOfEmployees: { '@type': 'QuantitativeValue', value: c.employees },
    address: { '@type': 'PostalAddress', addressLocality: c.city, addressCountry: c.country },
    email: c.email,
    telephone: c.phone,
    sameAs: [c.linkedin],
  };
  return `<!doctype html>
<html lang="en"><head>
<meta charset="utf-8"><title>${escape(c.name)} | ${escape(c.industry)}</title>
<meta name="description" content="${escape(c.description)}">
<script type="application/ld+json">${JSON.stringify(jsonLd)}</script>
</head><body>
<nav><a href="/">Home</a> <a href="#about">About</a> <a href="#contact">Contact</a></nav>
<main>
<section id="about"><h1>${escape(c.name)}</h1><p>${escape(c.description)}</p>
<p>Founded in ${c.founded} in ${escape(c.city)}. ${c.employees} people and growing.</p></section>
<section id="contact"><h2>Contact</h2>
<p>Email <a href="mailto:${c.email}">${c.email}</a> or call <a href="tel:${c.phone.replace(/\s/g, '')}">${c.phone}</a>.</p>
<p><a href="${c.linkedin}">LinkedIn</a></p></section>
</main></body></html>`;
}

function searchPage(origin: string, query: string): string {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const hits = STAND_IN_COMPANIES.filter((c) => words.length > 0 && c.tags.some((t) => words.every((w) => t.includes(w))));
  const items = hits.map((c) => `<li><a class="result" href="${origin}/stand-in/companies/${c.slug}">${escape(c.name)}</a> ${escape(c.description)}</li>`);
  return `<!doctype html><html><head><title>Search: ${escape(query)}</title></head><body><ol>${items.join('\n')}</ol></body></html>`;
}

/** The stand-in websites, to mount at `/stand-in`. */
export function standInSites(): Hono {
  const app = new Hono();
  app.get('/companies/:slug', async (c) => {
    const company = STAND_IN_COMPANIES.find((x) => x.slug === c.req.param('slug'));
    if (!company) return c.html('<!doctype html><title>Not found</title><h1>404</h1>', 404);
    const delay = Math.min(Number(c.req.query('delay_ms') ?? 0) || 0, MAX_DELAY_MS);
    if (delay > 0) await abortableDelay(delay, c.req.raw.signal);
    return c.html(companyPage(company));
  });
  app.get('/search', (c) => c.html(searchPage(new URL(c.req.url).origin, c.req.query('q') ?? '')));
  return app;
}

function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}
