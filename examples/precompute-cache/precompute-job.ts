// The precompute job: every selected city × PRECOMPUTE_DAYS days of panchangam, plus each month's
// festivals, written to the cache with the seed's keys and expirations, then a run summary.
// CPU-bound (astronomy for hundreds of cities), so it runs in a worker thread (isolation 'thread'):
// the HTTP endpoints and the worker's heartbeats stay responsive while it computes, and a run that
// ignores a cancel is ended after the grace. The handler is in precompute-handler.ts, loaded there.
import { z } from 'zod';
import type { Docket } from 'docket';
import { CITY_PRECOMPUTE_OPTIONS } from './cities.js';
import type { PrecomputeConfig } from './config.js';

export const PRECOMPUTE_JOB = 'precompute_panchangam';

export const precomputeInput = z
  .object({
    cityPrecompute: z.enum(CITY_PRECOMPUTE_OPTIONS),
    days: z.number().int().min(1).max(366),
  })
  .strict();
export type PrecomputeInput = z.infer<typeof precomputeInput>;

export interface PrecomputeSummary {
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  cityPrecompute: PrecomputeInput['cityPrecompute'];
  from: string;
  to: string;
  days: number;
  cities: number;
  citiesSucceeded: number;
  citiesFailed: number;
  panchangamKeys: number;
  festivalKeys: number;
  errors: { city: string; error: string }[];
}

/** What the handler needs to open its own connections in its thread (JSON: it crosses the boundary). */
export interface PrecomputeHandlerOptions {
  dbPath: string;
  redisUrl: string | null;
  databaseUrl: string | null;
}

export function definePrecomputeJob(docket: Docket, config: Pick<PrecomputeConfig, 'dbPath' | 'redisUrl' | 'databaseUrl'>) {
  const options: PrecomputeHandlerOptions = { dbPath: config.dbPath, redisUrl: config.redisUrl, databaseUrl: config.databaseUrl };
  return docket.defineJob<PrecomputeInput, PrecomputeSummary>(PRECOMPUTE_JOB, {
    schema: precomputeInput,
    queue: 'precompute',
    maxAttempts: 3,
    timeoutMs: 2 * 3_600_000,
    isolation: 'thread',
    memoryLimitMb: 1_024,
    handler: { module: new URL('./precompute-handler.ts', import.meta.url), export: 'precompute', options },
  });
}
