// The seed's cities (its "Top 20" and "Additional Cities") are precomputed by default and found under its spelling.
import { describe, expect, it } from 'vitest';
import { findCity, SEED_CITIES, selectCities } from './cities.js';
import { loadConfig } from './config.js';

describe('precompute-cache cities', () => {
  it('the default CITY_PRECOMPUTE holds every city the seed names, keyed by the seed spelling', () => {
    const option = loadConfig({}).cityPrecompute;
    expect(option).toBe('IN_TOP200');
    const keys = selectCities(option).map((c) => c.name);
    for (const name of SEED_CITIES) expect(keys, name).toContain(name.toLowerCase());
    for (const key of ['bangalore', 'kochi', 'pimpri-chinchwad', 'gurgaon', 'jaipur']) expect(keys).toContain(key);
    expect(keys).not.toContain('bengaluru');
    expect(keys).not.toContain('cochin');
    expect(new Set(keys).size).toBe(200);
  });

  it("IN_TOP10 is the seed's first ten (Jaipur, not Kanpur); IN_TOP50 holds all thirty", () => {
    expect(selectCities('IN_TOP10').map((c) => c.displayName)).toEqual(SEED_CITIES.slice(0, 10));
    const top50 = selectCities('IN_TOP50').map((c) => c.displayName);
    expect(top50.slice(0, SEED_CITIES.length)).toEqual([...SEED_CITIES]);
    expect(top50).toHaveLength(50);
  });

  it("finds a city by the seed's spelling or GeoNames', in any case", () => {
    for (const [asked, key] of [
      ['Bangalore', 'bangalore'],
      ['Bengaluru', 'bangalore'],
      ['Kochi', 'kochi'],
      ['Cochin', 'kochi'],
      ['Pimpri-Chinchwad', 'pimpri-chinchwad'],
      ['Pimpri', 'pimpri-chinchwad'],
      ['Gurgaon', 'gurgaon'],
      ['surat', 'surat'],
      ['Navi Mumbai', 'navi-mumbai'],
    ]) {
      expect(findCity(asked!)?.name, asked).toBe(key);
    }
    expect(findCity('Atlantis')).toBeUndefined();
    expect(findCity('Bangalore')!.latitude).toBeCloseTo(12.97, 1);
  });
});
