// The precompute job: every selected city × PRECOMPUTE_DAYS days of panchangam, plus each month's
// festivals, written to the cache with the seed's keys and expirations, then a run summary.
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { z } from 'zod';
import type { Docket } from 'docket';
import { CITY_PRECOMPUTE_OPTIONS, selectCities } from './cities.js';
import { keys, TTL, type Cache, type CacheEntry } from './cache.js';
import { addDays, computeFestivals, computePanchang, localDate, type Festival } from './panchang.js';
import type { PanchangTables } from './pg-tables.js';

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

/** `tables`: the optional PostgreSQL copy (DATABASE_URL), written after the cache for each city. */
export function definePrecomputeJob(docket: Docket, cache: Cache, tables: () => PanchangTables | null = () => null) {
  return docket.defineJob(PRECOMPUTE_JOB, {
    schema: precomputeInput,
    queue: 'precompute',
    maxAttempts: 3,
    timeoutMs: 2 * 3_600_000,
    async handler({ cityPrecompute, days }, ctx): Promise<PrecomputeSummary> {
      const started = performance.now();
      const startedAt = new Date(docket.clock.now());
      const from = localDate(startedAt.getTime()); // "today" in India
      const dates = Array.from({ length: days }, (_, i) => addDays(from, i));
      const months = [...new Set(dates.map((d) => d.slice(0, 7)))].map((ym) => ym.split('-').map(Number) as [number, number]);
      const cities = selectCities(cityPrecompute);
      const summary: PrecomputeSummary = {
        startedAt: startedAt.toISOString(),
        finishedAt: '',
        durationMs: 0,
        cityPrecompute,
        from,
        to: dates.at(-1)!,
        days,
        cities: cities.length,
        citiesSucceeded: 0,
        citiesFailed: 0,
        panchangamKeys: 0,
        festivalKeys: 0,
        errors: [],
      };
      ctx.log.info({ cities: cities.length, days, from }, 'precompute started');
      for (const [i, city] of cities.entries()) {
        ctx.signal.throwIfAborted(); // cancel, timeout or shutdown: stop between cities
        try {
          const days = dates.map((date) => computePanchang(city, date));
          const entries: CacheEntry[] = days.map((day) => ({ key: keys.panchangam(city.name, day.date), value: day, ttlSeconds: TTL.panchangam }));
          const festivals: Festival[] = [];
          for (const [year, month] of months) {
            const list = computeFestivals(city, year, month);
            festivals.push(...list);
            entries.push({ key: keys.festivals(city.name, year, month), value: list, ttlSeconds: TTL.festivals });
          }
          await cache.setMany(entries);
          await tables()?.save(city.name, days, festivals);
          summary.citiesSucceeded++;
          summary.panchangamKeys += dates.length;
          summary.festivalKeys += months.length;
        } catch (error) {
          // One bad city does not lose the others; the summary and the log name it.
          summary.citiesFailed++;
          if (summary.errors.length < 20) summary.errors.push({ city: city.name, error: (error as Error).message });
          ctx.log.warn({ city: city.name, err: error }, 'precompute failed for a city');
        }
        ctx.progress(i + 1, cities.length, city.name);
        await yieldToEventLoop(); // the computation is synchronous: let HTTP requests in between cities
      }
      summary.finishedAt = new Date(docket.clock.now()).toISOString();
      summary.durationMs = Math.round(performance.now() - started);
      await cache.setMany([{ key: keys.summary, value: summary, ttlSeconds: TTL.summary }]);
      ctx.log.info({ ...summary, errors: summary.errors.length }, 'precompute finished');
      if (summary.citiesSucceeded === 0 && cities.length > 0) throw new Error(`precompute failed for all ${cities.length} cities: ${summary.errors[0]?.error}`);
      return summary;
    },
  });
}
