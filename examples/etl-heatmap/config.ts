// The example's settings, from the environment (the seed's names and defaults).
import { z } from 'zod';

export interface EtlConfig {
  etlIntervalMinutes: number;
  heatmapIntervalMinutes: number;
  /** Level names as strings, as the API takes them ("1", "2", "3"). */
  heatmapLevels: string[];
  adminApiKey: string | null;
  /** Holds docket.db (jobs), warehouse.db (readings, heatmaps) and incoming/ (CSV drops). */
  dataDir: string;
  host: string;
  port: number;
  /** How long POST /admin/run-jobs waits for each job before answering with its id. */
  runJobsTimeoutMs: number;
}

export const MAX_LEVEL = 8;
const level = z.string().regex(/^[1-9]\d*$/).refine((l) => Number(l) <= MAX_LEVEL, `levels are 1..${MAX_LEVEL}`);
const env = z.object({
  ETL_INTERVAL_MINUTES: z.coerce.number().int().min(1).max(1_440).default(15),
  HEATMAP_INTERVAL_MINUTES: z.coerce.number().int().min(1).max(1_440).default(30),
  HEATMAP_LEVELS: z
    .string()
    .default('1,2,3')
    .transform((s) => s.split(',').map((l) => l.trim()))
    .pipe(z.array(level).min(1)),
  ADMIN_API_KEY: z.string().min(8, 'at least 8 characters').optional(),
  DATA_DIR: z.string().min(1).default('./etl-heatmap-data'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65_535).default(8000),
  RUN_JOBS_TIMEOUT_MS: z.coerce.number().int().min(100).default(60_000),
});

/** Reads the settings; a bad value throws an Error naming the variable. */
export function loadConfig(source: Record<string, string | undefined> = process.env): EtlConfig {
  const present = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = env.safeParse(present);
  if (!parsed.success) {
    throw new Error(`etl-heatmap: bad environment: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const e = parsed.data;
  return {
    etlIntervalMinutes: e.ETL_INTERVAL_MINUTES,
    heatmapIntervalMinutes: e.HEATMAP_INTERVAL_MINUTES,
    heatmapLevels: [...new Set(e.HEATMAP_LEVELS)],
    adminApiKey: e.ADMIN_API_KEY ?? null,
    dataDir: e.DATA_DIR,
    host: e.HOST,
    port: e.PORT,
    runJobsTimeoutMs: e.RUN_JOBS_TIMEOUT_MS,
  };
}
