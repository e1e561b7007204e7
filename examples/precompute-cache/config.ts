// The example's settings, from the environment (the seed's names and defaults).
import { z } from 'zod';
import { CITY_PRECOMPUTE_OPTIONS, type CityPrecompute } from './cities.js';

export interface PrecomputeConfig {
  schedEnabled: boolean;
  cityPrecompute: CityPrecompute;
  precomputeDays: number;
  /** HH:MM, India time. */
  precomputeTime: string;
  redisUrl: string | null;
  /** Optional PostgreSQL copy in `PanchangDay` / `FestivalDay`. */
  databaseUrl: string | null;
  /** docket's SQLite file; without REDIS_URL the cache table lives in it too. */
  dbPath: string;
  host: string;
  port: number;
  adminApiKey: string | null;
}

const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes');
const env = z.object({
  SCHED_ENABLED: bool.default(true),
  CITY_PRECOMPUTE: z.enum(CITY_PRECOMPUTE_OPTIONS).default('IN_TOP200'),
  PRECOMPUTE_DAYS: z.coerce.number().int().min(1).max(366).default(30),
  PRECOMPUTE_TIME: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM, 24-hour').default('02:30'),
  REDIS_URL: z.string().url().optional(),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'a postgres:// URL').optional(),
  DOCKET_DB: z.string().min(1).default('./precompute-cache.db'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65_535).default(8000),
  ADMIN_API_KEY: z.string().min(16, 'at least 16 characters').optional(),
});

/** Reads the settings; a bad value throws an Error naming the variable. */
export function loadConfig(source: Record<string, string | undefined> = process.env): PrecomputeConfig {
  // An empty variable counts as unset (`REDIS_URL= npm run …`).
  const present = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = env.safeParse(present);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`precompute-cache: bad environment: ${issues}`);
  }
  const e = parsed.data;
  return {
    schedEnabled: e.SCHED_ENABLED,
    cityPrecompute: e.CITY_PRECOMPUTE,
    precomputeDays: e.PRECOMPUTE_DAYS,
    precomputeTime: e.PRECOMPUTE_TIME,
    redisUrl: e.REDIS_URL ?? null,
    databaseUrl: e.DATABASE_URL ?? null,
    dbPath: e.DOCKET_DB,
    host: e.HOST,
    port: e.PORT,
    adminApiKey: e.ADMIN_API_KEY ?? null,
  };
}
