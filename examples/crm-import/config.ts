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
    host: e.HOST,
    port: e.PORT,
  };
}
