// The precompute job's handler, loaded in a worker thread (precompute-job.ts: isolation 'thread').
// It opens its own cache (and PostgreSQL) connections from ctx.handlerOptions, and takes "now"
// from the attempt's start on docket's clock (ctx.job.startedAt), so a ManualClock test drives it;
// cache expiries count from that start.
import type { Clock, JobContext } from 'docket';
import { SqliteCache, RedisCache, keys, TTL, type Cache, type CacheEntry } from './cache.js';
import { selectCities } from './cities.js';
import { addDays, computeFestivals, computePanchang, localDate, type Festival } from './panchang.js';
import { PanchangTables } from './pg-tables.js';
import type { PrecomputeHandlerOptions, PrecomputeInput, PrecomputeSummary } from './precompute-job.js';

export async function precompute({ cityPrecompute, days }: PrecomputeInput, ctx: JobContext): Promise<PrecomputeSummary> {
  const options = ctx.handlerOptions as PrecomputeHandlerOptions;
  const started = performance.now();
  const startedAt = ctx.job.startedAt ?? new Date();
  // Docket's clock is in the worker's thread: expiries count from the run's start on it.
  const clock = { now: () => startedAt.getTime() } as Clock;
  const cache: Cache = options.redisUrl ? new RedisCache(options.redisUrl) : new SqliteCache(options.dbPath, clock);
  const tables = options.databaseUrl ? await PanchangTables.open(options.databaseUrl) : null;
  try {
    return await run(cityPrecompute, days, ctx, { cache, tables, startedAt, started });
  } finally {
    await cache.close();
    await tables?.close();
  }
}

async function run(
  cityPrecompute: PrecomputeInput['cityPrecompute'],
  days: number,
  ctx: JobContext,
  { cache, tables, startedAt, started }: { cache: Cache; tables: PanchangTables | null; startedAt: Date; started: number },
): Promise<PrecomputeSummary> {
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
    ctx.signal.throwIfAborted(); // cancel, timeout or shutdown: stop between cities (else the thread is ended after the grace)
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
      await tables?.save(city.name, days, festivals);
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
  }
  summary.durationMs = Math.round(performance.now() - started);
  summary.finishedAt = new Date(startedAt.getTime() + summary.durationMs).toISOString();
  await cache.setMany([{ key: keys.summary, value: summary, ttlSeconds: TTL.summary }]);
  ctx.log.info({ ...summary, errors: summary.errors.length }, 'precompute finished');
  if (summary.citiesSucceeded === 0 && cities.length > 0) throw new Error(`precompute failed for all ${cities.length} cities: ${summary.errors[0]?.error}`);
  return summary;
}
