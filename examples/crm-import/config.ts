// The example's settings, from the environment (the seed's names and defaults).
import { join } from 'node:path';
import { z } from 'zod';

export interface CrmConfig {
  /** Time zone of the recurring jobs' cron (the seed's TASK_TIMEZONE, default UTC). */
  taskTimezone: string;
  /** At most this many jobs of one recurring schedule waiting or running (APScheduler max_instances). */
  taskMaxInstances: number;
  /** Seconds a fire may be late and still run (APScheduler misfire_grace_time). */
  taskMisfireGrace: number;
  dataDir: string;
  /** The workbook to import; generated on first start when missing. */
  crmXlsx: string;
  crmBatchSize: number;
  /** The monitored page; unset = a local stand-in started by the example. */
  mofaUrl: string | null;
  adminApiKey: string | null;
  /**
   * docket's store on PostgreSQL, configured as the seed configures its database: `DATABASE_URL`,
   * or `POSTGRES_SERVER` / `POSTGRES_PORT` / `POSTGRES_USER` / `POSTGRES_PASSWORD` / `POSTGRES_DB`.
   * null: docket's embedded SQLite store in DATA_DIR.
   */
  database: { url: string; from: 'DATABASE_URL' | 'POSTGRES_*' } | null;
  host: string;
  port: number;
}

const env = z.object({
  TASK_TIMEZONE: z.string().min(1).default('UTC'),
  TASK_MAX_INSTANCES: z.coerce.number().int().min(1).max(100).default(1),
  TASK_MISFIRE_GRACE: z.coerce.number().int().min(0).max(86_400).default(300),
  DATA_DIR: z.string().min(1).default('./crm-import-data'),
  CRM_XLSX: z.string().min(1).optional(),
  CRM_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(500),
  MOFA_URL: z.string().url().optional(),
  ADMIN_API_KEY: z.string().min(8, 'at least 8 characters').optional(),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?(\+\w+)?:\/\//, 'must be a postgresql:// URL')
    .optional(),
  POSTGRES_SERVER: z.string().min(1).optional(),
  POSTGRES_PORT: z.coerce.number().int().min(1).max(65_535).default(5432),
  POSTGRES_USER: z.string().min(1).default('postgres'),
  POSTGRES_PASSWORD: z.string().optional(),
  POSTGRES_DB: z.string().min(1).default('postgres'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65_535).default(8000),
});

/** Reads the settings; a bad value throws an Error naming the variable (the time zone is checked by docket). */
export function loadConfig(source: Record<string, string | undefined> = process.env): CrmConfig {
  const present = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = env.safeParse(present);
  if (!parsed.success) {
    throw new Error(`crm-import: bad environment: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const e = parsed.data;
  return {
    taskTimezone: e.TASK_TIMEZONE,
    taskMaxInstances: e.TASK_MAX_INSTANCES,
    taskMisfireGrace: e.TASK_MISFIRE_GRACE,
    dataDir: e.DATA_DIR,
    crmXlsx: e.CRM_XLSX ?? join(e.DATA_DIR, 'crm_export.xlsx'),
    crmBatchSize: e.CRM_BATCH_SIZE,
    mofaUrl: e.MOFA_URL ?? null,
    adminApiKey: e.ADMIN_API_KEY ?? null,
    database: databaseOf(e),
    host: e.HOST,
    port: e.PORT,
  };
}

/**
 * As the seed: `DATABASE_URL` if set (its SQLAlchemy driver suffix, `postgresql+psycopg://`,
 * is dropped: node-postgres takes the plain scheme), else a URL built from `POSTGRES_*` when
 * `POSTGRES_SERVER` is set.
 */
function databaseOf(e: z.infer<typeof env>): CrmConfig['database'] {
  if (e.DATABASE_URL) return { url: e.DATABASE_URL.replace(/^postgres(ql)?\+\w+:/, 'postgresql:'), from: 'DATABASE_URL' };
  if (!e.POSTGRES_SERVER) return null;
  const auth = encodeURIComponent(e.POSTGRES_USER) + (e.POSTGRES_PASSWORD ? `:${encodeURIComponent(e.POSTGRES_PASSWORD)}` : '');
  return { url: `postgresql://${auth}@${e.POSTGRES_SERVER}:${e.POSTGRES_PORT}/${encodeURIComponent(e.POSTGRES_DB)}`, from: 'POSTGRES_*' };
}
